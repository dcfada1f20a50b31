"""Entity references: generate (or take the user's photo), then segment with U²-Net."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from videodrafter.engines.base import DepictingEngine, Depiction, EntityPicture
from videodrafter.engines.segmentation import (
    cut_out_foreground,
    paint_out_foreground,
    saliency_mask,
)
from videodrafter.media.files import is_complete, save_png_atomic
from videodrafter.media.images import load_user_photo
from videodrafter.script import Entity, EntityKind
from videodrafter.run_resources import RunResources

MIN_FOREGROUND_COVERAGE = 0.01


class ReferenceImageArgs(BaseModel):
    """Make the reference picture of one entity."""

    entity: Entity
    output: Path = Field(description="PNG to write.")
    seed: int = 0


class ReferenceImageResult(BaseModel):
    entity_id: str
    path: Path
    source: Literal["generated", "photo"]
    depiction: Depiction | None = Field(default=None, description="What the engine drew, where it can say (the animatic).")


def depict_entity(entity: Entity, context: RunResources) -> Depiction | None:
    """What the engine draws for an entity without a photo; None for engines that sample rather than choose."""
    if entity.reference_image is not None or not isinstance(context.engine, DepictingEngine):
        return None
    return context.engine.depict(EntityPicture(id=entity.id, name=entity.name, kind=entity.kind, description=entity.description))


def generate_reference_image(args: ReferenceImageArgs, context: RunResources) -> ReferenceImageResult:
    """The user's photo when the entity has one, else the engine's text-to-image picture."""
    entity = args.entity
    if entity.reference_image is not None:
        image = load_user_photo(Path(entity.reference_image))
        source: Literal["generated", "photo"] = "photo"
    else:
        picture = EntityPicture(id=entity.id, name=entity.name, kind=entity.kind, description=entity.description)
        image = context.engine.reference_image(picture, seed=args.seed)
        source = "generated"
    save_png_atomic(image.convert("RGB"), args.output)
    return ReferenceImageResult(entity_id=entity.id, path=args.output, source=source, depiction=depict_entity(entity, context))


class SegmentArgs(BaseModel):
    """Cut the salient object out of a reference (foreground) or paint it out (background)."""

    image: Path
    kind: EntityKind
    output: Path = Field(description="Conditioned reference PNG: RGBA cutout (fg) or cleaned scenery (bg).")
    mask_output: Path = Field(description="The U²-Net mask as a greyscale PNG.")
    paint_out: bool = Field(default=True, description="Backgrounds: paint out the salient object (off for clean scenery).")
    fill_holes: bool = Field(
        default=False,
        description="Foregrounds drawn as one closed shape (the animatic's pictograms): holes U²-Net leaves inside "
        "it are light paint (a white chest, a pale shirt), not background showing through.",
    )


class SegmentResult(BaseModel):
    path: Path
    mask_path: Path
    coverage: float = Field(description="Share of the image U²-Net called salient.")
    note: str = ""


def fill_mask_holes(mask: np.ndarray, threshold: float = 0.35) -> np.ndarray:
    """The mask with every region it encloses (unreachable from the border) made solid."""
    from PIL import ImageDraw

    solid = (mask >= threshold).astype(np.uint8) * 255
    padded = Image.fromarray(np.pad(solid, 1), mode="L").copy()  # floodfill needs its own writable pixels
    ImageDraw.floodfill(padded, (0, 0), 128)  # the outside: everything the border reaches
    holes = np.asarray(padded)[1:-1, 1:-1] == 0
    return np.where(holes, 1.0, mask).astype(mask.dtype)


def segment_foreground(args: SegmentArgs, context: RunResources) -> SegmentResult:
    with Image.open(args.image) as opened:
        image = opened.convert("RGB")
    segmentation = saliency_mask(image, context.settings.segmentation_model)
    mask = segmentation.mask
    note = ""
    if args.kind is EntityKind.FOREGROUND:
        if segmentation.coverage < MIN_FOREGROUND_COVERAGE:
            mask = np.ones_like(mask)
            note = "U²-Net found no clear subject; the whole picture is used as the reference"
        elif args.fill_holes:
            mask = fill_mask_holes(mask)
        conditioned = cut_out_foreground(image, mask)
    elif args.paint_out:
        conditioned = paint_out_foreground(image, mask)
    else:
        conditioned = image
    if not is_complete(args.mask_output):  # written before a kill that came ahead of the cut-out: the same mask, kept
        save_png_atomic(Image.fromarray((np.clip(mask, 0, 1) * 255).astype(np.uint8), mode="L"), args.mask_output)
    save_png_atomic(conditioned, args.output)
    return SegmentResult(path=args.output, mask_path=args.mask_output, coverage=segmentation.coverage, note=note)
