"""How much an entity in a scene image still looks like its reference."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageFilter
from pydantic import BaseModel, Field

from videodrafter.engines.base import Box
from videodrafter.consistency.appearance import cosine
from videodrafter.run_resources import RunResources


class ConsistencyArgs(BaseModel):
    """Compare a reference cutout with the region of a scene image where the entity stands."""

    reference: Path = Field(description="The entity's RGBA cutout (or any reference picture).")
    scene_image: Path
    region: Box | None = Field(default=None, description="Where the entity is in the scene (None: whole frame).")


class ConsistencyResult(BaseModel):
    score: float = Field(description="Cosine similarity of the two embeddings, -1..1.")
    embedder: str


def measure_consistency(args: ConsistencyArgs, context: RunResources) -> ConsistencyResult:
    embedder = context.embedder
    with Image.open(args.reference) as opened:
        reference = opened.convert("RGBA")
    with Image.open(args.scene_image) as opened:
        scene = opened.convert("RGB")
    if args.region is not None:
        scene = scene.crop(args.region.pixels(scene.width, scene.height))
    alpha = reference.getchannel("A")
    solid = alpha.point(lambda value: 255 if value > 40 else 0)  # the same cut scenes use to place subjects
    if args.region is not None and solid.getbbox() is not None and alpha.getextrema()[0] < 255:
        # compare like with like: keep the crop's pixels under the subject's silhouette, placed the
        # way scenes place subjects (fitted to the box, standing on its bottom edge), minus a thin rim
        box = solid.getbbox()
        silhouette = solid.crop(box)
        scale = min(scene.width / silhouette.width, scene.height / silhouette.height)
        size = (max(1, round(silhouette.width * scale)), max(1, round(silhouette.height * scale)))
        position = ((scene.width - size[0]) // 2, scene.height - size[1])
        mask = Image.new("L", scene.size, 0)
        mask.paste(silhouette.resize(size, Image.BILINEAR), position)
        mask = mask.filter(ImageFilter.MinFilter(3)) if min(scene.size) >= 24 else mask
        # the reference goes through the same resize, so both sides have the same blur and pixels
        fitted = Image.new("RGBA", scene.size, (0, 0, 0, 0))
        fitted.paste(reference.crop(box).resize(size, Image.LANCZOS), position)
        fitted.putalpha(mask)
        reference = fitted
        scene = scene.convert("RGBA")
        scene.putalpha(mask)
    score = cosine(embedder.embed(reference), embedder.embed(scene))
    return ConsistencyResult(score=score, embedder=embedder.name)
