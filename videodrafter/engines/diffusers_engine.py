"""The diffusers engine: a preset's image family (references, scene images) and clip family (clips).

The family modules (``engines/families/``) hold each model's pipeline code; this engine loads their
pipelines lazily on first use, keeps them for the life of the process (every scene and every run in
a batch reuses them), applies the speed profile and injects the camera move into the clip latents.
The ``tiny`` presets build the same pipeline classes from configs with random weights (offline,
CPU) and are what the tests run.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from videodrafter.config import Settings
from videodrafter.engines.base import EntityPicture, ForegroundCutout, SceneLayout
from videodrafter.engines.diffusers_presets import DiffusersPreset, random_architecture
from videodrafter.engines.families import CLIP_FAMILIES, IMAGE_FAMILIES
from videodrafter.engines.latent_camera import LatentCameraControl
from videodrafter.engines.speed_profiles import ProfileReport, attention_priority, place_pipeline, video_steps
from videodrafter.errors import VideoDrafterError
from videodrafter.media.images import cover
from videodrafter.resources import RESOURCES
from videodrafter.script import CameraMove, EntityKind

log = logging.getLogger(__name__)

PIPELINES = "diffusers"
"""The resource kind of loaded pipelines: (pipeline, what its profile did), one per load key;
``RESOURCES.load_counts("diffusers")`` says how often each preset's pipelines were built."""


def release_pipelines() -> None:
    """Drop every loaded pipeline of this process and give their memory back (benchmarks switch profiles)."""
    import gc

    import torch

    RESOURCES.release(PIPELINES)
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class EngineUnavailable(VideoDrafterError):
    """A model could not be loaded (missing package, no download, out of memory)."""


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise EngineUnavailable(f"Device '{requested}' was asked for, but no CUDA GPU is visible.", "Use --device cpu or --engine animatic.")
    return requested


def resolve_dtype(requested: str, device: str):
    import torch

    if requested == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}[requested]
    except KeyError as error:
        raise EngineUnavailable(f"Unknown dtype '{requested}'.", "Use auto, float16, bfloat16 or float32.") from error


