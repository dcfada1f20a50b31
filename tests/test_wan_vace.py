"""The reference-held clip family (Wan VACE) on its tiny preset: every frame is conditioned on the
scene's references, which VACE puts as latent frames in front of the clip's, and the camera move
still lands on the clip's own frames.

The tiny Wan VAE (diffusers' dummy, random weights) squeezes its upsampling through one channel, so
its decoded pictures barely follow their latents; what the tests measure is the latents it decodes
into the clip's frames (caught at ``vae.decode``), the clip's content before that random decoder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.fixtures.scripts import write_script
from videodrafter.animatic.art import draw_place
from videodrafter.config import Settings
from videodrafter.engines.base import EntityPicture
from videodrafter.engines.camera import camera_move_scores
from videodrafter.engines.families import wan_vace
from videodrafter.engines.latent_camera import LatentCameraControl
from videodrafter.engines.registry import get_engine
from videodrafter.engines.segmentation import BACKDROP
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import start_run
from videodrafter.run_inputs import load_script_file
from videodrafter.script import CameraMove, EntityKind


def _place(name: str) -> Image.Image:
    return draw_place(EntityPicture(id=name, name=name, kind=EntityKind.BACKGROUND), 64, 64)


def _cutout(colour: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (32, 48), (*colour, 255)), (16, 8))
    return image


def _decoded_latents(monkeypatch: pytest.MonkeyPatch, pipe) -> list[torch.Tensor]:
    """Every latent tensor the pipeline's VAE decodes into frames, in order."""
    seen: list[torch.Tensor] = []
    decode = pipe.vae.decode

    def recording_decode(latents, *args, **kwargs):
        seen.append(latents.detach().clone())
        return decode(latents, *args, **kwargs)

    monkeypatch.setattr(pipe.vae, "decode", recording_decode)
    return seen


