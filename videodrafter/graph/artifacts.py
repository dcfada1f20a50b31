"""Artifacts of a run: files keyed by the hash of their inputs, so only what changed is redone."""

from __future__ import annotations

from pydantic import BaseModel, Field

from videodrafter.consistency.verdict import Verdict
from videodrafter.engines.base import Depiction, SceneLayout
from videodrafter.media.video import VideoInfo
from videodrafter.script import FilePath


class ReferenceArtifact(BaseModel):
    """An entity's reference picture and its segmented version."""

    entity_id: str
    key: str = Field(description="Hash of everything that went into it.")
    image: FilePath
    conditioned: FilePath = Field(description="RGBA cutout (foreground) or cleaned scenery (background).")
    mask: FilePath
    source: str
    coverage: float
    note: str = ""
    depiction: Depiction | None = Field(default=None, description="What the engine drew (pictogram, drawing), where it says.")


class SceneCandidate(BaseModel):
    """One candidate scene image (round ``attempt``, ``rank`` within its batch), with its scores once measured."""

    scene: int
    attempt: int
    rank: int = Field(default=0, description="Index within the round's batch of candidates.")
    seed: int
    prompt: str = Field(default="", description="The prompt the picture was made from (the critic may have revised it).")
    key: str
    image: FilePath
    layout: SceneLayout
    score: float | None = Field(default=None, description="Lowest entity-vs-reference similarity; None: unmeasured.")
    entity_scores: dict[str, float] = Field(default_factory=dict)
    verdict: Verdict | None = Field(default=None, description="The vision critic's verdict; None: no critic or it failed.")
    critic_error: str = Field(default="", description="Why the critic gave no verdict on this picture.")
    continued_from: int | None = Field(
        default=None, description="A continued shot's start: the last frame of this scene's clip (index), not a drawn picture."
    )
    continued_from_key: str = Field(default="", description="The key of the clip whose last frame this is.")


class ClipArtifact(BaseModel):
    scene: int
    key: str
    path: FilePath
    image_key: str
    frames: int
    fps: float
    request_key: str = Field(default="", description="Key of the first try's inputs (a redone clip has its own key).")
    last_frame: FilePath | None = Field(default=None, description="The clip's last frame, uncaptioned (a continued shot starts from it).")
    start_image_sha256: str = Field(default="", description="SHA-256 of the picture the clip was made from.")
    continued_from: int | None = Field(default=None, description="The scene whose last frame this clip started from (a continued shot).")
    continued_from_key: str = Field(default="", description="The key of the clip it continued (part of this clip's own key).")
    references: list[str] = Field(default_factory=list, description="Entities whose reference pictures the clip model saw through the clip.")
    verdict: Verdict | None = Field(default=None, description="The critic's verdict on the clip kept.")
    first_verdict: Verdict | None = Field(default=None, description="The verdict that made the clip be redone, if any.")
    redone: bool = False


class PromptRevision(BaseModel):
    """A prompt the critic wrote for a scene's later rounds (kept only while the scene's event is unchanged)."""

    event: str
    from_attempt: int
    prompt: str


class VideoResult(BaseModel):
    """What a finished run hands back."""

    run_dir: FilePath
    video: FilePath
    contact_sheet: FilePath
    subtitles: FilePath
    timeline: FilePath
    manifest: FilePath
    info: VideoInfo
