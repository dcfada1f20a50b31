"""Named diffusers presets: which checkpoints, sizes and step counts a real run uses."""

from __future__ import annotations

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
        "with random weights (see engines/random_weights.py)."
    )
    ip_adapter_repo: str = "h94/IP-Adapter"
    ip_adapter_subfolder: str = "sdxl_models"
    ip_adapter_weight: str = "ip-adapter_sdxl.safetensors"
    image_encoder_folder: str = "sdxl_models/image_encoder"
    video_model: str = Field(description="Image-to-video checkpoint, or 'random:<architecture>'.")
    summary: str = Field(description="What the preset is for, in a few words (the --engine help).")
    image_family: str = Field(default="sdxl-ip-adapter", description="The image family (engines/families/): references and scene images.")
    clip_family: str = Field(description="The clip family (engines/families/): scene clips.")
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
    def latent_layout(self) -> LatentLayout:
        from videodrafter.engines.families import CLIP_FAMILIES

        return CLIP_FAMILIES[self.clip_family].latent_layout


PRESETS: dict[str, DiffusersPreset] = {
    "tiny": DiffusersPreset(
        name="tiny", summary="random weights, CPU tests", image_model="random:tiny", video_model="random:tiny", clip_family="cogvideox-i2v",
        image_width=64, image_height=64, reference_size=64, image_steps=4, video_width=64, video_height=64,
        video_frames=9, video_fps=8, video_steps=6, max_text_length=16,
    ),
    # The sdxl-wan code path (Wan I2V: flow matching, (B,C,F,H,W) latents) at the tiny size.
    "tiny-wan": DiffusersPreset(
        name="tiny-wan", summary="random weights, the Wan path on a CPU", image_model="random:tiny", video_model="random:tiny", clip_family="wan-i2v",
        image_width=64, image_height=64, reference_size=64, image_steps=4, video_width=64, video_height=64,
        video_frames=9, video_fps=8, video_steps=6, video_guidance=5.0, max_text_length=16,
    ),
    "sdxl-cogvideox": DiffusersPreset(
        name="sdxl-cogvideox", summary="GPU, downloads the models", image_model="stabilityai/stable-diffusion-xl-base-1.0",
        video_model="THUDM/CogVideoX-5b-I2V", clip_family="cogvideox-i2v",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=720, video_height=480, video_frames=49, video_fps=8, video_steps=50,
    ),
    "sdxl-wan": DiffusersPreset(
        name="sdxl-wan", summary="GPU, downloads the models", image_model="stabilityai/stable-diffusion-xl-base-1.0",
        video_model="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", clip_family="wan-i2v",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=832, video_height=480, video_frames=81, video_fps=16, video_steps=40, video_guidance=5.0,
        max_text_length=512,
    ),
    # The sdxl-cogvideox architectures at their real sizes with random weights: nothing to download,
    # pictures are noise, but time and memory per scene are those of the real models (GPU benchmark).
    "random-sdxl-cogvideox": DiffusersPreset(
        name="random-sdxl-cogvideox", summary="real sizes, random weights: GPU benchmark", image_model="random:full", video_model="random:full", clip_family="cogvideox-i2v",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=720, video_height=480, video_frames=49, video_fps=8, video_steps=50,
    ),
    # The flux2-klein image family (scene composed from the reference pictures) at the tiny size.
    "tiny-flux2": DiffusersPreset(
        name="tiny-flux2", summary="random weights, the FLUX.2 klein keyframe path on a CPU", image_model="random:tiny",
        image_family="flux2-klein", video_model="random:tiny", clip_family="cogvideox-i2v",
        image_width=64, image_height=64, reference_size=64, image_steps=4, image_guidance=1.0, video_width=64, video_height=64,
        video_frames=9, video_fps=8, video_steps=6, max_text_length=16,
    ),
    # FLUX.2 [klein] 4B (Apache-2.0, step-distilled: 4 steps, guidance off) for references and key frames.
    "flux2-wan": DiffusersPreset(
        name="flux2-wan", summary="GPU, downloads the models", image_model="black-forest-labs/FLUX.2-klein-4B",
        image_family="flux2-klein", video_model="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", clip_family="wan-i2v",
        image_width=1344, image_height=768, reference_size=1024, image_steps=4, image_guidance=1.0,
        video_width=832, video_height=480, video_frames=81, video_fps=16, video_steps=40, video_guidance=5.0,
        max_text_length=512,
    ),
    # FLUX.2 klein 4B (with Qwen3-4B) and CogVideoX-5B-I2V at their real sizes with random weights (GPU benchmark).
    "random-flux2-cogvideox": DiffusersPreset(
        name="random-flux2-cogvideox", summary="real sizes, random weights: GPU benchmark", image_model="random:full",
        image_family="flux2-klein", video_model="random:full", clip_family="cogvideox-i2v",
        image_width=1344, image_height=768, reference_size=1024, image_steps=4, image_guidance=1.0,
        video_width=720, video_height=480, video_frames=49, video_fps=8, video_steps=50,
    ),
    # The wan-vace clip family (Wan VACE: every frame held to the references, which VACE puts as latent
    # frames in front of the clip's) at the tiny size.
    "tiny-vace": DiffusersPreset(
        name="tiny-vace", summary="random weights, the reference-held Wan VACE path on a CPU", image_model="random:tiny",
        video_model="random:tiny", clip_family="wan-vace",
        image_width=64, image_height=64, reference_size=64, image_steps=4, video_width=64, video_height=64,
        video_frames=9, video_fps=8, video_steps=6, video_guidance=5.0, max_text_length=16,
    ),
    "sdxl-vace": DiffusersPreset(
        name="sdxl-vace", summary="GPU, downloads the models", image_model="stabilityai/stable-diffusion-xl-base-1.0",
        video_model="Wan-AI/Wan2.1-VACE-14B-diffusers", clip_family="wan-vace",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=832, video_height=480, video_frames=81, video_fps=16, video_steps=40, video_guidance=5.0,
        max_text_length=512,
    ),
    # SDXL and Wan2.1-VACE-14B (with UMT5-XXL) at their real sizes with random weights (GPU benchmark).
    "random-sdxl-vace": DiffusersPreset(
        name="random-sdxl-vace", summary="real sizes, random weights: GPU benchmark", image_model="random:full",
        video_model="random:full", clip_family="wan-vace",
        image_width=1344, image_height=768, reference_size=1024, image_steps=30,
        video_width=832, video_height=480, video_frames=81, video_fps=16, video_steps=40, video_guidance=5.0,
        max_text_length=512,
    ),
}


def engine_help() -> str:
    """The --engine help, from the presets themselves."""
    presets = ", ".join(f"{name} ({preset.summary})" for name, preset in PRESETS.items())
    return f"animatic (offline storyboard, default), {presets}."