def test_every_frame_of_the_clip_is_conditioned_on_the_references(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(Settings(engine="tiny-vace", diffusion_steps=2))
    assert engine.holds_references and engine.describe()["clip_family"] == "wan-vace"
    decoded = _decoded_latents(monkeypatch, engine.video_pipeline())
    start, beach = _place("city street"), _place("beach")

    def clip(dog: Image.Image) -> np.ndarray:
        return np.stack(engine.scene_clip(start, "the dog runs", CameraMove(), 9, seed=3, caption="", references=[dog, beach]))

    assert wan_vace.reference_picture(_cutout((220, 30, 30))).getpixel((0, 0)) == BACKDROP, "cut-outs go on the plain backdrop"
    red = clip(_cutout((220, 30, 30)))
    assert red.shape == (9, 64, 64, 3) and red.dtype == np.uint8
    blue = clip(_cutout((30, 30, 220)))
    red_again = clip(_cutout((220, 30, 30)))
    with_red, with_blue, with_red_again = decoded
    # The reference latent frames were cut off before decoding: the clip's 9 frames are 3 latent frames.
    assert with_red.shape == (1, 16, 3, 8, 8)
    assert torch.equal(with_red, with_red_again) and np.array_equal(red, red_again), "seeded: same references, same clip"
    assert not torch.equal(with_red, with_blue), "another picture of the dog gives another clip"
    # Random weights carry the references weakly, but into every frame of the clip, not only the first.
    assert all((with_red[:, :, frame] - with_blue[:, :, frame]).abs().max() > 0 for frame in range(3))


def test_the_camera_moves_the_clip_and_leaves_the_reference_frames_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(Settings(engine="tiny-vace", camera_start_step=1, camera_blend_steps=3, diffusion_steps=4))
    decoded = _decoded_latents(monkeypatch, engine.video_pipeline())
    steps: list[tuple[torch.Tensor, torch.Tensor]] = []
    camera_call = LatentCameraControl.__call__

    def recording_call(self, pipe, step_index, timestep, callback_kwargs):
        before = callback_kwargs["latents"].clone()
        result = camera_call(self, pipe, step_index, timestep, callback_kwargs)
        steps.append((before, result["latents"].clone()))
        return result

    monkeypatch.setattr(LatentCameraControl, "__call__", recording_call)
    references = [_cutout((220, 30, 30)), _place("beach")]
    for direction in ("left", "right"):
        frames = engine.scene_clip(_place("city street"), "pan", CameraMove(direction=direction, speed="fast"), 9, seed=0, caption="", references=references)
        assert len(frames) == 9 and engine.last_camera_steps == [0, 1, 2]
        # The two reference latent frames lead the latents and stay exactly as VACE made them; the clip's frames move.
        for before, after in steps[-4:]:
            assert before.shape == (1, 16, 2 + 3, 8, 8)
            assert torch.equal(before[:, :, :2], after[:, :, :2])
        assert any(not torch.equal(before[:, :, 2:], after[:, :, 2:]) for before, after in steps[-4:])
        clip = decoded[-1][0]  # (C, F, H, W): the clip's own latent frames
        scores = camera_move_scores(clip[:, 0].permute(1, 2, 0).numpy(), clip[:, -1].permute(1, 2, 0).numpy())
        runner_up = max(score for move, score in scores.items() if move != direction)
        assert scores[direction] > runner_up + 0.2, (direction, scores)


def test_the_camera_blend_anchors_on_the_start_frame_behind_the_references() -> None:
    plain = LatentCameraControl(CameraMove(direction="left", speed="fast"), "BCFHW", blend=1.0)
    control = LatentCameraControl(CameraMove(direction="left", speed="fast"), "BCFHW", blend=1.0)
    control.leading_frames = 2
    torch.manual_seed(0)
    x0 = torch.randn(1, 4, 2 + 5, 16, 16)
    blended = control._blended(x0)
    assert torch.equal(blended[:, :, :2], x0[:, :, :2])
    assert torch.allclose(blended[:, :, 2:], plain._blended(x0[:, :, 2:]))
    assert torch.allclose(blended[:, :, 2], x0[:, :, 2], atol=1e-5), "the start frame is the anchor, not a reference"


def test_a_whole_run_on_the_tiny_vace_engine_records_the_references_of_each_clip(tmp_path: Path) -> None:
    script = load_script_file(write_script(tmp_path / "script.json", "vace", ["left", "zoom in"], duration_s=1.0))
    settings = Settings(engine="tiny-vace", runs_dir=tmp_path / "runs", voice="none", crossfade_s=0)
    outcome = start_run("", settings, script=script, run_id="vace")
    manifest = Manifest.read(outcome.run_dir / "manifest.json")
    assert manifest.engine["clip_family"] == "wan-vace" and manifest.engine["engine"] == "diffusers:tiny-vace"
    assert len(manifest.scenes) == 2
    for scene in manifest.scenes:
        assert scene.clip.references == ["dog", "beach"]
        assert scene.clip.frames == 9 and scene.clip.path.is_file()


def test_the_fast_profile_serves_no_vace_step_from_the_first_block_cache() -> None:
    """On a cached step diffusers' first-block cache skips the main blocks, but VACE's forward still adds its
    hints on top of the cached residual, which holds them already: the family declares the cache off."""
    engine = get_engine(Settings(engine="tiny-vace", profile="fast"))
    transformer = engine.video_pipeline().transformer
    assert not any("first-block cache" in applied for applied in engine.loaded_state()["video"]["applied"])
    assert any("first-block cache" in skipped for skipped in engine.loaded_state()["video"]["skipped"])
    generator = torch.Generator().manual_seed(0)
    inputs = dict(
        hidden_states=torch.randn(1, 16, 4, 8, 8, generator=generator), timestep=torch.tensor([500.0]),
        encoder_hidden_states=torch.randn(1, 16, 32, generator=generator),
        control_hidden_states=torch.randn(1, 96, 4, 8, 8, generator=generator), return_dict=False,
    )
    with torch.no_grad(), transformer.cache_context("cond"):
        computed = transformer(**inputs)[0]
        again = transformer(**inputs)[0]  # the first block sees no change at all: the cache would answer this step
    assert torch.equal(computed, again)


def test_the_full_random_architecture_has_wan2_1_vace_14b_sizes() -> None:
    """The GPU benchmark's random-weight VACE is Wan2.1-VACE-14B with UMT5-XXL at their real sizes (built on 'meta')."""
    from videodrafter.engines.random_weights import random_wan_vace_pipeline

    def billions(module: torch.nn.Module) -> float:
        return round(sum(parameter.numel() for parameter in module.parameters()) / 1e9, 2)

    pipe = random_wan_vace_pipeline("full", device="meta", dtype=torch.bfloat16)
    assert (billions(pipe.transformer), billions(pipe.transformer.vace_blocks), billions(pipe.vae), billions(pipe.text_encoder)) == (17.34, 3.05, 0.13, 5.68)
    assert type(pipe.scheduler).__name__ == "UniPCMultistepScheduler"
    preset = get_engine(Settings(engine="random-sdxl-vace")).preset
    assert (preset.video_width, preset.video_height, preset.video_frames, preset.clip_family) == (832, 480, 81, "wan-vace")
