"""The benchmarks cannot rot: each runs here in its quick mode, and its JSON has a row with sane numbers.

The quick modes use tiny sizes and one repeat: their numbers say nothing about speed, but an interface
change that breaks a benchmark (a new Engine capability, a moved function, a changed signature) fails
here instead of in the next `make bench`.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from benchmarks.timing import TimedEngine, TimedFunctions
from videodrafter.config import Settings
from videodrafter.engines.base import DepictingEngine, Engine
from videodrafter.engines.registry import get_engine

ROOT = Path(__file__).resolve().parent.parent


def _benchmark(module: str, *args: str, timeout: float = 540) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks.<module> *args`` from the repository root, with this test's (offline) environment."""
    return subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, check=False, env=dict(os.environ), stdin=subprocess.DEVNULL,
    )


def _document(completed: subprocess.CompletedProcess[str], output: Path) -> dict:
    assert completed.returncode == 0, f"exit {completed.returncode}\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
    return json.loads(output.read_text())


@pytest.mark.parametrize("module", ["run", "timing", "grounding", "calibrate_embedders", "gpu"])
def test_every_benchmark_module_imports(module: str) -> None:
    importlib.import_module(f"benchmarks.{module}")  # gpu.py too: it needs CUDA only to be run at real sizes


def test_every_benchmark_has_a_quick_mode() -> None:
    from benchmarks import run

    assert set(run.QUICK) == set(run.BENCHMARKS)


class _Engine:
    """An engine with a depiction and a capability the wrapper has never heard of."""

    name, width, height, fps = "fake", 64, 48, 6.0
    draws_clean_backgrounds, draws_solid_subjects = True, False
    a_capability_added_later = "yes"

    def reference_image(self, entity, *, seed):
        return ("reference", entity, seed)

    def scene_image(self, event, foreground, background, layout, *, seed):
        return ("scene", seed)

    def scene_clip(self, image, action, camera, num_frames, *, seed, caption):
        return ["frame"] * num_frames

    def describe(self):
        return {"model": "fake"}

    def loaded_state(self):
        return {}

    def depict(self, entity):
        return ("depiction", entity)


def _protocol_data_members(protocol: type) -> set[str]:
    """The attributes (not methods) the protocol declares, on it and its bases in the same module."""
    return {name for klass in protocol.__mro__ if klass.__module__ == protocol.__module__
            for name in getattr(klass, "__annotations__", {}) if not name.startswith("_")}


def test_timed_engine_delegates_everything_it_does_not_time() -> None:
    missing = _protocol_data_members(Engine) - set(dir(_Engine))  # whatever the protocol has grown since
    engine = type("_CompleteEngine", (_Engine,), dict.fromkeys(missing, False))()
    timed = TimedEngine(engine)
    assert (timed.name, timed.width, timed.draws_clean_backgrounds, timed.draws_solid_subjects) == ("fake", 64, True, False)
    assert timed.a_capability_added_later == "yes"
    assert isinstance(timed, DepictingEngine) and timed.depict("dog") == ("depiction", "dog")
    assert not isinstance(TimedEngine(object()), DepictingEngine)  # a wrapper claims only what its engine has
    engine.width = 200  # read when used, not copied when wrapped
    engine.added_after_wrapping = 1
    assert (timed.width, timed.added_after_wrapping) == (200, 1)
    with pytest.raises(AttributeError):
        _ = timed.no_such_member
    assert timed.reference_image("dog", seed=3) == ("reference", "dog", 3)
    assert len(timed.scene_clip(None, "runs", None, 4, seed=0, caption="")) == 4
    timed.describe()
    assert dict(timed.calls) == {"reference_image": 1, "scene_clip": 1}  # model methods only
    assert all(seconds >= 0 for seconds in timed.seconds.values())


@pytest.mark.parametrize("engine_name", ["animatic", "tiny"])
def test_timed_engine_has_what_the_real_engines_have(engine_name: str) -> None:
    """Every public member of a real engine (the Engine protocol's, whatever it grows, and the optional
    capabilities) is on its wrapper, with the same values; nothing is loaded to find out."""
    engine = get_engine(Settings(engine=engine_name))
    timed = TimedEngine(engine)
    assert {name for name in dir(engine) if not name.startswith("_")} <= set(dir(timed))
    declared = _protocol_data_members(Engine)
    assert declared >= {"name", "width", "height", "fps", "draws_clean_backgrounds"}
    for member in declared:
        assert getattr(timed, member) == getattr(engine, member), member
    assert isinstance(timed, DepictingEngine) == isinstance(engine, DepictingEngine)


