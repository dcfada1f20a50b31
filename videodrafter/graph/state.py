"""Input, working state and output of the video graph and its script review. Counters use ``operator.add`` to bound loops."""

from __future__ import annotations

import operator
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from videodrafter.graph.artifacts import (
    ClipArtifact,
    PromptRevision,
    ReferenceArtifact,
    SceneCandidate,
    VideoResult,
)
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.script_critique import Critique
from videodrafter.script import Entity, VideoScript


def merge(left: dict, right: dict) -> dict:
    """Later writes win per key; used where parallel tasks each fill in their own keys."""
    return {**left, **right}


def add_seconds(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    total = dict(left)
    for key, value in right.items():
        total[key] = total.get(key, 0.0) + value
    return total


def add_usage(left: TokenUsage, right: TokenUsage) -> TokenUsage:
    return TokenUsage(
        calls=left.calls + right.calls,
        input_tokens=left.input_tokens + right.input_tokens,
        output_tokens=left.output_tokens + right.output_tokens,
        seconds=left.seconds + right.seconds,
    )


def extend_candidates(left: dict[int, list[SceneCandidate]], right: dict[int, list[SceneCandidate]]) -> dict[int, list[SceneCandidate]]:
    """Candidates per scene; one with the same (attempt, rank) replaces the older record."""
    merged = {scene: list(candidates) for scene, candidates in left.items()}
    for scene, candidates in right.items():
        kept = {(candidate.attempt, candidate.rank): candidate for candidate in merged.get(scene, [])}
        kept.update({(candidate.attempt, candidate.rank): candidate for candidate in candidates})
        merged[scene] = [kept[slot] for slot in sorted(kept)]
    return merged


class ScriptApproval(BaseModel):
    """How a paused run's script was approved."""

    edited: bool = Field(description="The approved script differs from the draft.")
    source: str = Field(description="Where the approved script came from: 'draft', 'script.json', a --script file, 'web' or 'api'.")
    changes: list[str] = Field(default_factory=list, description="What the edit changed, field by field.")


class InputState(BaseModel):
    """What a caller gives the graph."""

    prompt: str = Field(description="What the video is about.")
    scenes: int | None = Field(default=None, description="Exact scene count; None lets the planner choose.")
    script: VideoScript | None = Field(default=None, description="A finished script: planning is skipped.")


EnrichChoice = Literal["common", "all", "none"]
"""Which entities the review enriches: those in two or more scenes, every one, or none."""


class ReviewInput(BaseModel):
    """What the script review starts from."""

    prompt: str = Field(description="What the video is about.")
    scenes: int | None = Field(default=None, description="Exact scene count; None lets the planner choose.")
    enrich: EnrichChoice | None = Field(default=None, description="Which entities get enriched descriptions (None: the run's settings).")


class ReviewState(ReviewInput):
    """The script review's working state: plan → check ⟲ → finalize → enrich."""

    script: VideoScript | None = Field(default=None, description="The latest script.")
    plan_rounds: Annotated[int, operator.add] = Field(default=0, description="plan → check rounds done.")
    plan_attempts: Annotated[int, operator.add] = Field(default=0, description="LLM answers asked for while planning.")
    problems: Annotated[list[str], operator.add] = Field(default_factory=list, description="Problems fed back to the planner.")
    prompt_set: str = Field(default="", description="The prompt set the planner used.")
    findings: list[str] = Field(default_factory=list, description="Automatic findings on the latest script.")
    critique: Critique | None = Field(default=None, description="The latest review of the script.")
    best_script: VideoScript | None = Field(default=None, description="Script with the fewest findings so far.")
    best_findings: int | None = None
    script_notes: list[str] = Field(default_factory=list, description="Repairs made to the latest script (replaced each round).")
    best_script_notes: list[str] = Field(default_factory=list, description="Repairs made to the best script.")
    notes: Annotated[list[str], operator.add] = Field(default_factory=list, description="Things a user should know.")
    descriptions: Annotated[dict[str, str], merge] = Field(default_factory=dict, description="Enriched descriptions by entity id.")
    enrich_serially: bool = Field(default=False, description="One enrichment task in script order (embedded LLMs).")
    usage: Annotated[TokenUsage, add_usage] = Field(default_factory=TokenUsage)
    seconds: Annotated[dict[str, float], add_seconds] = Field(default_factory=dict, description="Time spent per node.")


class ReviewOutput(BaseModel):
    """What the script review hands on: the settled script, its enrichments, and what it took."""

    script: VideoScript | None = Field(default=None, description="The settled script (the best one when rounds ran out).")
    descriptions: dict[str, str] = Field(default_factory=dict, description="Enriched descriptions by entity id.")
    notes: list[str] = Field(default_factory=list, description="Things a user should know.")
    usage: TokenUsage = Field(default_factory=TokenUsage, description="LLM calls and tokens of the review.")
    seconds: dict[str, float] = Field(default_factory=dict, description="Time spent per node.")
    plan_rounds: int = Field(default=0, description="plan → check rounds done.")
    plan_attempts: int = Field(default=0, description="LLM answers asked for while planning.")
    problems: list[str] = Field(default_factory=list, description="Problems fed back to the planner.")
    prompt_set: str = Field(default="", description="The prompt set the planner used.")
    findings: list[str] = Field(default_factory=list, description="Automatic findings on the latest script.")


class State(InputState):
    """Everything the graph has decided or produced so far."""

    plan_rounds: int = Field(default=0, description="plan → check rounds the script review took.")
    notes: Annotated[list[str], operator.add] = Field(default_factory=list, description="Things a user should know.")
    descriptions: Annotated[dict[str, str], merge] = Field(default_factory=dict, description="Enriched descriptions by entity id.")
    approved: bool = Field(default=False, description="The script is final (and approved if approval is on).")
    references: Annotated[dict[str, ReferenceArtifact], merge] = Field(default_factory=dict)
    scene_attempts: Annotated[dict[int, int], merge] = Field(default_factory=dict, description="Current attempt per scene.")
    candidates: Annotated[dict[int, list[SceneCandidate]], extend_candidates] = Field(default_factory=dict)
    consistency_rounds: Annotated[int, operator.add] = 0
    scene_prompts: Annotated[dict[int, PromptRevision], merge] = Field(
        default_factory=dict, description="Prompts the critic revised, per scene, for its next rounds."
    )
    critic_down: bool = Field(default=False, description="The critic failed once: the embedder decides for the rest of the run.")
    approval: ScriptApproval | None = Field(default=None, description="How a paused run's script was approved (None: no pause).")
    clips: Annotated[dict[int, ClipArtifact], merge] = Field(default_factory=dict)
    usage: Annotated[TokenUsage, add_usage] = Field(default_factory=TokenUsage)
    seconds: Annotated[dict[str, float], add_seconds] = Field(default_factory=dict, description="Time spent per node.")
    result: VideoResult | None = None


class EnrichTask(BaseModel):
    """One fan-out task: enrich these entities' descriptions (one entity per task for remote LLMs)."""

    prompt: str
    entities: list[Entity]


class OutputState(BaseModel):
    """What a finished run returns."""

    script: VideoScript | None = None
    result: VideoResult | None = None
    notes: list[str] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
