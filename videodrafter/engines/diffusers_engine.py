"""The diffusers engine: SDXL (+ fg/bg IP-Adapters with masks) for images, an I2V model for clips.

Pipelines load lazily on first use and stay loaded for the life of the process, so every
scene and every run in a batch reuses them. The ``tiny`` preset builds the same pipeline
classes from configs with random weights (offline, CPU) and is what the tests run.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from videodrafter.config import Settings
from videodrafter.engines.base import EntityPicture, ForegroundCutout, SceneLayout
from videodrafter.engines.composition import compose_foreground, foreground_mask, invert
from videodrafter.engines.diffusers_presets import DiffusersPreset, random_architecture
from videodrafter.engines.latent_camera import LatentCameraControl
from videodrafter.engines.segmentation import BACKDROP
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
    """Scene images with SDXL + two IP-Adapters (fg, bg) and clips with CogVideoX/Wan I2V."""

    draws_clean_backgrounds = False  # SDXL may put people in a place: background references are painted out
    draws_solid_subjects = False  # a photo-like subject's mask holes can be real (between legs, under arms)

    def __init__(self, preset: DiffusersPreset, settings: Settings) -> None:
        self.preset = preset
        self.settings = settings
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

    def describe(self) -> dict[str, str]:
        return {
            "engine": self.name,
            "image_model": self.preset.image_model,
            "ip_adapter": f"{self.preset.ip_adapter_repo}/{self.preset.ip_adapter_subfolder}/{self.preset.ip_adapter_weight}",
            "video_model": self.preset.video_model,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "profile": self.profile,
            "video_steps": str(self.video_steps),
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

    # loading --------------------------------------------------------------------------
    def image_pipeline(self):
        """SDXL with the fg and bg IP-Adapters, shared by every engine with the same load settings."""
        return self._cached_pipeline("image", self._load_image_pipeline)

    def video_pipeline(self):
        return self._cached_pipeline("video", self._load_video_pipeline)

    def _cached_pipeline(self, kind: str, load):
        key = (kind, *self._load_key)
        return RESOURCES.get(PIPELINES, key, lambda: self._place(load(), kind), label=f"{self.preset.name}:{kind}")[0]

    def _load_image_pipeline(self):
        architecture = random_architecture(self.preset.image_model)
        if architecture is not None:
            from videodrafter.engines.random_weights import load_random_ip_adapters, random_sdxl_pipeline

            pipe = random_sdxl_pipeline(architecture, seed=self.settings.seed, device=self._build_device, dtype=self.dtype)
            load_random_ip_adapters(pipe, architecture)
            return pipe
        from diffusers import StableDiffusionXLPipeline

        pipe = self._download(lambda: StableDiffusionXLPipeline.from_pretrained(self.preset.image_model, torch_dtype=self.dtype), self.preset.image_model)
        # The same IP-Adapter twice: one branch for the foreground reference, one for the background.
        self._download(
            lambda: pipe.load_ip_adapter(
                self.preset.ip_adapter_repo,
                subfolder=[self.preset.ip_adapter_subfolder] * 2,
                weight_name=[self.preset.ip_adapter_weight] * 2,
                image_encoder_folder=self.preset.image_encoder_folder,
            ),
            self.preset.ip_adapter_repo,
        )
        return pipe

    def _load_video_pipeline(self):
        architecture = random_architecture(self.preset.video_model)
        if architecture is not None:
            from videodrafter.engines.random_weights import random_cogvideox_i2v_pipeline, random_wan_i2v_pipeline

            build = random_cogvideox_i2v_pipeline if self.preset.video_family == "cogvideox" else random_wan_i2v_pipeline
            return build(architecture, seed=self.settings.seed, device=self._build_device, dtype=self.dtype)
        if self.preset.video_family == "cogvideox":
            from diffusers import CogVideoXImageToVideoPipeline as VideoPipeline
        else:
            from diffusers import WanImageToVideoPipeline as VideoPipeline
        return self._download(lambda: VideoPipeline.from_pretrained(self.preset.video_model, torch_dtype=self.dtype), self.preset.video_model)

    @property
    def _build_device(self) -> str:
        """Where random weights are initialised: on the GPU unless models are offloaded to the CPU.

        ``low-memory`` also builds on the GPU (a CPU takes minutes for billions of parameters) and
        then moves every component to the CPU; real weights load on the CPU anyway.
        """
        return "cpu" if self.settings.cpu_offload else self.device

    def _download(self, load, model_id: str):
        try:
            return load()
        except (OSError, ValueError) as error:
            raise EngineUnavailable(
                f"Could not load '{model_id}' for engine {self.name}: {str(error).splitlines()[0][:300]}",
                f"Download it first (`hf download {model_id}`) on a machine with internet, or use --engine animatic.",
            ) from error

    def _place(self, pipe, kind: str) -> tuple[object, ProfileReport]:
        """Progress bars off, VAE tiling as configured, then where the profile puts it."""
        pipe.set_progress_bar_config(disable=True)
        if self.settings.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
            if hasattr(pipe.vae, "enable_slicing"):
                pipe.vae.enable_slicing()
        report = place_pipeline(
            pipe, kind, profile=self.profile, device=self.device, dtype=self.dtype,
            video_family=self.preset.video_family, compile_choice=self.settings.compile, cpu_offload=self.settings.cpu_offload,
        )
        log.info("%s %s pipeline: profile %s; %s", self.name, kind, self.profile, "; ".join(report.applied) or "as built")
        return pipe, report

    def _generator(self, seed: int):
        import torch

        return torch.Generator(device="cpu").manual_seed(seed)

    # generation -----------------------------------------------------------------------
    def reference_image(self, entity: EntityPicture, *, seed: int) -> Image.Image:
        pipe = self.image_pipeline()
        if entity.kind is EntityKind.FOREGROUND:
            prompt = f"a photo of {entity.name}, {entity.description}, full body, centered, plain light grey background"
        else:
            prompt = f"{entity.description or entity.name}, empty scenery, no people, wide shot"
        size = self.preset.reference_size
        blank = Image.new("RGB", (size, size), BACKDROP)
        with self._lock, attention_priority(self.profile, self.device):
            pipe.set_ip_adapter_scale([0.0, 0.0])  # text only: both reference branches off
            result = pipe(
                prompt=prompt,
                ip_adapter_image=[blank, blank],
                height=size,
                width=size,
                num_inference_steps=self.settings.diffusion_steps or self.preset.image_steps,
                guidance_scale=self.preset.image_guidance,
                generator=self._generator(seed),
                output_type="pil",
            )
        return result.images[0]

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
        from diffusers.image_processor import IPAdapterMaskProcessor

        pipe = self.image_pipeline()
        width, height = self.preset.image_width, self.preset.image_height
        board = compose_foreground(Image.new("RGB", (width, height), BACKDROP), foreground, layout, shadow=False)
        fg_mask = foreground_mask(layout, width, height)
        has_foreground = bool(foreground) and fg_mask.getbbox() is not None
        bg_mask = invert(fg_mask) if has_foreground else Image.new("L", (width, height), 255)
        masks = IPAdapterMaskProcessor().preprocess([fg_mask, bg_mask], height=height, width=width)
        fg_scale = self.settings.fg_reference_scale if has_foreground else 0.0
        with self._lock, attention_priority(self.profile, self.device):
            pipe.set_ip_adapter_scale([fg_scale, self.settings.bg_reference_scale])
            result = pipe(
                prompt=event,
                ip_adapter_image=[board, cover(background.convert("RGB"), width, height)],
                cross_attention_kwargs={"ip_adapter_masks": [masks[0:1], masks[1:2]]},
                height=height,
                width=width,
                num_inference_steps=self.settings.diffusion_steps or self.preset.image_steps,
                guidance_scale=self.preset.image_guidance,
                num_images_per_prompt=len(seeds),
                generator=[self._generator(seed) for seed in seeds],
                output_type="pil",
            )
        return list(result.images)

    def image_encoder(self):
        """The IP-Adapter's CLIP vision tower and its processor, as loaded for the scene images (no extra download)."""
        pipe = self.image_pipeline()
        return pipe.image_encoder, pipe.feature_extractor

    def scene_clip(
        self, image: Image.Image, action: str, camera: CameraMove, num_frames: int, *, seed: int, caption: str
    ) -> list[np.ndarray]:
        del num_frames, caption  # the model's native length; captions go to the SRT file
        pipe = self.video_pipeline()
        control = LatentCameraControl(
            camera,
            self.preset.latent_layout,
            start_step=self.settings.camera_start_step,
            blend=self.settings.camera_blend,
            blend_steps=self.settings.camera_blend_steps,
        )
        with self._lock, attention_priority(self.profile, self.device):
            control.attach(pipe)
            try:
                result = pipe(
                    image=cover(image.convert("RGB"), self.width, self.height),
                    prompt=action,
                    height=self.height,
                    width=self.width,
                    num_frames=self.preset.video_frames,
                    num_inference_steps=self.video_steps,
                    guidance_scale=self.preset.video_guidance,
                    generator=self._generator(seed),
                    output_type="np",
                    callback_on_step_end=control,
                    callback_on_step_end_tensor_inputs=["latents"],
                    **self.preset.video_call_options,
                )
            finally:
                control.detach()
        self.last_camera_steps = list(control.applied_at)
        frames = np.asarray(result.frames[0])
        return [np.clip(np.rint(frame * 255), 0, 255).astype(np.uint8) for frame in frames]
