"""Every tool on the tiny diffusers preset (random weights, CPU), and the camera in the latents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from videodrafter.config import Settings
from videodrafter.engines import diffusers_engine
from videodrafter.animatic.art import draw_place
from videodrafter.engines.base import EntityPicture
from videodrafter.engines.camera import camera_move_scores, estimate_shift
from videodrafter.engines.latent_camera import warp_latent_frames
from videodrafter.engines.registry import get_engine
from videodrafter.errors import InputError
from videodrafter.resources import RESOURCES
from videodrafter.script import CameraMove, Entity, EntityKind
from videodrafter.run_resources import RunResources
from videodrafter.tools import (
    AssembleArgs,
    ClipEntry,
    ConsistencyArgs,
    ReferenceImageArgs,
    SceneClipArgs,
    SceneImageArgs,
    SegmentArgs,
    assemble_video,
    generate_reference_image,
    generate_scene_clip,
    generate_scene_image,
    measure_consistency,
    segment_foreground,
)
from videodrafter.tools.scenes import ForegroundReference


@pytest.fixture(scope="module")
def context() -> RunResources:
    return RunResources(Settings(engine="tiny"))


def _cutout(path: Path, colour: tuple[int, int, int]) -> Path:
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (32, 48), (*colour, 255)), (16, 8))
    image.save(path)
    return path


def test_every_tool_runs_end_to_end_on_the_tiny_preset(tmp_path: Path, context: RunResources) -> None:
    dog = Entity(id="dog", name="dog", kind=EntityKind.FOREGROUND, description="a small brown dog")
    park = Entity(id="park", name="park", kind=EntityKind.BACKGROUND, description="a green park")
    refs = {e.id: generate_reference_image(ReferenceImageArgs(entity=e, output=tmp_path / f"{e.id}.png", seed=1), context) for e in (dog, park)}
    loads_after_first_use = RESOURCES.load_counts("diffusers")
    with Image.open(refs["dog"].path) as image:
        assert image.size == (64, 64) and refs["dog"].source == "generated"
    cut = segment_foreground(SegmentArgs(image=refs["dog"].path, kind=EntityKind.FOREGROUND, output=tmp_path / "dog-cut.png", mask_output=tmp_path / "m.png"), context)
    clean = segment_foreground(SegmentArgs(image=refs["park"].path, kind=EntityKind.BACKGROUND, output=tmp_path / "park-bg.png", mask_output=tmp_path / "m2.png"), context)
    entries = []
    for index, move in enumerate(["left", "zoom in"]):
        scene = generate_scene_image(
            SceneImageArgs(event="the dog plays in the park", foreground=[ForegroundReference(entity_id="dog", cutout=cut.path)], background=clean.path, output=tmp_path / f"s{index}.png", seed=index),
            context,
        )
        score = measure_consistency(ConsistencyArgs(reference=cut.path, scene_image=scene.path, region=scene.layout.boxes["dog"]), context)
        assert -1.0 <= score.score <= 1.0
        clip = generate_scene_clip(SceneClipArgs(image=scene.path, action="the dog runs", camera=CameraMove(direction=move), output=tmp_path / f"c{index}.mp4", seed=index), context)
        assert (clip.frames, clip.fps) == (9, 8)
        if index == 0:
            loads_after_first_clip = RESOURCES.load_counts("diffusers")
        entries.append(ClipEntry(clip=clip.path, scene_image=scene.path, caption=f"scene {index + 1}"))
    result = assemble_video(AssembleArgs(title="tiny", clips=entries, output_dir=tmp_path, crossfade_s=0), context)
    assert (result.info.frames, result.info.width, result.info.codec) == (18, 64, "h264")
    assert result.subtitles.read_text().count("-->") == 2
    # Pipelines load once per process and settings: every call after the first reused them.
    loads = RESOURCES.load_counts("diffusers")
    assert loads["diffusers:tiny:image"] == loads_after_first_use["diffusers:tiny:image"] >= 1
    assert loads["diffusers:tiny:video"] == loads_after_first_clip["diffusers:tiny:video"] >= 1


def test_the_foreground_reference_conditions_the_scene_image_through_the_ip_adapter(tmp_path: Path, context: RunResources) -> None:
    background = tmp_path / "bg.png"
    Image.new("RGB", (64, 64), (90, 160, 90)).save(background)
    red, blue = _cutout(tmp_path / "red.png", (220, 30, 30)), _cutout(tmp_path / "blue.png", (30, 30, 220))

    def render(cutout: Path, settings: Settings, name: str) -> np.ndarray:
        args = SceneImageArgs(event="a toy", foreground=[ForegroundReference(entity_id="toy", cutout=cutout)], background=background, output=tmp_path / name)
        path = generate_scene_image(args, RunResources(settings)).path
        return np.asarray(Image.open(path), dtype=np.int16)

    on = Settings(engine="tiny")
    off = Settings(engine="tiny", fg_reference_scale=0.0)
    with_reference = np.abs(render(red, on, "a.png") - render(blue, on, "b.png")).max()
    without_reference = np.abs(render(red, off, "c.png") - render(blue, off, "d.png")).max()
    assert with_reference > 10 * max(without_reference, 1)


def test_latent_warp_moves_each_frame_along_the_camera_path() -> None:
    anchor = torch.zeros(1, 2, 16, 16)
    anchor[:, :, 6:10, 6:10] = 1.0
    frames = warp_latent_frames(anchor, CameraMove(direction="left", speed="fast"), 3)
    assert frames.shape == (1, 3, 2, 16, 16)
    assert torch.allclose(frames[:, 0], anchor, atol=1e-5)
    dx, dy = estimate_shift(anchor[0, 0].numpy(), frames[0, -1, 0].numpy())
    assert dy == 0 and dx == pytest.approx(0.35 * 16, abs=1)


@pytest.mark.parametrize("direction", ["left", "right", "up", "down", "zoom in", "zoom out", "static"])
def test_camera_moves_show_in_the_generated_clip(direction: str) -> None:
    # Random weights carry no motion prior, so the blend is repeated over several steps to dominate.
    settings = Settings(engine="tiny", camera_start_step=1, camera_blend_steps=5, diffusion_steps=6)
    engine = get_engine(settings)
    image = draw_place(EntityPicture(id="city", name="city street", kind=EntityKind.BACKGROUND), 64, 64)
    frames = engine.scene_clip(image, "pan", CameraMove(direction=direction, speed="fast"), 9, seed=0, caption="")
    assert len(frames) == 9 and frames[0].shape == (64, 64, 3)
    assert engine.last_camera_steps == ([] if direction == "static" else [0, 1, 2, 3, 4])
    scores = camera_move_scores(frames[0], frames[-1])
    if direction == "static":  # nothing was injected: random weights leave no strong match to any move
        assert max(scores.values()) < 0.3, scores
    else:
        runner_up = max(score for move, score in scores.items() if move != direction)
        assert scores[direction] > runner_up + 0.05, scores


def test_the_papers_single_blend_after_t_m_steps_still_moves_the_clip() -> None:
    engine = get_engine(Settings(engine="tiny", camera_start_step=2, diffusion_steps=6))
    image = draw_place(EntityPicture(id="forest", name="forest", kind=EntityKind.BACKGROUND), 64, 64)
    frames = engine.scene_clip(image, "pan", CameraMove(direction="right", speed="fast"), 9, seed=0, caption="")
    assert engine.last_camera_steps == [1]
    scores = camera_move_scores(frames[0], frames[-1])
    assert scores["right"] > scores["left"] and scores["right"] > scores["static"]


def test_unknown_engine_names_the_choices() -> None:
    with pytest.raises(InputError, match="Unknown engine 'sdxxl'") as caught:
        get_engine(Settings(engine="sdxxl"))
    assert "animatic" in caught.value.hint and "tiny" in caught.value.hint


def test_a_real_preset_without_weights_says_how_to_get_them(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(Settings(engine="sdxl-cogvideox"))
    with pytest.raises(diffusers_engine.EngineUnavailable) as caught:
        engine.image_pipeline()
    assert "stabilityai/stable-diffusion-xl-base-1.0" in caught.value.message
    assert "--engine animatic" in caught.value.hint


def test_the_full_random_architectures_have_the_published_sizes() -> None:
    """The GPU benchmark's random-weight models are SDXL / CogVideoX-5B-I2V at their real sizes (built on 'meta')."""
    from diffusers import AutoencoderKL, AutoencoderKLCogVideoX, CogVideoXTransformer3DModel, UNet2DConditionModel
    from transformers import (
        CLIPTextConfig,
        CLIPTextModelWithProjection,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
        T5Config,
        T5EncoderModel,
    )

    from videodrafter.engines.random_weights import COGVIDEOX_ARCHITECTURES, SDXL_ARCHITECTURES

    def billions(module: torch.nn.Module) -> float:
        return round(sum(parameter.numel() for parameter in module.parameters()) / 1e9, 2)

    sdxl, cogvideox = SDXL_ARCHITECTURES["full"], COGVIDEOX_ARCHITECTURES["full"]
    with torch.device("meta"):
        assert billions(UNet2DConditionModel(**sdxl.unet)) == 2.57
        assert billions(AutoencoderKL(**sdxl.vae)) == 0.08
        assert billions(CLIPTextModelWithProjection(CLIPTextConfig(**sdxl.text_encoder_2))) == 0.69
        assert billions(CLIPVisionModelWithProjection(CLIPVisionConfig(**sdxl.image_encoder))) == 1.84
        assert billions(CogVideoXTransformer3DModel(**cogvideox.transformer)) == 5.57
        assert billions(AutoencoderKLCogVideoX(**cogvideox.vae)) == 0.22
        assert billions(T5EncoderModel(T5Config(**cogvideox.text_encoder))) == 4.76
    preset = get_engine(Settings(engine="random-sdxl-cogvideox")).preset
    assert (preset.video_width, preset.video_height, preset.video_frames) == (720, 480, 49)


