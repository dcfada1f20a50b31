"""Artifacts of a run: files keyed by the hash of their inputs, so only what changed is redone."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from videodrafter.engines.base import Depiction, SceneLayout
from videodrafter.media.video import VideoInfo


class ReferenceArtifact(BaseModel):
    """An entity's reference picture and its segmented version."""

    entity_id: str
    key: str = Field(description="Hash of everything that went into it.")
    image: Path
    conditioned: Path = Field(description="RGBA cutout (foreground) or cleaned scenery (background).")
    mask: Path
    source: str
    coverage: float
    note: str = ""
    depiction: Depiction | None = Field(default=None, description="What the engine drew (pictogram, drawing), where it says.")


class SceneCandidate(BaseModel):
    """One attempt at a scene image, with its consistency score once measured."""

    scene: int
    attempt: int
    seed: int
    key: str
    image: Path
    layout: SceneLayout
    score: float | None = Field(default=None, description="Lowest entity-vs-reference similarity; None: unmeasured.")
    entity_scores: dict[str, float] = Field(default_factory=dict)


class ClipArtifact(BaseModel):
    scene: int
    key: str
    path: Path
    image_key: str
    frames: int
    fps: float


class VideoResult(BaseModel):
    """What a finished run hands back."""

    run_dir: Path
    video: Path
    contact_sheet: Path
    subtitles: Path
    timeline: Path
    manifest: Path
    info: VideoInfo


def artifact_path(run_dir: Path, folder: str, stem: str, key: str, suffix: str) -> Path:
    return run_dir / folder / f"{stem}-{key}{suffix}"
