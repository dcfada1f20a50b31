"""``manifest.json``: what a finished run was made from and with, for people and tools.

The model is the documentation: every field says what it holds. The assembly stage builds it;
``Manifest.read`` reads one back (the web UI, evals).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from videodrafter.audio.music import MusicSource
from videodrafter.audio.speech_files import NarrationAudio
from videodrafter.consistency.verdict import Verdict
from videodrafter.graph.artifacts import ClipArtifact, ReferenceArtifact, SceneCandidate
from videodrafter.graph.state import ScriptApproval
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.video import VideoInfo
from videodrafter.script import FilePath


class CriticSummary(BaseModel):
    """What the vision critic judged and what its verdicts caused (read by the eval reports)."""

    spec: str | None = Field(description="The critic's LLM spec (None: a model injected by the caller).")
    down: bool = Field(description="The critic failed during the run; the image embedder decided from then on.")
    scene_verdicts: int = Field(description="Scene-image verdicts it gave.")
    scene_pass_rate: float | None = Field(description="Share of those verdicts that passed (None: no verdict).")
    regenerations_per_scene: dict[int, int] = Field(description="Extra rounds of candidates per scene index.")
    clip_verdicts: int = Field(description="Clips it judged (the first verdict of a redone clip).")
    clips_redone: int = Field(description="Clips made again after a failing verdict.")


class TriedCandidate(BaseModel):
    """One scene-image candidate that was made: its round, seed, prompt, scores and verdict."""

    attempt: int = Field(description="Round of candidates (0: the first).")
    rank: int = Field(description="Index within the round's batch.")
    seed: int = Field(description="Seed it was drawn with.")
    prompt: str = Field(description="The prompt it was made from (the critic may have revised the event).")
    score: float | None = Field(description="Lowest entity-vs-reference similarity (None: not measured).")
    entity_scores: dict[str, float] = Field(description="Similarity per common entity.")
    verdict: Verdict | None = Field(description="The vision critic's verdict, if it judged.")
    critic_error: str = Field(description="Why the critic gave no verdict, if it failed.")
    image: FilePath = Field(description="The picture.")


class SceneRecord(BaseModel):
    """One scene of the video: the picture kept, every candidate tried, and its clip."""

    prompt: str = Field(description="The prompt of the picture kept.")
    chosen: SceneCandidate = Field(description="The candidate kept.")
    candidates: int = Field(description="How many candidates were made for the scene in all rounds.")
    tried: list[TriedCandidate] = Field(description="Every candidate made, in order.")
    clip: ClipArtifact = Field(description="The scene's clip (with the critic's verdicts where it judged).")
    shot: str = Field(default="cut", description="'cut', or 'continue' (its clip started from the previous clip's last frame).")
    image_family: str = Field(default="", description="The engine family that drew its picture ('' for the animatic).")
    clip_family: str = Field(default="", description="The engine family that made its clip ('' for the animatic).")


class NarrationRecord(BaseModel):
    """The spoken narration."""

    voice: str = Field(description="The voice spec ('none': silent).")
    narrated: bool = Field(description="video.mp4 has a narration track.")
    held_frames: list[int] = Field(description="Frames each scene's last picture was held for its line.")
    scenes: list[NarrationAudio | None] = Field(description="Each scene's spoken line (None: silent).")


class MusicRecord(BaseModel):
    """The music bed under the narration."""

    source: str = Field(description="'auto: <mood>, seed <n>' (synthesised) or 'file: <path> (sha256 …)'.")
    made_from: MusicSource = Field(description="The same, as fields: kind, path and sha256, or mood and seed.")
    file: FilePath | None = Field(default=None, description="The music as mixed (looped or trimmed, faded, levelled, ducked).")
    voice_level_db: float = Field(description="Loudness of the narration (LUFS).")
    music_level_db: float = Field(description="Loudness of the music where nobody speaks (LUFS).")
    ducking_db: float = Field(description="How far the music drops while someone speaks (dB); never less than 10 dB under the speech.")


class Manifest(BaseModel):
    """Inputs, models, seeds, timings, artifacts and notes of one finished run."""

    prompt: str = Field(description="The user's prompt.")
    title: str = Field(description="The script's title.")
    llm: str = Field(description="The LLM spec that wrote the script.")
    prompt_set: str = Field(description="The prompt set of the planner.")
    engine: dict[str, str] = Field(description="The engine's model ids and options (part of every artifact's key).")
    engine_loaded: dict[str, Any] = Field(description="What loading the engine did in this process (speed-profile optimisations).")
    seed: int = Field(description="The run's seed.")
    settings: dict[str, Any] = Field(description="Every setting of the run.")
    resume_overrides: list[dict[str, Any]] = Field(description="Settings changed by `resume --engine/--llm/--voice`, in order.")
    plan_rounds: int = Field(description="plan → check rounds of the script review.")
    consistency_rounds: int = Field(description="Rounds of scene images redone after the consistency check.")
    usage: TokenUsage = Field(description="LLM calls, tokens and seconds of the whole run.")
    seconds: dict[str, float] = Field(description="Seconds spent per stage.")
    references: dict[str, ReferenceArtifact] = Field(description="Each entity's reference picture, cut-out and mask.")
    image_embedder: str = Field(description="The image embedder of the consistency check.")
    consistency_threshold: float = Field(description="Lowest entity-vs-reference similarity that passed.")
    critic: CriticSummary | None = Field(description="The vision critic's summary (None: no critic).")
    scenes: list[SceneRecord] = Field(description="Each scene, in order.")
    video: VideoInfo = Field(description="The assembled video.mp4.")
    narration: NarrationRecord = Field(description="The spoken narration.")
    music: MusicRecord | None = Field(default=None, description="The music bed (None: no music).")
    approval: ScriptApproval | None = Field(default=None, description="How the script was approved after a pause, and what the person changed.")
    notes: list[str] = Field(description="Things a user should know about this run.")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
