"""Scene images from event text + references, and scene clips from image + action + camera."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from PIL import Image
from pydantic import BaseModel, Field

from videodrafter.engines.base import CaptioningEngine, Engine, ForegroundCutout, SceneLayout, plan_layout
from videodrafter.media.files import is_complete, save_png_atomic
from videodrafter.media.video import encode_mp4
from videodrafter.script import CameraMove
from videodrafter.run_resources import RunResources


class ForegroundReference(BaseModel):
    entity_id: str
    cutout: Path = Field(description="RGBA cutout from segment_foreground.")


class SceneImageArgs(BaseModel):
    """Draw one scene's key frame."""

    event: str = Field(min_length=1)
    foreground: list[ForegroundReference] = Field(default_factory=list)
    background: Path = Field(description="Cleaned background reference.")
    output: Path
    seed: int = 0


class SceneImageResult(BaseModel):
    path: Path
    layout: SceneLayout


def _open_references(foreground: list[ForegroundReference], background_path: Path) -> tuple[list[ForegroundCutout], Image.Image]:
    """The foreground cutouts (RGBA) and the cleaned background (RGB) a scene image is made from."""
    cutouts = []
    for reference in foreground:
        with Image.open(reference.cutout) as opened:
            cutouts.append(ForegroundCutout(entity_id=reference.entity_id, image=opened.convert("RGBA")))
    with Image.open(background_path) as opened:
        background = opened.convert("RGB")
    return cutouts, background


def generate_scene_image(args: SceneImageArgs, context: RunResources) -> SceneImageResult:
    cutouts, background = _open_references(args.foreground, args.background)
    layout = plan_layout([reference.entity_id for reference in args.foreground], variant=args.event)
    image = context.engine.scene_image(args.event, cutouts, background, layout, seed=args.seed)
    save_png_atomic(image.convert("RGB"), args.output)
    return SceneImageResult(path=args.output, layout=layout)


class CandidateTarget(BaseModel):
    output: Path
    seed: int


class SceneCandidatesArgs(BaseModel):
    """Draw several candidates of one scene's key frame (one batched call where the engine can)."""

    event: str = Field(min_length=1, description="The prompt the pictures are made from (a critic may have revised it).")
    layout_variant: str = Field(description="What the layout is planned from: the script's event, so every candidate stands alike.")
    foreground: list[ForegroundReference] = Field(default_factory=list)
    background: Path = Field(description="Cleaned background reference.")
    targets: list[CandidateTarget] = Field(min_length=1)


@runtime_checkable
class BatchingEngine(Engine, Protocol):
    """An engine that makes several scene images in one call (diffusers: ``num_images_per_prompt``)."""

    def scene_images(
        self, event: str, foreground: list[ForegroundCutout], background: Image.Image, layout: SceneLayout, *, seeds: list[int]
    ) -> list[Image.Image]: ...


def generate_scene_candidates(args: SceneCandidatesArgs, context: RunResources) -> list[SceneImageResult]:
    """Candidates in one batched pipeline call where the engine batches, else one seed after another."""
    cutouts, background = _open_references(args.foreground, args.background)
    layout = plan_layout([reference.entity_id for reference in args.foreground], variant=args.layout_variant)
    engine = context.engine
    seeds = [target.seed for target in args.targets]
    if isinstance(engine, BatchingEngine):
        images = engine.scene_images(args.event, cutouts, background, layout, seeds=seeds)
    else:
        images = [engine.scene_image(args.event, cutouts, background, layout, seed=seed) for seed in seeds]
    for image, target in zip(images, args.targets, strict=True):
        save_png_atomic(image.convert("RGB"), target.output)
    return [SceneImageResult(path=target.output, layout=layout) for target in args.targets]


class SceneClipArgs(BaseModel):
    """Animate one scene image."""

    image: Path
    action: str = Field(min_length=1)
    camera: CameraMove = Field(default_factory=CameraMove)
    duration_s: float = Field(default=3.0, gt=0, le=30)
    caption: str = ""
    output: Path = Field(description="MP4 to write.")
    last_frame: Path | None = Field(default=None, description="PNG to write with the clip's last frame, uncaptioned (it may start the next shot).")
    references: list[Path] = Field(default_factory=list, description="Reference pictures the clip is held to (engines that hold references).")
    seed: int = 0


class SceneClipResult(BaseModel):
    path: Path
    frames: int
    fps: float
    last_frame: Path | None = None


def generate_scene_clip(args: SceneClipArgs, context: RunResources) -> SceneClipResult:
    engine = context.engine
    with Image.open(args.image) as opened:
        image = opened.convert("RGB")
    num_frames = max(2, round(args.duration_s * engine.fps))
    captioning = isinstance(engine, CaptioningEngine)
    references = [_open_rgb(path) for path in args.references]
    frames = engine.scene_clip(
        image, args.action, args.camera, num_frames, seed=args.seed, caption="" if captioning else args.caption, references=references or None,
    )
    frames = [_even(frame) for frame in frames]
    if args.last_frame is not None and not is_complete(args.last_frame):  # written before a kill: the same frame, kept
        save_png_atomic(Image.fromarray(frames[-1], mode="RGB"), args.last_frame)
    if captioning and args.caption:
        frames = engine.caption_frames(frames, args.caption)
    encode_mp4(frames, args.output, engine.fps)
    return SceneClipResult(path=args.output, frames=len(frames), fps=engine.fps, last_frame=args.last_frame)


def _open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as opened:
        return opened.convert("RGB") if opened.mode != "RGBA" else opened.copy()


def _even(frame):
    height, width = frame.shape[:2]
    return frame[: height - height % 2, : width - width % 2]
