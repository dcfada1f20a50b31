"""Clip family: Wan VACE (flow matching, latents (B, C, F, H, W)), held to the entities' reference pictures.

VACE's first-frame-to-video task: the start image is frame 0 of the ``video`` input, kept by a black
mask frame, and the rest (grey frames, white mask) is generated. The references go in as
``reference_images``: VACE encodes each one as an extra latent frame *in front of* the video's
(``latents[:, :, :n]``), denoises them with the clip, so every frame attends to them, and cuts them
off before decoding.

The camera injection (``latent_camera``) warps the first latent frame along the camera path onto every
frame; here the first frames are the references, so the camera is told to leave them alone
(``leading_frames``): they stay as VACE made them, and the camera anchors on the start frame.

Few-step distilled LoRAs exist for it (VACE-14B is built on Wan2.1-T2V-14B, and lightx2v's T2V step
distillation applies): ``--profile turbo``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from videodrafter.engines.families.base import ClipFamily
from videodrafter.engines.latent_camera import LatentCameraControl
from videodrafter.engines.segmentation import on_backdrop

GREY = (128, 128, 128)
"""The frames to generate: mid grey (0 after VACE's [-1, 1] scaling), as in diffusers' VACE examples."""


def first_frame_video(image: Image.Image, width: int, height: int, frames: int) -> tuple[list[Image.Image], list[Image.Image]]:
    """VACE's first-frame-to-video input: the start image then grey frames, and its mask (black: keep, white: generate)."""
    start = image.convert("RGB")
    if start.size != (width, height):
        start = start.resize((width, height), Image.Resampling.LANCZOS)
    grey = Image.new("RGB", (width, height), GREY)
    keep, generate = Image.new("L", (width, height), 0), Image.new("L", (width, height), 255)
    return [start, *[grey] * (frames - 1)], [keep, *[generate] * (frames - 1)]


def reference_picture(picture: Image.Image) -> Image.Image:
    """A reference as VACE takes it: RGB, a cut-out flattened onto the plain backdrop."""
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        return on_backdrop(picture.convert("RGBA"))
    return picture.convert("RGB")


class WanVACEFamily(ClipFamily):
    name = "wan-vace"
    latent_layout = "BCFHW"
    holds_references = True
    turbo_lora = True
    first_block_cache = False
    """diffusers' first-block cache hooks the main ``blocks`` only, and on a cached step VACE's forward still
    adds its hints after the skipped blocks, on top of a cached residual that holds them already: the
    control would count twice."""
    suggested_turbo_lora = "lightx2v/Wan2.1-T2V-14B-StepDistill-CfgDistill-Lightx2v::loras/Wan21_T2V_14B_lightx2v_cfg_step_distill_lora_rank64.safetensors"
    """VACE-14B is built on Wan2.1-T2V-14B: the T2V step distillation applies."""

    def load(self, dtype: Any) -> Any:
        from diffusers import WanVACEPipeline

        return WanVACEPipeline.from_pretrained(self.preset.video_model, torch_dtype=dtype)

    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        from videodrafter.engines.random_weights import random_wan_vace_pipeline

        return random_wan_vace_pipeline(architecture, seed=seed, device=device, dtype=dtype)

    def clip(
        self, pipe: Any, image: Image.Image, action: str, references: list[Image.Image], *, steps: int, guidance: float,
        generator: Any, callback: Any,
    ) -> np.ndarray:
        width, height, frames = self.preset.video_width, self.preset.video_height, self.preset.video_frames
        video, mask = first_frame_video(image, width, height, frames)
        pictures = [reference_picture(picture) for picture in references]
        if isinstance(callback, LatentCameraControl):
            callback.leading_frames = len(pictures)
        result = pipe(
            video=video, mask=mask, reference_images=pictures or None, prompt=action, height=height, width=width,
            num_frames=frames, num_inference_steps=steps, guidance_scale=guidance, generator=generator, output_type="np",
            callback_on_step_end=callback, callback_on_step_end_tensor_inputs=["latents"], **self.call_options(),
        )
        return np.asarray(result.frames[0])
