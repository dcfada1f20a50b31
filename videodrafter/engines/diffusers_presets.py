"""Named diffusers presets: which checkpoints, sizes and step counts a real run uses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from videodrafter.engines.base import LatentLayout


def random_architecture(model: str) -> str | None:
    """The architecture a 'random:<architecture>' model id names; None for a checkpoint id."""
    return model.removeprefix("random:") if model.startswith("random:") else None


class DiffusersPreset(BaseModel):
    """Everything that differs between presets; the pipeline code is the same."""

    name: str
    image_model: str = Field(
        description="SDXL checkpoint for references and scene images; 'random:<architecture>' builds one "
        "with random weights (see engines/random_components.py)."
    )
    ip_adapter_repo: str = "h94/IP-Adapter"
    ip_adapter_subfolder: str = "sdxl_models"
    ip_adapter_weight: str = "ip-adapter_sdxl.safetensors"
    image_encoder_folder: str = "sdxl_models/image_encoder"
    video_model: str = Field(description="Image-to-video checkpoint, or 'random:<architecture>'.")
    summary: str = Field(description="What the preset is for, in a few words (the --engine help).")
    video_family: Literal["cogvideox", "wan"]
    image_width: int
    image_height: int
    reference_size: int
    image_steps: int
    image_guidance: float = 6.0
    video_width: int
    video_height: int
    video_frames: int
    video_fps: float
    video_steps: int
    video_guidance: float = 6.0
    max_text_length: int = 226

    @property
    def video_call_options(self) -> dict[str, object]:
        """Keyword arguments of the video pipeline call that depend on the model family."""
        options: dict[str, object] = {"max_sequence_length": self.max_text_length}
        if self.video_family == "cogvideox":
            options["use_dynamic_cfg"] = False
        return options

    @property
    def latent_layout(self) -> LatentLayout:
        return "BFCHW" if self.video_family == "cogvideox" else "BCFHW"


PRESETS: dict[str, DiffusersPreset] = {
    "tiny": DiffusersPreset(
        name="tiny", summary="random weights, CPU tests", image_model="random:tiny", video_model="random:tiny", video_family="cogvideox",
        image_width=64, image_height=64, reference_size=64, image_steps=4, video_width=64, video_height=64,
        video_frames=9, video_fps=8, video_steps=6, max_text_length=16,
    ),
    # The sdxl-wan code path (Wan I2V: flow matching, (B,C,F,H,W) latents) at the tiny size.
    "tiny-wan": DiffusersPreset(
        name="tiny-wan", summary="random weights, the Wan path on a CPU", image_model="random:tiny", video_model="random:tiny", video_family="wan",
        image_width=64, image_height=64, reference_size=64, image_steps=4, video_width=64, video_height=64,
        video_frames=9, video_fps=8, video_steps=6, video_guidance=5.0, max_text_length=16,
    ),
    "sdxl-cogvideox": DiffusersPreset(
        name="sdxl-cogvideox", summary="GPU, downloads the models", image_model="stabilityai/stable-diffusion-xl-base-1.0",
        video_model="THUDM/CogVideoX-5b-I2V", video_family="cogvideox",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=720, video_height=480, video_frames=49, video_fps=8, video_steps=50,
    ),
    "sdxl-wan": DiffusersPreset(
        name="sdxl-wan", summary="GPU, downloads the models", image_model="stabilityai/stable-diffusion-xl-base-1.0",
        video_model="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", video_family="wan",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=832, video_height=480, video_frames=81, video_fps=16, video_steps=40, video_guidance=5.0,
        max_text_length=512,
    ),
    # The sdxl-cogvideox architectures at their real sizes with random weights: nothing to download,
    # pictures are noise, but time and memory per scene are those of the real models (GPU benchmark).
    "random-sdxl-cogvideox": DiffusersPreset(
        name="random-sdxl-cogvideox", summary="real sizes, random weights: GPU benchmark", image_model="random:full", video_model="random:full", video_family="cogvideox",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=720, video_height=480, video_frames=49, video_fps=8, video_steps=50,
    ),
}


def engine_help() -> str:
    """The --engine help, from the presets themselves."""
    presets = ", ".join(f"{name} ({preset.summary})" for name, preset in PRESETS.items())
    return f"animatic (offline storyboard, default), {presets}."