def test_timed_functions_time_a_function_wherever_it_was_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function defined in one module and imported by name into another is timed through both, and put back."""
    defining, importing = types.ModuleType("videodrafter._probe"), types.ModuleType("videodrafter._probe_user")

    def encode(value: int) -> int:
        return value + 1

    defining.encode = importing.encode = encode
    monkeypatch.setitem(sys.modules, defining.__name__, defining)
    monkeypatch.setitem(sys.modules, importing.__name__, importing)
    with TimedFunctions(encode) as timing:
        assert defining.encode is not encode and importing.encode is not encode
        assert defining.encode(1) + importing.encode(2) == 5
    assert timing.calls == 2 and timing.seconds > 0
    assert defining.encode is encode and importing.encode is encode
    with pytest.raises(RuntimeError, match="nothing would be timed"), TimedFunctions(lambda: None):
        pass


def test_the_cpu_benchmarks_run_in_quick_mode(tmp_path: Path) -> None:
    """Everything in benchmarks.run but the embedded LLM (below, slow): the tiny preset, the animatic, Ray."""
    from benchmarks import run

    names = [name for name in run.BENCHMARKS if name != "embedded"]
    output = tmp_path / "bench.json"
    completed = _benchmark("run", "--quick", "--only", ",".join(names), "--output", str(output))
    document = _document(completed, output)
    assert document["mode"] == "quick" and document["seconds"] > 0
    results = document["results"]
    assert list(results) == names
    for name, row in results.items():
        assert "error" not in row, f"{name}: {row.get('traceback', row['error'])}"
        assert row["benchmark_s"] > 0
        assert name in completed.stdout  # the table has its row
    overhead = results["overhead"]
    assert 0 < overhead["model_s"] < overhead["wall_s"]
    assert overhead["model_calls"]["scene_clip"] == overhead["scenes"] == 1
    assert overhead["model_calls"]["reference_image"] == 3  # the dog, the girl and the beach
    assert overhead["h264_encoding_s"] > 0 and overhead["framework_s"] > 0 and 0 < overhead["framework_pct"] < 100
    assert set(overhead["per_node_s"]) >= {"reference_images", "scene_images", "scene_clips", "assemble"}
    reuse = results["reuse"]
    assert reuse["reused_s"] > 0 and reuse["reloaded_s"] > 0
    assert (reuse["loads_when_reused"], reuse["loads_when_reloaded"]) == (0, reuse["scenes"])
    assert reuse["batch_done"] == reuse["batch_items"] == 1
    edit = results["edit"]
    assert 0 < edit["edit_s"] and 0 < edit["full_run_s"]
    remade = edit["regenerated_scene_artifacts"]
    pictures = [path for path in remade if path.startswith("scenes/") and path.endswith(".png")]
    clips = [path for path in remade if path.startswith("clips/") and path.endswith(".mp4")]
    assert (len(pictures), len(clips)) == (1, 1), remade  # the edited scene's picture and clip, nothing else
    scaling = results["scaling"]
    for workers in ("workers_1", "workers_2"):
        assert scaling[workers]["done"] == scaling["items"] and scaling[workers]["items_per_min"] > 0


@pytest.mark.slow
def test_the_embedded_default_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    row = _document(_benchmark("run", "--quick", "--only", "embedded", "--output", str(output)), output)["results"]["embedded"]
    assert "error" not in row, row.get("traceback")
    assert row["scenes"] == 1 and row["llm_calls"] >= 1 and row["tokens_out"] > 0
    assert 0 < row["llm_s"] < row["wall_s"] and row["video_s"] > 0
    assert "assemble" in row["stage_s"] and len(row["stage_s"]) >= 4 and "before_dialogue" not in row and "first_run" not in row, "per-stage seconds; quick mode runs once"


@pytest.mark.slow
def test_the_grounding_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    output = tmp_path / "grounding.json"
    document = _document(_benchmark("grounding", "--quick", "--output", str(output)), output)
    assert document["baseline"] is None and document["cases"] == 1
    after = document["scores"]["local:smollm2"]["after"]
    assert after["seconds"] > 0 and after["valid"] in (0.0, 1.0)
    for key in ("cast_found", "grounded_names", "meta_text"):
        assert key not in after or 0 <= after[key] <= 1


def test_the_embedder_calibration_runs_in_quick_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import calibrate_embedders

    output = tmp_path / "calibration.json"
    calibrate_embedders.main(["--quick", "--out", str(output)])
    printed = capsys.readouterr().out
    document = json.loads(output.read_text())
    subjects, views = len(calibrate_embedders.QUICK["subjects"]), calibrate_embedders.QUICK["views"]
    assert document["mode"] == "quick" and document["seconds"] > 0
    assert [row["spec"] for row in document["results"]] == calibrate_embedders.DEFAULT_EMBEDDERS
    for row in document["results"]:
        assert (len(row["same"]), len(row["different"])) == (subjects * views, subjects * views * (subjects - 1))
        assert 0 <= row["auc"] <= 1 and 0 <= row["eer"] <= 1 and row["seconds"] > 0
        assert row["spec"] in printed  # the table has its row


def test_the_gpu_benchmark_code_runs_on_the_cpu_with_the_tiny_preset() -> None:
    """benchmarks.gpu measures real sizes on a CUDA GPU; the same code on the tiny preset checks its wiring and table."""
    from benchmarks import gpu

    stages: list[dict] = []
    results = gpu.run("tiny", ["quality"], 2, 2, 1, 1, "auto", lambda partial: stages.append(partial))
    quality = results["profiles"]["quality"]
    assert "error" not in quality, quality.get("error")
    assert stages and {"images", "clip"} <= set(quality)
    for stage in ("reference_image", "scene_image"):
        assert quality["images"][stage]["ours"]["wall_s"] > 0 and quality["images"][stage]["bare"]["wall_s"] > 0
    assert quality["clip"]["ours"]["denoiser_calls"] > 0 and quality["clip"]["frames"]["ours"] > 0
    assert {row[1] for row in gpu.summary_rows(results)} >= {"reference image", "scene image", "clip"}


@pytest.mark.parametrize(("preset", "profiles"), [("tiny-vace", ["quality", "turbo"]), ("tiny-wan", ["turbo"])])
def test_the_gpu_benchmark_runs_every_clip_family_and_turbo_on_the_cpu(preset: str, profiles: list[str]) -> None:
    """VACE's bare call goes through its family (video, mask, reference_images); turbo (VACE and Wan I2V) loads
    a random lightx2v LoRA written at the preset's size and is set against the bare call at the preset's steps."""
    from benchmarks import gpu

    results = gpu.run(preset, profiles, 2, 1, 1, 1, "auto", lambda partial: None)
    measured = results["profiles"]
    for profile in profiles:
        assert "error" not in measured[profile], measured[profile].get("error")
    turbo = measured["turbo"]
    assert "images" not in turbo and turbo["clip"]["steps"] == 4 and turbo["clip"]["guidance"] == 1.0
    assert turbo["clip"]["ours"]["wall_s"] > 0 and turbo["clip"]["ours"]["denoiser_calls"] > 0
    assert any("turbo LoRA" in applied for applied in turbo["loaded"]["video"]["applied"])
    turbo_rows = [row for row in gpu.summary_rows(results) if row[0] == "turbo"]
    assert len(turbo_rows) == 2 and float(turbo_rows[0][3].split()[0]) > 0
    if "quality" in profiles:
        quality = measured["quality"]
        assert quality["clip"]["bare"]["wall_s"] > 0 and quality["clip"]["ours"]["wall_s"] > 0
        assert quality["clip"]["frames"]["bare"] == quality["clip"]["frames"]["ours"] > 0
        assert quality["images"]["scene_image"]["bare"]["wall_s"] > 0
        assert quality["clip"]["references"] == turbo["clip"]["references"] == 1  # VACE holds the references: both calls get one
        assert turbo_rows[-1][4] and turbo_rows[-1][5]  # against the bare call extrapolated to the preset's steps


def test_the_gpu_benchmark_skips_turbo_where_the_family_has_no_lora_and_refuses_real_weights() -> None:
    from benchmarks import gpu

    results = gpu.run("tiny", ["turbo"], 2, 1, 1, 1, "auto", lambda partial: None)
    assert "cogvideox-i2v" in results["profiles"]["turbo"]["skipped"]
    assert ("turbo", "skipped") == gpu.summary_rows(results)[0][:2]
    assert not any(gpu.downloads_real_weights(name) for name in ("tiny", "tiny-vace", "random-sdxl-vace", "random-flux2-cogvideox"))
    assert all(gpu.downloads_real_weights(name) for name in ("sdxl-cogvideox", "sdxl-vace", "flux2-wan"))


def test_the_gpu_benchmark_times_a_whole_video_on_the_cpu(tmp_path: Path) -> None:
    from benchmarks import gpu

    video = gpu.whole_video("tiny", "quality", "auto", scenes=2, runs_dir=tmp_path / "runs")
    assert "error" not in video and video["status"] == "done"
    assert video["wall_s"] > 0 and video["total_s"] > 0
    assert {"reference_images", "scene_images", "scene_clips", "assemble"} <= set(video["stages_s"])
    assert all(seconds >= 0 for seconds in video["stages_s"].values())
    assert [row[0] for row in gpu.video_rows(video)][-3:] == ["total (manifest stages)", "wall (start_run)", "peak GPU memory"]
