"""Learned consistency embedders (tiny random-weight CLIP and DINOv2), their thresholds, candidates on the
tiny diffusers preset and the animatic, and the calibration on real photographs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.scripts import beach_dog_script
from videodrafter.config import Settings
from videodrafter.animatic.engine import AnimaticEngine
from videodrafter.engines.diffusers_engine import DiffusersEngine
from videodrafter.engines.diffusers_presets import PRESETS
from videodrafter.consistency.appearance import cosine
from videodrafter.consistency.embedders import get_image_embedder
from videodrafter.consistency.learned_embedders import effective_spec, resolve_embedder
from videodrafter.errors import InputError
from videodrafter.evals.embedder_calibration import calibrate, equal_error, roc_auc
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import start_run
from videodrafter.script import VideoScript


def _subject(colour: tuple[int, int, int], size: int = 48) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pixels = np.zeros((size, size, 4), dtype=np.uint8)
    pixels[size // 4 : size - 2, size // 6 : size - size // 6] = (*colour, 255)
    return Image.fromarray(pixels)


@pytest.mark.parametrize("spec, feature_size", [("clip:tiny", 32), ("dinov2:tiny", 32)])
def test_tiny_learned_embedders_give_deterministic_unit_vectors_with_their_own_threshold(spec: str, feature_size: int) -> None:
    embedder = resolve_embedder(spec)
    red, blue = _subject((200, 30, 30)), _subject((30, 30, 200))
    vector = embedder.embed(red)
    assert vector.shape == (feature_size,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(vector, resolve_embedder(spec).embed(red), atol=1e-6)  # same seed, same weights
    assert cosine(vector, embedder.embed(red.copy())) == pytest.approx(1.0, abs=1e-6)
    assert cosine(vector, embedder.embed(blue)) < 0.9999
    assert 0.9 < embedder.threshold < 1.0 and embedder.name == spec


def test_the_default_embedder_follows_the_engine() -> None:
    animatic = AnimaticEngine(160, 96, 6)
    tiny = DiffusersEngine(PRESETS["tiny"], Settings(engine="tiny"))
    assert effective_spec("auto", animatic) == "appearance" and effective_spec("auto", tiny) == "clip"
    assert effective_spec("dinov2") == "dinov2:facebook/dinov2-small"
    assert get_image_embedder("auto", animatic).threshold == 0.8
    clip = get_image_embedder("auto", tiny)
    assert clip.name == "clip:ip-adapter-encoder(diffusers:tiny)" and clip.threshold == 0.8
    assert get_image_embedder("auto", tiny) is clip  # one per engine load, like the pipelines


def test_the_ip_adapter_clip_embedder_reuses_the_loaded_image_encoder() -> None:
    engine = DiffusersEngine(PRESETS["tiny"], Settings(engine="tiny"))
    embedder = resolve_embedder("clip", engine)
    vector = embedder.embed(_subject((200, 120, 40)))
    assert vector.shape == (32,)  # the tiny preset's projection size
    assert embedder._inner.model is engine.image_pipeline().image_encoder


@pytest.mark.parametrize(
    "spec, engine, words",
    [
        ("clip", None, "has none"),
        ("blurry-vision", None, "Unknown image embedder"),
        ("dinov2:facebook/dinov2-small", None, "hf download facebook/dinov2-small"),  # offline here: no download
    ],
)
def test_unusable_embedder_specs_say_what_to_do(spec: str, engine, words: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_embedder(spec, engine)
    assert words in str(caught.value)


def test_tiny_preset_makes_k_candidates_per_scene_in_one_batched_call_and_keeps_the_best(tmp_path: Path) -> None:
    class CountingEngine(DiffusersEngine):
        batches: list[int] = []

        def scene_images(self, event, foreground, background, layout, *, seeds):
            self.batches.append(len(seeds))
            return super().scene_images(event, foreground, background, layout, seeds=seeds)

    settings = Settings(engine="tiny", runs_dir=tmp_path, candidates=2, consistency_attempts=1, crossfade_s=0)
    engine = CountingEngine(PRESETS["tiny"], settings)
    outcome = start_run("", settings, script=VideoScript.model_validate(beach_dog_script()), engine=engine, run_id="tiny-k")
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    Manifest.read(outcome.run_dir / "manifest.json")  # a tiny-engine run's manifest fits its model
    assert CountingEngine.batches == [2, 2, 2]  # one pipeline call per scene, two images each
    assert manifest["image_embedder"] == "clip:ip-adapter-encoder(diffusers:tiny)"
    for scene in manifest["scenes"]:
        tried = scene["tried"]
        assert [candidate["rank"] for candidate in tried] == [0, 1] and tried[0]["seed"] != tried[1]["seed"]
        assert scene["chosen"]["score"] == max(candidate["score"] for candidate in tried)
    assert outcome.status == "done" and (outcome.run_dir / "video.mp4").is_file()


def test_animatic_candidates_come_from_k_seeds(tmp_path: Path) -> None:
    settings = Settings(runs_dir=tmp_path, candidates=3, video_width=160, video_height=96, fps=6, crossfade_s=0)
    outcome = start_run("", settings, script=VideoScript.model_validate(beach_dog_script()), run_id="anim-k")
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert [scene["candidates"] for scene in manifest["scenes"]] == [3, 3, 3]
    assert manifest["image_embedder"] == "appearance" and manifest["consistency_threshold"] == 0.8
    assert len(list((outcome.run_dir / "scenes").glob("*.png"))) == 9


def test_roc_auc_and_equal_error_rate_on_known_scores() -> None:
    assert roc_auc([0.9, 0.8], [0.1, 0.2]) == 1.0 and roc_auc([0.5], [0.5]) == 0.5
    threshold, rate = equal_error([0.9, 0.8, 0.4], [0.1, 0.2, 0.6])
    assert rate == pytest.approx(1 / 3) and 0.4 < threshold <= 0.6


def test_the_appearance_embedder_tells_photographed_subjects_apart(tmp_path: Path) -> None:
    result = calibrate("appearance", tmp_path, views=2, subjects=["astronaut", "chelsea", "coffee", "rocket"])
    assert len(result.same) == 8 and len(result.different) == 24
    assert result.auc > 0.85 and np.mean(result.same) > np.mean(result.different) + 0.1
    assert result.current_threshold == 0.8 and 0.4 < result.eer_threshold < 0.95


@pytest.mark.parametrize(
    "spec, engine, problem",
    [("nope", "animatic", "Unknown image embedder 'nope'"), ("dinov2:", "animatic", "Unknown image embedder 'dinov2:'"),
     ("clip", "animatic", "the engine 'animatic' has none")],
)
def test_a_bad_image_embedder_is_refused_before_the_run_folder_exists(tmp_path: Path, spec: str, engine: str, problem: str) -> None:
    import subprocess
    import sys

    script = tmp_path / "s.json"
    script.write_text(json.dumps(beach_dog_script()))
    result = subprocess.run(
        [sys.executable, "-m", "videodrafter", "make", "--script", str(script), "--engine", engine, "--voice", "none",
         "--image-embedder", spec, "--runs-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0 and problem in output and "What to do:" in output
    assert "Traceback" not in output and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("spec, engine", [("auto", "animatic"), ("appearance", "tiny"), ("clip", "tiny"), ("clip:tiny", "animatic"),
                                          ("dinov2", "animatic"), ("dinov2:facebook/dinov2-base", "tiny")])
def test_good_image_embedder_specs_pass_the_early_check(spec: str, engine: str) -> None:
    from videodrafter.consistency.learned_embedders import check_embedder_spec

    check_embedder_spec(spec, engine)  # nothing loads: no weights, no network
