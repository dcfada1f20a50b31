"""The engine interface the tools call, and the scene layout shared by engines and consistency checks."""

from __future__ import annotations

import hashlib
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from videodrafter.script import CameraMove, EntityKind

LatentLayout = Literal["BFCHW", "BCFHW"]
"""How a clip family lays out its video latents: CogVideoX (B, F, C, H, W), Wan (B, C, F, H, W)."""


class Box(BaseModel):
    """A box in relative coordinates (0..1) of the frame."""

    x0: float = Field(ge=0, le=1)
    y0: float = Field(ge=0, le=1)
    x1: float = Field(ge=0, le=1)
    y1: float = Field(ge=0, le=1)

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        return (round(self.x0 * width), round(self.y0 * height), round(self.x1 * width), round(self.y1 * height))


class SceneLayout(BaseModel):
    """Where each foreground entity stands in a scene image (ids → boxes)."""

    boxes: dict[str, Box] = Field(default_factory=dict)


def plan_layout(foreground_ids: list[str], variant: str = "") -> SceneLayout:
    """Foreground entities side by side on the lower part of the frame, in script order.

    ``variant`` (e.g. the scene's event) shifts and scales the arrangement a little, so that
    scenes with the same cast do not look like copies of each other.
    """
    count = len(foreground_ids)
    if count == 0:
        return SceneLayout()
    digest = hashlib.sha256(variant.encode()).digest()
    jitter = (digest[0] / 255 - 0.5) * 0.5  # up to a quarter slot either way
    height = 0.55 + 0.15 * digest[1] / 255
    order = list(foreground_ids) if digest[2] % 2 == 0 or count == 1 else list(reversed(foreground_ids))
    slot = 1.0 / count
    width = min(0.42, slot * 0.9)
    boxes = {}
    for index, entity_id in enumerate(order):
        centre = min(max(slot * (index + 0.5 + jitter), width / 2), 1 - width / 2)
        boxes[entity_id] = Box(x0=max(0.0, centre - width / 2), y0=0.95 - height, x1=min(1.0, centre + width / 2), y1=0.95)
    return SceneLayout(boxes=boxes)


class EntityPicture(BaseModel):
    """What an engine needs to draw an entity's reference."""

    id: str
    name: str
    kind: EntityKind
    description: str = ""


class PictogramUse(BaseModel):
    """One pictogram of an open set, and how close its names came to the entity's words."""

    set: str = Field(description="The pictogram set and its version, e.g. 'OpenMoji 17.0.0'.")
    name: str
    codepoint: str = Field(description="Its code points, e.g. 'U+1F98A'.")
    similarity: float = Field(description="MiniLM cosine between the entity's words and the pictogram's names.")


class Depiction(BaseModel):
    """What an engine drew for an entity, recorded in the run manifest."""

    source: Literal["pictogram", "drawing", "backdrop"] = Field(
        description="pictogram: one picture from an open set; drawing: the engine's own figure (nothing was "
        "close enough); backdrop: a drawn place decorated with pictograms."
    )
    pictogram: PictogramUse | None = None
    decorations: list[PictogramUse] = Field(default_factory=list, description="Places: pictograms scattered over it.")
    tint: str | None = Field(default=None, description="The colour word the picture was tinted with.")
    badge: str | None = Field(default=None, description="Colour of the base that tells same-kind entities apart.")
    note: str = Field(default="", description="Why a drawing was used, when it was not for want of a close pictogram.")


class ForegroundCutout(BaseModel):
    """A segmented foreground reference (RGBA, alpha = U²-Net mask)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    entity_id: str
    image: Image.Image


class Engine(Protocol):
    """Image and clip generation. Implementations load models lazily and reuse them."""

    name: str
    width: int
    height: int
    fps: float
    draws_clean_backgrounds: bool
    """Its places never contain characters, so background references need no painting out."""
    draws_solid_subjects: bool
    """Its foreground references are one closed shape on a plain backdrop, so holes in their mask are paint."""
    holds_references: bool
    """Its clips are conditioned on the entities' reference pictures through every frame, not only on the start image."""

    def reference_image(self, entity: EntityPicture, *, seed: int) -> Image.Image:
        """A picture of one entity: a subject on a plain backdrop, or an empty place."""
        ...

    def scene_image(
        self,
        event: str,
        foreground: list[ForegroundCutout],
        background: Image.Image,
        layout: SceneLayout,
        *,
        seed: int,
    ) -> Image.Image:
        """The scene's key frame from its event text and the fg/bg references."""
        ...

    def scene_clip(
        self, image: Image.Image, action: str, camera: CameraMove, num_frames: int, *, seed: int, caption: str,
        references: list[Image.Image] | None = None,
    ) -> list[np.ndarray]:
        """RGB uint8 frames animating the scene image with the action and camera move (and, where the
        engine ``holds_references``, the entities' reference pictures)."""
        ...

    def describe(self) -> dict[str, str]:
        """Model ids and options, recorded in the run manifest."""
        ...

    def loaded_state(self) -> dict[str, object]:
        """What loading did in this process (e.g. a speed profile's optimisations), for the manifest;
        unlike ``describe`` it is not part of any cache key."""
        ...


@runtime_checkable
class DepictingEngine(Engine, Protocol):
    """An engine whose pictures of entities are chosen, not sampled, and can say what they show.

    Optional: the animatic engine has it; diffusion engines do not, and their references record no depiction.
    """

    def depict(self, entity: EntityPicture) -> Depiction:
        """What ``reference_image`` draws for this entity (a pure function of it)."""
        ...


@runtime_checkable
class CaptioningEngine(Engine, Protocol):
    """An engine whose clips carry their caption in the picture (the animatic's storyboard look).

    Captions are burned after the clip is made, so the clip's clean last frame can start the next
    shot of a continued scene."""

    def caption_frames(self, frames: list[np.ndarray], caption: str) -> list[np.ndarray]:
        """The frames with ``caption`` drawn over them."""
        ...
