"""The video graph: plan → check ⟲ → enrich (fan-out) → approve → references → scene images
→ consistency ⟲ → clips → narration → assemble. Routers are typed so the edges read from their signatures."""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from videodrafter.graph.context import RunContext
from videodrafter.graph.media_nodes import (
    assemble_node,
    check_consistency_node,
    reference_images_node,
    scene_clips_node,
    scene_images_node,
)
from videodrafter.graph.narration_node import narration_node
from videodrafter.graph.script_nodes import (
    approve_script_node,
    check_script_node,
    enrich_entity_node,
    finalize_draft_node,
    plan_script_node,
)
from videodrafter.graph.state import EnrichTask, InputState, OutputState, State


def route_start(state: State) -> Literal["plan_script", "approve_script"]:
    """A caller-supplied (or already approved) script skips planning."""
    return "approve_script" if state.script is not None else "plan_script"


def route_after_check(state: State, runtime: Runtime[RunContext]) -> Literal["plan_script", "finalize_draft"]:
    """Back to planning with the feedback while review rounds remain."""
    satisfied = state.critique is not None and state.critique.is_satisfactory
    if satisfied or state.plan_rounds >= runtime.context.settings.review_rounds:
        return "finalize_draft"
    return "plan_script"


def route_enrichment(state: State) -> list[Send] | Literal["approve_script"]:
    """Enrich every common entity; none left → straight to approval.

    Remote LLMs get one parallel task per entity. The embedded model serves one call at a time
    anyway, so it gets one task that goes through the entities in script order: the same calls in
    the same order give the same text in every process (llama.cpp's prompt cache depends on order).
    """
    assert state.script is not None
    pending = [entity for entity in state.script.common_entities if entity.id not in state.descriptions]
    if not pending:
        return "approve_script"
    if state.enrich_serially:
        return [Send("enrich_entity", EnrichTask(prompt=state.prompt, entities=pending))]
    return [Send("enrich_entity", EnrichTask(prompt=state.prompt, entities=[entity])) for entity in pending]


def route_after_consistency(state: State) -> Literal["scene_images", "scene_clips"]:
    """Regenerate only the flagged scenes (their attempt number moved on), bounded by settings."""
    pending = [
        scene for scene, attempt in state.scene_attempts.items()
        if not any(candidate.attempt == attempt for candidate in state.candidates.get(scene, []))
    ]
    return "scene_images" if pending else "scene_clips"


def build_graph(checkpointer=None, interrupt_before: list[str] | None = None):
    builder = StateGraph(State, context_schema=RunContext, input_schema=InputState, output_schema=OutputState)
    builder.add_node("plan_script", plan_script_node)
    builder.add_node("check_script", check_script_node)
    builder.add_node("finalize_draft", finalize_draft_node)
    builder.add_node("enrich_entity", enrich_entity_node)
    builder.add_node("approve_script", approve_script_node)
    builder.add_node("reference_images", reference_images_node)
    builder.add_node("scene_images", scene_images_node)
    builder.add_node("check_consistency", check_consistency_node)
    builder.add_node("scene_clips", scene_clips_node)
    builder.add_node("narration", narration_node)
    builder.add_node("assemble", assemble_node)

    builder.add_conditional_edges(START, route_start)
    builder.add_edge("plan_script", "check_script")
    builder.add_conditional_edges("check_script", route_after_check)
    builder.add_conditional_edges("finalize_draft", route_enrichment, ["enrich_entity", "approve_script"])
    builder.add_edge("enrich_entity", "approve_script")
    builder.add_edge("approve_script", "reference_images")
    builder.add_edge("reference_images", "scene_images")
    builder.add_edge("scene_images", "check_consistency")
    builder.add_conditional_edges("check_consistency", route_after_consistency)
    builder.add_edge("scene_clips", "narration")
    builder.add_edge("narration", "assemble")
    builder.add_edge("assemble", END)
    return builder.compile(checkpointer=checkpointer, interrupt_before=interrupt_before, name="videodrafter")


graph = build_graph()
"""For `langgraph dev` / LangGraph Server (which supplies its own checkpointer and the context)."""