def test_the_camera_blend_keeps_bf16_latents_with_the_released_cogvideox_scheduler() -> None:
    """CogVideoX's DPM scheduler returns x̂0 in float32; a bf16 pipeline must get bf16 latents back."""
    from diffusers import CogVideoXDPMScheduler

    from videodrafter.engines.latent_camera import LatentCameraControl
    from videodrafter.engines.random_weights import random_cogvideox_i2v_pipeline

    pipe = random_cogvideox_i2v_pipeline("tiny", dtype=torch.bfloat16)
    pipe.scheduler = CogVideoXDPMScheduler(
        beta_schedule="scaled_linear", prediction_type="v_prediction", rescale_betas_zero_snr=True, timestep_spacing="trailing"
    )
    pipe.set_progress_bar_config(disable=True)
    control = LatentCameraControl(CameraMove(direction="left", speed="fast"), "BFCHW", start_step=2)
    seen: list[torch.dtype] = []

    def record_dtype(pipeline, step_index, timestep, callback_kwargs):
        callback_kwargs = control(pipeline, step_index, timestep, callback_kwargs)
        seen.append(callback_kwargs["latents"].dtype)
        return callback_kwargs

    control.attach(pipe)
    try:
        result = pipe(
            image=Image.new("RGB", (64, 64), (100, 150, 200)), prompt="a dog runs", height=64, width=64, num_frames=9,
            num_inference_steps=4, generator=torch.Generator().manual_seed(0), output_type="np",
            callback_on_step_end=record_dtype, callback_on_step_end_tensor_inputs=["latents"],
            max_sequence_length=16, use_dynamic_cfg=False,
        )
    finally:
        control.detach()
    assert control.applied_at == [1]
    assert seen == [torch.bfloat16] * 4
    assert np.asarray(result.frames[0]).shape == (9, 64, 64, 3)


