"""The script review, a subgraph with its own state: plan → check ⟲ → finalize → enrich (fan-out).

The video graph runs it as its first node; `videodrafter script` runs it alone (``write_script``),
so both get the same critique loop. Routers are typed so the edges read from their signatures.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from pydantic import BaseModel

from videodrafter.config import Settings
from videodrafter.errors import PlanningError
from videodrafter.graph.cancellation import run_config
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import ProgressEvent, emit, timed
from videodrafter.graph.state import EnrichChoice, EnrichTask, ReviewInput, ReviewOutput, ReviewState
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.checks import script_findings
from videodrafter.planning.script_critique import Critique, critique_script
from videodrafter.planning.enrich import enrich_entity
from videodrafter.planning.inputs import check_prompt_for_llm, scene_bounds, validate_prompt
from videodrafter.planning.kept_script_check import check_kept_script
from videodrafter.planning.planner import Revision, plan_script
from videodrafter.resources import RESOURCES
from videodrafter.run_resources import RunResources
from videodrafter.script import VideoScript

def plan_script_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
    """Write (or rewrite, with the reviewer's instructions) the script."""
    context = runtime.context
    seconds: dict[str, float] = {}
    usage = TokenUsage()
    min_scenes, max_scenes = scene_bounds(state.scenes, context.settings)
    revision = None
    if state.script is not None and state.critique is not None and not state.critique.is_satisfactory:
        revision = Revision(previous=state.script, instructions=_instructions(state))
    emit("script", "revising the script" if revision else "planning scenes", state.plan_rounds, context.settings.review_rounds)
    with timed("plan_script", seconds):
        plan = plan_script(
            state.prompt, context.resources().chat_model(), context.settings,
            min_scenes=min_scenes, max_scenes=max_scenes, revision=revision, usage=usage,
        )
    return {
        "script": plan.script, "plan_rounds": 1, "plan_attempts": plan.attempts, "problems": plan.problems,
        "prompt_set": plan.prompt_set, "script_notes": plan.notes, "usage": usage, "seconds": seconds, "critique": None,
    }


def _instructions(state: ReviewState) -> str:
    parts = list(state.findings)
    if state.critique and state.critique.improvement_instructions:
        parts.append(state.critique.improvement_instructions)
    return "\n".join(f"- {part}" for part in parts)


def check_script_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
    """Automatic findings, then the LLM's verdict; keeps the best script seen so far."""
    context = runtime.context
    assert state.script is not None
    min_scenes, max_scenes = scene_bounds(state.scenes, context.settings)
    findings = script_findings(state.script, min_scenes, max_scenes)
    usage = TokenUsage()
    seconds: dict[str, float] = {}
    update: dict = {"findings": findings, "usage": usage, "seconds": seconds}
    if state.best_findings is None or len(findings) < state.best_findings:
        update |= {"best_script": state.script, "best_findings": len(findings), "best_script_notes": state.script_notes}
    emit("script", f"checking the script ({len(findings)} automatic findings)", state.plan_rounds, context.settings.review_rounds)
    critique = Critique(is_satisfactory=not findings)
    # advice needs a round to act on it: with one review round (the embedded models) the critique's
    # call would only add a note, at about a tenth of the offline run's time
    if context.settings.critique and context.settings.review_rounds > 1:
        # The critique is advice: a reviewer that gives no usable answer leaves the script as it is.
        try:
            with timed("check_script", seconds):
                verdict = critique_script(state.script, findings, context.resources().chat_model(), context.settings, usage=usage)
        except PlanningError as error:
            update["notes"] = [f"the LLM's critique was skipped: {error.message}"]
        else:
            critique = verdict
            if findings and critique.is_satisfactory:
                critique = Critique(is_satisfactory=False, improvement_instructions=critique.improvement_instructions)
    update["critique"] = critique
    return update


def finalize_draft_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict:
    """Settle on a script: the accepted one, or the best one when review rounds ran out."""
    script = state.script
    notes = list(state.script_notes)
    if not (state.critique and state.critique.is_satisfactory) and state.best_script is not None:
        script = state.best_script
        notes = [
            *state.best_script_notes,
            f"the script was still criticised after {state.plan_rounds} round{'s' if state.plan_rounds != 1 else ''}; "
            "the version with the fewest findings was kept",
        ]
    script, checked = check_kept_script(script)  # the kept version's texts, whichever it is
    settings = runtime.context.settings
    serial = settings.llm_spec.is_embedded
    return {"script": script, "notes": [*notes, *checked], "enrich_serially": serial, "enrich": state.enrich or settings.enrich}


def enrich_entity_node(task: EnrichTask, runtime: Runtime[RunContext]) -> dict:
    """One fan-out branch: the enrichment dialogue for its entities."""
    context = runtime.context
    usage = TokenUsage()
    seconds: dict[str, float] = {}
    descriptions = {}
    for entity in task.entities:
        emit("enrich", f"describing '{entity.name}'")
        with timed("enrich_entity", seconds):
            descriptions[entity.id] = enrich_entity(entity, task.prompt, context.resources().chat_model(), context.settings, usage=usage).description
    return {"descriptions": descriptions, "usage": usage, "seconds": seconds}


def route_after_check(state: ReviewState, runtime: Runtime[RunContext]) -> Literal["plan_script", "finalize_draft"]:
    """Back to planning with the feedback while review rounds remain."""
    satisfied = state.critique is not None and state.critique.is_satisfactory
    if satisfied or state.plan_rounds >= runtime.context.settings.review_rounds:
        return "finalize_draft"
    return "plan_script"


def route_enrichment(state: ReviewState) -> list[Send] | Literal["__end__"]:
    """Enrich the chosen entities; none left → done.

    Remote LLMs get one parallel task per entity. The embedded model serves one call at a time
    anyway, so it gets one task that goes through the entities in script order: the same calls in
    the same order give the same text in every process (llama.cpp's prompt cache depends on order).
    """
    assert state.script is not None
    chosen = {"common": state.script.common_entities, "all": state.script.entities, "none": []}[state.enrich or "common"]
    pending = [entity for entity in chosen if entity.id not in state.descriptions]
    if not pending:
        return END
    if state.enrich_serially:
        return [Send("enrich_entity", EnrichTask(prompt=state.prompt, entities=pending))]
    return [Send("enrich_entity", EnrichTask(prompt=state.prompt, entities=[entity])) for entity in pending]


def build_review_graph(checkpointer=None):
    """The review subgraph; inside the video graph it shares the parent's checkpointer."""
    builder = StateGraph(ReviewState, context_schema=RunContext, input_schema=ReviewInput, output_schema=ReviewOutput)
    builder.add_node("plan_script", plan_script_node)
    builder.add_node("check_script", check_script_node)
    builder.add_node("finalize_draft", finalize_draft_node)
    builder.add_node("enrich_entity", enrich_entity_node)
    builder.add_edge(START, "plan_script")
    builder.add_edge("plan_script", "check_script")
    builder.add_conditional_edges("check_script", route_after_check)
    builder.add_conditional_edges("finalize_draft", route_enrichment, ["enrich_entity", END])
    builder.add_edge("enrich_entity", END)
    return builder.compile(checkpointer=checkpointer, name="script_review")


def with_descriptions(script: VideoScript, descriptions: dict[str, str]) -> VideoScript:
    """The script with the enriched descriptions in place of the planner's."""
    return script.model_copy(
        update={
            "entities": [
                entity.model_copy(update={"description": descriptions.get(entity.id, entity.description)})
                for entity in script.entities
            ]
        }
    )


class ScriptReport(BaseModel):
    """A finished script with what it took to write it."""

    script: VideoScript
    llm: str
    prompt_set: str
    attempts: int
    rounds: int
    """plan → check rounds."""
    problems: list[str]
    notes: list[str]
    usage: TokenUsage
    seconds: float


def write_script(
    prompt: str,
    settings: Settings,
    *,
    scenes: int | None = None,
    enrich: EnrichChoice | None = None,
    model: BaseChatModel | None = None,
    on_step: Callable[[str], None] = lambda _step: None,
) -> ScriptReport:
    """Validate the prompt, then run the script review alone: plan, check ⟲, finalize, enrich."""
    started = time.perf_counter()
    text = validate_prompt(prompt, settings)
    check_prompt_for_llm(text, settings)
    scene_bounds(scenes, settings)
    # no run folder: the script's own thread names the live objects' handle
    thread = f"script-{uuid.uuid4().hex}"
    context = RunContext.for_run(settings, settings.runs_dir / thread)
    handle = RESOURCES.open_run(context.resources_key, RunResources(context, chat_model=model))
    output: dict = {}
    try:
        for mode, chunk in build_review_graph().stream(
            ReviewInput(prompt=text, scenes=scenes, enrich=enrich), run_config(thread, threading.Event()),  # driven: no run records
            context=context, stream_mode=["custom", "values"],
        ):
            if mode == "custom":
                event = ProgressEvent.model_validate(chunk)
                if not event.tokens:  # an LLM's token count repeats its step: the step is said once
                    on_step(event.message)
            else:
                output = chunk
    finally:
        RESOURCES.close_run(context.resources_key, handle)
    review = ReviewOutput.model_validate(output)
    assert review.script is not None
    script = with_descriptions(review.script, review.descriptions)
    return ScriptReport(
        script=script, llm=settings.llm, prompt_set=review.prompt_set, attempts=review.plan_attempts,
        rounds=review.plan_rounds, problems=review.problems, notes=list(dict.fromkeys(review.notes)),
        usage=review.usage, seconds=time.perf_counter() - started,
    )
