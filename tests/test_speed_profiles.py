"""Speed and memory profiles on the tiny diffusers preset (CPU): each keeps the camera move, does
what it says to the pipelines, and lands in the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.fixtures.cli import run_cli
from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.engines.families.cogvideox_i2v import CogVideoXI2VFamily
from videodrafter.animatic.art import draw_place
from videodrafter.engines.base import EntityPicture
from videodrafter.engines.camera import camera_move_scores
from videodrafter.engines.registry import get_engine
from videodrafter.engines.speed_profiles import BlockCallCounter, repeated_blocks, video_steps
from videodrafter.resources import RESOURCES
from videodrafter.script import CameraMove, EntityKind


def _clip(settings: Settings, direction: str) -> tuple[list[np.ndarray], list[int]]:
    engine = get_engine(settings)
    image = draw_place(EntityPicture(id="city", name="city street", kind=EntityKind.BACKGROUND), 64, 64)
    frames = engine.scene_clip(image, "pan", CameraMove(direction=direction, speed="fast"), 9, seed=0, caption="")
    return frames, engine.last_camera_steps


def _forest():
    return draw_place(EntityPicture(id="forest", name="forest", kind=EntityKind.BACKGROUND), 64, 64)


@pytest.mark.parametrize("profile", ["quality", "fast", "low-memory"])
@pytest.mark.parametrize("direction", ["left", "zoom out"])
def test_every_profile_keeps_the_camera_direction(profile: str, direction: str) -> None:
    # Random weights carry no motion prior, so the blend is repeated over several steps to dominate.
    settings = Settings(engine="tiny", camera_start_step=1, camera_blend_steps=5, profile=profile)
    frames, applied = _clip(settings, direction)
    assert len(frames) == 9 and frames[0].shape == (64, 64, 3)
    steps = video_steps(profile, 6, None)
    assert applied == list(range(min(5, steps))), applied
    scores = camera_move_scores(frames[0], frames[-1])
    runner_up = max(score for move, score in scores.items() if move != direction)
    assert scores[direction] > runner_up + 0.05, scores


def test_fast_samples_fewer_clip_steps_unless_steps_are_given() -> None:
    assert video_steps("fast", 50, None) == 30 and video_steps("fast", 40, None) == 24
    assert video_steps("quality", 50, None) == 50 and video_steps("low-memory", 50, None) == 50
    assert video_steps("fast", 50, 12) == 12
    assert get_engine(Settings(engine="tiny", profile="fast")).describe()["video_steps"] == "4"


def test_the_first_block_cache_sits_in_the_engines_call_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A threshold no residual change reaches skips every later step's remaining blocks; zero skips none."""
    skip_rates = {}
    for threshold in (0.0, 1e9):
        monkeypatch.setattr(CogVideoXI2VFamily, "first_block_cache_threshold", threshold)
        settings = Settings(engine="tiny", profile="fast", diffusion_steps=4, seed=int(threshold > 0))
        engine = get_engine(settings)
        transformer = engine.video_pipeline().transformer
        with BlockCallCounter(transformer) as counter:
            engine.scene_clip(_forest(), "pan", CameraMove(direction="left"), 9, seed=0, caption="")
        skip_rates[threshold] = counter.skip_rate
        assert counter.first == 4  # classifier-free guidance runs both halves in one batched pass per step
    assert skip_rates[0.0] == 0.0
    assert skip_rates[1e9] == pytest.approx(0.75)  # the first step computes; the three after it reuse