@pytest.mark.parametrize(("direction", "sign_x", "sign_y"), [("left", 1, 0), ("right", -1, 0), ("up", 0, 1), ("down", 0, -1)])
def test_the_camera_blend_moves_frames_the_same_in_both_latent_layouts(direction: str, sign_x: int, sign_y: int) -> None:
    """CogVideoX keeps (B, F, C, H, W), Wan (B, C, F, H, W): the same move must land on the frame axis in both."""
    from videodrafter.engines.latent_camera import LatentCameraControl

    torch.manual_seed(0)
    texture = torch.nn.functional.avg_pool2d(torch.randn(1, 8, 40, 40), 3, 1, 1)[..., 4:36, 4:36]
    frames_first = texture.unsqueeze(1).expand(1, 5, 8, 32, 32).contiguous()
    move = CameraMove(direction=direction, speed="fast")
    cog = LatentCameraControl(move, "BFCHW", blend=1.0)._blended(frames_first)
    wan = LatentCameraControl(move, "BCFHW", blend=1.0)._blended(frames_first.transpose(1, 2).contiguous())
    assert torch.allclose(cog, wan.transpose(1, 2))
    dx, dy = estimate_shift(cog[0, 0].mean(0).numpy(), cog[0, -1].mean(0).numpy())
    assert (np.sign(dx), np.sign(dy)) == (sign_x, sign_y) and max(abs(dx), abs(dy)) >= 8


def test_the_wan_pipeline_runs_with_the_camera_in_its_flow_matching_latents() -> None:
    """The sdxl-wan code path at tiny size: Wan I2V, flow-matching x̂0 = x − σ·v, (B, C, F, H, W) latents."""
    engine = get_engine(Settings(engine="tiny-wan", camera_start_step=2, diffusion_steps=4))
    image = draw_place(EntityPicture(id="city", name="city street", kind=EntityKind.BACKGROUND), 64, 64)
    moving = engine.scene_clip(image, "pan", CameraMove(direction="up", speed="fast"), 9, seed=0, caption="")
    assert engine.last_camera_steps == [1]
    still = engine.scene_clip(image, "pan", CameraMove(), 9, seed=0, caption="")
    assert engine.last_camera_steps == []
    assert len(moving) == len(still) == 9 and moving[0].shape == (64, 64, 3)
    assert not np.array_equal(np.stack(moving), np.stack(still))
    assert engine.describe()["video_model"] == "random:tiny"
