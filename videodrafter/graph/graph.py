"""The video graph: script review (subgraph: plan → check ⟲ → finalize → enrich fan-out) → approve
→ references → scene images → consistency ⟲ → clips → narration → assemble. Routers are typed so the
edges read from their signatures."""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from videodrafter.graph.context import RunContext
from videodrafter.graph.approval import approve_script_node
from videodrafter.graph.review import build_review_graph
from videodrafter.graph.server_runs import recorded
from videodrafter.graph.stages.assemble import assemble_node
from videodrafter.graph.stages.clips import scene_clips_node
from videodrafter.graph.stages.consistency_check import check_consistency_node
from videodrafter.graph.stages.narration import narration_node
from videodrafter.graph.stages.references import reference_images_node
from videodrafter.graph.stages.scene_images import scene_images_node
from videodrafter.graph.state import InputState, OutputState, ReviewInput, State


def route_start(state: State) -> Literal["review_script", "approve_script"]:
    """A caller-supplied (or already approved) script skips the review."""
    return "approve_script" if state.script is not None else "review_script"


def route_after_consistency(state: State) -> Literal["scene_images", "scene_clips"]:
    """Regenerate only the flagged scenes (their attempt number moved on), bounded by settings."""
    assert state.script is not None
    pending = [
        scene for scene, attempt in state.scene_attempts.items()
        if scene < len(state.script.scenes) and not state.script.scenes[scene].continues
        and not any(candidate.attempt == attempt for candidate in state.candidates.get(scene, []))
    ]
    return "scene_images" if pending else "scene_clips"


def open_run(state: State, runtime: Runtime[RunContext]) -> dict:
    """The run's first step: nothing to do for a driven run; a server run's records are written by
    ``recorded`` around it, before the (long) script review starts."""
    return {}


def build_graph(checkpointer=None, interrupt_before: list[str] | None = None):
    builder = StateGraph(State, context_schema=RunContext, input_schema=InputState, output_schema=OutputState)
    builder.add_node("open_run", recorded("open_run", open_run))
    # the subgraph gets (and checkpoints) only its own input, not the video graph's whole state
    builder.add_node("review_script", build_review_graph(), input_schema=ReviewInput)
    builder.add_node("approve_script", recorded("approve_script", approve_script_node))
    builder.add_node("reference_images", recorded("reference_images", reference_images_node))
    builder.add_node("scene_images", recorded("scene_images", scene_images_node))
    builder.add_node("check_consistency", recorded("check_consistency", check_consistency_node))
    builder.add_node("scene_clips", recorded("scene_clips", scene_clips_node))
    builder.add_node("narration", recorded("narration", narration_node))
    builder.add_node("assemble", recorded("assemble", assemble_node))

    builder.add_edge(START, "open_run")
    builder.add_conditional_edges("open_run", route_start)
    builder.add_edge("review_script", "approve_script")
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
