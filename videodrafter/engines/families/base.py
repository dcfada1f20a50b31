"""What an engine family is: the pipeline code of one kind of model, behind one small interface.

A diffusers preset names an image family (references and scene images) and a clip family (scene
clips). Each family is its own module that loads its pipeline (from the hub, or with random weights
built from configs) and calls it; what it can do is declared on the class, and callers read it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from PIL import Image

from videodrafter.engines.base import EntityPicture, ForegroundCutout, LatentLayout, SceneLayout

if TYPE_CHECKING:
    from videodrafter.config import Settings
    from videodrafter.engines.diffusers_presets import DiffusersPreset


class ImageFamily(ABC):
    """Makes entity references and scene key frames."""

    name: ClassVar[str]
    composes_references: ClassVar[bool]
    """The scene image is composed from the reference pictures themselves (multi-reference editing),
    not from their embeddings through IP-Adapters."""
    has_image_encoder: ClassVar[bool] = False
    """Its pipeline holds a CLIP vision tower that the consistency check may reuse."""

    def __init__(self, preset: DiffusersPreset, settings: Settings) -> None:
        self.preset = preset
        self.settings = settings

    @property
    def steps(self) -> int:
        return self.settings.diffusion_steps or self.preset.image_steps

    def describe(self) -> dict[str, str]:
        return {"image_family": self.name, "image_model": self.preset.image_model}

    @abstractmethod
    def load(self, dtype: Any) -> Any:
        """The pipeline with real weights (downloaded by diffusers on first use)."""

    @abstractmethod
    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        """The same pipeline class with random weights built from configs (``tiny``, ``full``)."""

    @abstractmethod
    def reference_image(self, pipe: Any, entity: EntityPicture, prompt: str, generator: Any) -> Image.Image:
        """A picture of one entity from its prompt."""

    @abstractmethod
    def scene_images(
        self, pipe: Any, event: str, foreground: list[ForegroundCutout], background: Image.Image, layout: SceneLayout, generators: list[Any],
    ) -> list[Image.Image]:
        """One key frame per generator, from the event and the references."""

    def image_encoder(self, pipe: Any) -> tuple[Any, Any] | None:
        """The pipeline's CLIP vision tower and processor, where it has one."""
        return None


class ClipFamily(ABC):
    """Animates a scene's key frame with its action."""

    name: ClassVar[str]
    latent_layout: ClassVar[LatentLayout]
    """Where frames are in its video latents, for the camera injection."""
    holds_references: ClassVar[bool] = False
    """Every frame is conditioned on the entities' reference pictures, not only the first."""
    first_block_cache: ClassVar[bool] = True
    """The ``fast`` profile's first-block cache gives the same output as computing every block (within its threshold)."""
    first_block_cache_threshold: ClassVar[float] = 0.05
    turbo_lora: ClassVar[bool] = False
    """A few-step distilled LoRA exists for it (``--profile turbo``)."""
    suggested_turbo_lora: ClassVar[str] = ""
    """Where the family's distilled LoRA is published, as ``<hub repo>::<file>`` (said when none is given)."""

    def __init__(self, preset: DiffusersPreset, settings: Settings) -> None:
        self.preset = preset
        self.settings = settings

    def describe(self) -> dict[str, str]:
        return {"clip_family": self.name, "video_model": self.preset.video_model}

    @abstractmethod
    def load(self, dtype: Any) -> Any:
        """The pipeline with real weights."""

    @abstractmethod
    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        """The same pipeline class with random weights built from configs."""

    def call_options(self) -> dict[str, object]:
        """Keyword arguments of the pipeline call that only this family takes."""
        return {"max_sequence_length": self.preset.max_text_length}

    def clip(
        self, pipe: Any, image: Image.Image, action: str, references: list[Image.Image], *, steps: int, guidance: float,
        generator: Any, callback: Any,
    ) -> np.ndarray:
        """Frames (F, H, W, 3) in [0, 1] from the start image, the action and (where held) the references."""
        del references
        result = pipe(
            image=image, prompt=action, height=self.preset.video_height, width=self.preset.video_width,
            num_frames=self.preset.video_frames, num_inference_steps=steps, guidance_scale=guidance, generator=generator,
            output_type="np", callback_on_step_end=callback, callback_on_step_end_tensor_inputs=["latents"], **self.call_options(),
        )
        return np.asarray(result.frames[0])