def test_low_memory_stores_the_denoisers_in_fp8_and_offloads_every_component() -> None:
    engine = get_engine(Settings(engine="tiny", profile="low-memory"))
    image_pipe, video_pipe = engine.image_pipeline(), engine.video_pipeline()
    for denoiser in (image_pipe.unet, video_pipe.transformer):
        dtypes = {module.weight.dtype for module in denoiser.modules() if isinstance(module, torch.nn.Linear)}
        assert torch.float8_e4m3fn in dtypes, dtypes
    # The IP-Adapter projection casts its input to its weight's dtype, so it must stay in compute precision.
    projection = image_pipe.unet.encoder_hid_proj
    assert all(parameter.dtype == torch.float32 for parameter in projection.parameters())
    state = engine.loaded_state()
    assert state["profile"] == "low-memory"
    for kind in ("image", "video"):
        assert any("group offload" in line for line in state[kind]["applied"]), state
        assert any("FP8" in line for line in state[kind]["applied"]), state
    reference = engine.reference_image(EntityPicture(id="dog", name="dog", kind=EntityKind.FOREGROUND, description="a dog"), seed=1)
    assert reference.size == (64, 64)


def test_repeated_blocks_are_found_without_a_declaration() -> None:
    """CogVideoX declares no ``_repeated_blocks``; its transformer blocks are found as the largest uniform ModuleList."""
    pipe = get_engine(Settings(engine="tiny")).video_pipeline()
    blocks = repeated_blocks(pipe.transformer)
    assert [type(block).__name__ for block in blocks] == ["CogVideoXBlock"] * 2


@pytest.mark.slow
def test_regional_compile_matches_eager_and_compiles_without_graph_breaks() -> None:
    """``--profile fast`` compiles on CUDA by default; VIDEODRAFTER_COMPILE=on forces it here on the CPU."""
    import torch._dynamo

    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    eager, _ = _clip(Settings(engine="tiny", profile="fast", compile="off", diffusion_steps=3), "right")
    compiled, applied = _clip(Settings(engine="tiny", profile="fast", compile="on", diffusion_steps=3), "right")
    counters = torch._dynamo.utils.counters
    assert counters["stats"]["unique_graphs"] >= 1 and not counters["graph_break"], dict(counters["graph_break"])
    assert applied == [1]  # T_m = 5 clamps to the last but one of 3 steps
    difference = np.abs(np.stack(compiled).astype(int) - np.stack(eager).astype(int))
    assert difference.max() <= 3, difference.max()


def test_make_records_the_profile_in_the_manifest(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", "profiles", ["left", "zoom in"])
    for profile in ("fast", "low-memory"):
        run = run_cli(
            "make", "--script", str(script), "--engine", "tiny", "--profile", profile, "--run-id", profile, "--runs-dir", str(tmp_path / "runs"),
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        manifest = json.loads((tmp_path / "runs" / profile / "manifest.json").read_text())
        assert manifest["engine"]["profile"] == profile and manifest["settings"]["profile"] == profile
        assert manifest["engine_loaded"]["video"]["profile"] == profile
        assert manifest["engine_loaded"]["video"]["applied"], manifest["engine_loaded"]
    bad = run_cli("make", "--script", str(script), "--engine", "tiny", "--profile", "ultra", timeout=120, cwd=tmp_path)
    assert bad.returncode != 0 and "ultra" in bad.stderr and "low-memory" in bad.stderr and "turbo" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_loads_are_counted_per_profile() -> None:
    before = RESOURCES.load_counts("diffusers")
    get_engine(Settings(engine="tiny", profile="fast", seed=7)).video_pipeline()
    get_engine(Settings(engine="tiny", profile="fast", seed=7)).video_pipeline()
    assert RESOURCES.load_counts("diffusers")["diffusers:tiny:video"] == before.get("diffusers:tiny:video", 0) + 1


def test_a_bad_profile_in_the_environment_names_the_variable(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", "profiles", ["left"])
    run = run_cli("make", "--script", str(script), "--engine", "tiny", timeout=120, cwd=tmp_path, env={"VIDEODRAFTER_PROFILE": "slow"})
    said = " ".join(run.stderr.split())
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "VIDEODRAFTER_PROFILE" in said and "'slow'" in said and "low-memory" in said
    assert "errors.pydantic.dev" not in said
