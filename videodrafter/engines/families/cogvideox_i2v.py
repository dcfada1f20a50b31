"""Clip family: CogVideoX image-to-video (latents (B, F, C, H, W)); the start image is the key frame."""

from __future__ import annotations

from typing import Any

from videodrafter.engines.families.base import ClipFamily


class CogVideoXI2VFamily(ClipFamily):
    name = "cogvideox-i2v"
    latent_layout = "BFCHW"

    def load(self, dtype: Any) -> Any:
        from diffusers import CogVideoXImageToVideoPipeline

        return CogVideoXImageToVideoPipeline.from_pretrained(self.preset.video_model, torch_dtype=dtype)

    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        from videodrafter.engines.random_weights import random_cogvideox_i2v_pipeline

        return random_cogvideox_i2v_pipeline(architecture, seed=seed, device=device, dtype=dtype)

    def call_options(self) -> dict[str, object]:
        return {**super().call_options(), "use_dynamic_cfg": False}
