"""Clip family: Wan 2.x image-to-video (flow matching, latents (B, C, F, H, W)); the start image is the key frame.

Few-step distilled LoRAs exist for it (lightx2v's Wan2.1-I2V step distillation): ``--profile turbo``.
"""

from __future__ import annotations

from typing import Any

from videodrafter.engines.families.base import ClipFamily


class WanI2VFamily(ClipFamily):
    name = "wan-i2v"
    latent_layout = "BCFHW"
    turbo_lora = True
    suggested_turbo_lora = "lightx2v/Wan2.1-I2V-14B-480P-StepDistill-CfgDistill-Lightx2v::loras/Wan21_I2V_14B_lightx2v_cfg_step_distill_lora_rank64.safetensors"

    def load(self, dtype: Any) -> Any:
        from diffusers import WanImageToVideoPipeline

        return WanImageToVideoPipeline.from_pretrained(self.preset.video_model, torch_dtype=dtype)

    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        from videodrafter.engines.random_weights import random_wan_i2v_pipeline

        return random_wan_i2v_pipeline(architecture, seed=seed, device=device, dtype=dtype)