class DiffusersEngine:
    """Scene images from the preset's image family, clips from its clip family."""

    draws_clean_backgrounds = False  # a diffusion model may put people in a place: background references are painted out
    draws_solid_subjects = False  # a photo-like subject's mask holes can be real (between legs, under arms)

    def __init__(self, preset: DiffusersPreset, settings: Settings) -> None:
        self.preset = preset
        self.settings = settings
        self.image_family = IMAGE_FAMILIES[preset.image_family](preset, settings)
        self.clip_family = CLIP_FAMILIES[preset.clip_family](preset, settings)
        self.name = f"diffusers:{preset.name}"
        self.width = preset.video_width
        self.height = preset.video_height
        self.fps = preset.video_fps
        self.device = resolve_device(settings.device)
        self.dtype = resolve_dtype(settings.dtype, self.device)
        self._lock = RESOURCES.kind_lock(PIPELINES)  # one pipeline call at a time: they are not thread-safe
        self.profile = settings.profile
        self._load_key = (
            preset.name, self.device, str(self.dtype), settings.cpu_offload, settings.vae_tiling, settings.seed,
            settings.profile, settings.compile,
        )
        self.last_camera_steps: list[int] = []

    @property
    def holds_references(self) -> bool:
        """Its clips see the entities' reference pictures, not only the start image."""
        return self.clip_family.holds_references

    def describe(self) -> dict[str, str]:
        turbo = {"turbo_lora": self.settings.turbo_lora or "", "video_guidance": str(self.video_guidance)} if self.profile == "turbo" else {}
        return {
            "engine": self.name,
            **self.image_family.describe(),
            **self.clip_family.describe(),
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "profile": self.profile,
            "video_steps": str(self.video_steps),
            **turbo,
        }

    def loaded_state(self) -> dict[str, object]:
        """The profile and what it did to each pipeline this process loaded with these settings."""
        state: dict[str, object] = {"profile": self.profile}
        for kind in ("image", "video"):
            loaded = RESOURCES.peek(PIPELINES, (kind, *self._load_key))
            if loaded is not None:
                state[kind] = loaded[1].model_dump()
        return state

    @property
    def video_steps(self) -> int:
        return video_steps(self.profile, self.preset.video_steps, self.settings.diffusion_steps)

    @property
    def video_guidance(self) -> float:
        if self.profile == "turbo":
            from videodrafter.engines.turbo import TURBO_GUIDANCE

            return TURBO_GUIDANCE
        return self.preset.video_guidance

    # loading --------------------------------------------------------------------------
    def image_pipeline(self):
        """The image family's pipeline, shared by every engine with the same load settings."""
        return self._cached_pipeline("image", lambda: self._load(self.image_family, self.preset.image_model))

    def video_pipeline(self):
        return self._cached_pipeline("video", lambda: self._load(self.clip_family, self.preset.video_model))

    def _cached_pipeline(self, kind: str, load):
        key = (kind, *self._load_key)
        return RESOURCES.get(PIPELINES, key, lambda: self._place(load(), kind), label=f"{self.preset.name}:{kind}")[0]

    def _load(self, family, model_id: str):
        architecture = random_architecture(model_id)
        if architecture is not None:
            return family.load_random(architecture, seed=self.settings.seed, device=self._build_device, dtype=self.dtype)
        try:
            return family.load(self.dtype)
        except (OSError, ValueError) as error:
            raise EngineUnavailable(
                f"Could not load '{model_id}' for engine {self.name}: {str(error).splitlines()[0][:300]}",
                f"Download it first (`hf download {model_id}`) on a machine with internet, or use --engine animatic.",
            ) from error

    @property
    def _build_device(self) -> str:
        """Where random weights are initialised: on the GPU unless models are offloaded to the CPU.

        ``low-memory`` also builds on the GPU (a CPU takes minutes for billions of parameters) and
        then moves every component to the CPU; real weights load on the CPU anyway.
        """
        return "cpu" if self.settings.cpu_offload else self.device

    def _place(self, pipe, kind: str) -> tuple[object, ProfileReport]:
        """Progress bars off, VAE tiling as configured, then where the profile puts it."""
        pipe.set_progress_bar_config(disable=True)
        if self.settings.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
            if hasattr(pipe.vae, "enable_slicing"):
                pipe.vae.enable_slicing()
        if kind == "video" and self.profile == "turbo":
            from videodrafter.engines.turbo import check_turbo, load_turbo_lora

            family = self.clip_family
            lora = check_turbo(self.settings.turbo_lora, self.name, family.name, family.turbo_lora, family.suggested_turbo_lora)
            turbo = load_turbo_lora(pipe, lora)
        report = place_pipeline(
            pipe, kind, profile=self.profile, device=self.device, dtype=self.dtype,
            cache_threshold=self.clip_family.first_block_cache_threshold if self.clip_family.first_block_cache else None,
            compile_choice=self.settings.compile,
            cpu_offload=self.settings.cpu_offload,
        )
        if kind == "video" and self.profile == "turbo":
            report.applied.append(f"turbo LoRA {turbo['turbo_lora']} ({turbo['lora_layers']} layers), {self.video_steps} steps, guidance {self.video_guidance}")
        log.info("%s %s pipeline: profile %s; %s", self.name, kind, self.profile, "; ".join(report.applied) or "as built")
        return pipe, report

    def _generator(self, seed: int):
        import torch

        return torch.Generator(device="cpu").manual_seed(seed)

    # generation -----------------------------------------------------------------------
    def reference_image(self, entity: EntityPicture, *, seed: int) -> Image.Image:
        if entity.kind is EntityKind.FOREGROUND:
            prompt = f"a photo of {entity.name}, {entity.description}, full body, centered, plain light grey background"
        else:
            prompt = f"{entity.description or entity.name}, empty scenery, no people, wide shot"
        pipe = self.image_pipeline()
        with self._lock, attention_priority(self.profile, self.device):
            return self.image_family.reference_image(pipe, entity, prompt, self._generator(seed))

    def scene_image(
        self,
        event: str,
        foreground: list[ForegroundCutout],
        background: Image.Image,
        layout: SceneLayout,
        *,
        seed: int,
    ) -> Image.Image:
        return self.scene_images(event, foreground, background, layout, seeds=[seed])[0]

    def scene_images(
        self,
        event: str,
        foreground: list[ForegroundCutout],
        background: Image.Image,
        layout: SceneLayout,
        *,
        seeds: list[int],
    ) -> list[Image.Image]:
        """Candidates of one scene in one batched call: one generator per seed, so each keeps its own noise."""
        pipe = self.image_pipeline()
        with self._lock, attention_priority(self.profile, self.device):
            return self.image_family.scene_images(pipe, event, foreground, background, layout, [self._generator(seed) for seed in seeds])

    def image_encoder(self):
        """The image family's CLIP vision tower and processor, as loaded for the scene images (no extra download)."""
        encoder = self.image_family.image_encoder(self.image_pipeline())
        if encoder is None:
            raise EngineUnavailable(f"The engine {self.name} has no CLIP image encoder.", "Use --image-embedder appearance or dinov2.")
        return encoder

    def scene_clip(
        self, image: Image.Image, action: str, camera: CameraMove, num_frames: int, *, seed: int, caption: str,
        references: list[Image.Image] | None = None,
    ) -> list[np.ndarray]:
        del num_frames, caption  # the model's native length; captions go to the SRT file
        pipe = self.video_pipeline()
        control = LatentCameraControl(
            camera,
            self.clip_family.latent_layout,
            start_step=self.settings.camera_start_step,
            blend=self.settings.camera_blend,
            blend_steps=self.settings.camera_blend_steps,
        )
        with self._lock, attention_priority(self.profile, self.device):
            control.attach(pipe)
            try:
                frames = self.clip_family.clip(
                    pipe, cover(image.convert("RGB"), self.width, self.height), action, list(references or []),
                    steps=self.video_steps, guidance=self.video_guidance, generator=self._generator(seed), callback=control,
                )
            finally:
                control.detach()
        self.last_camera_steps = list(control.applied_at)
        return [np.clip(np.rint(frame * 255), 0, 255).astype(np.uint8) for frame in frames]
