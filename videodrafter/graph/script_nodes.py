"""Script nodes: plan, check (automatic findings + LLM critique), enrich (fan-out), approve."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.errors import PlanningError
from videodrafter.graph.state import EnrichTask, State
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.files import write_json_atomic
from videodrafter.planning.checks import script_findings
from videodrafter.planning.critique import Critique, critique_script
from videodrafter.planning.enrich import enrich_entity
from videodrafter.planning.inputs import scene_bounds
from videodrafter.planning.planner import Revision, plan_script
from videodrafter.script import VideoScript


def plan_script_node(state: State, runtime: Runtime[RunContext]) -> dict:
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
            state.prompt, context.model(), context.settings,
            min_scenes=min_scenes, max_scenes=max_scenes, revision=revision, usage=usage,
        )
    return {"script": plan.script, "plan_rounds": 1, "script_notes": plan.notes, "usage": usage, "seconds": seconds, "critique": None}


def _instructions(state: State) -> str:
    parts = [finding for finding in state.findings]
    if state.critique and state.critique.improvement_instructions:
        parts.append(state.critique.improvement_instructions)
    return "\n".join(f"- {part}" for part in parts)


def check_script_node(state: State, runtime: Runtime[RunContext]) -> dict:
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
    if context.settings.critique:
        # The critique is advice: a reviewer that gives no usable answer leaves the script as it is.
        try:
            with timed("check_script", seconds):
                verdict = critique_script(state.script, findings, context.model(), context.settings, usage=usage)
        except PlanningError as error:
            update["notes"] = [f"the LLM's critique was skipped: {error.message}"]
        else:
            critique = verdict
            if findings and critique.is_satisfactory:
                critique = Critique(is_satisfactory=False, improvement_instructions=critique.improvement_instructions)
    update["critique"] = critique
    return update


def finalize_draft_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Settle on a script: the accepted one, or the best one when review rounds ran out."""
    script = state.script
    notes = list(state.script_notes)
    if not (state.critique and state.critique.is_satisfactory) and state.best_script is not None:
        script = state.best_script
        notes = [
            *state.best_script_notes,
            f"the script was still criticised after {state.plan_rounds} rounds; the version with the fewest findings was kept",
        ]
    serial = runtime.context.settings.llm_spec.is_embedded
    return {"script": script, "notes": notes, "enrich_serially": serial}


def enrich_entity_node(task: EnrichTask, runtime: Runtime[RunContext]) -> dict:
    """One fan-out branch: the enrichment dialogue for its entities."""
    context = runtime.context
    usage = TokenUsage()
    seconds: dict[str, float] = {}
    descriptions = {}
    for entity in task.entities:
        emit("enrich", f"describing '{entity.name}'")
        with timed("enrich_entity", seconds):
            descriptions[entity.id] = enrich_entity(entity, task.prompt, context.model(), context.settings, usage=usage).description
    return {"descriptions": descriptions, "usage": usage, "seconds": seconds}


def approve_script_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Apply enrichments, save script.json, and (if asked) wait for a person to approve or edit it."""
    context = runtime.context
    assert state.script is not None
    script = state.script.model_copy(
        update={
            "entities": [
                entity.model_copy(update={"description": state.descriptions.get(entity.id, entity.description)})
                for entity in state.script.entities
            ]
        }
    )
    if context.settings.approve_script and not state.approved:
        answer = interrupt({"question": "Approve this script (or send an edited one)?", "script": script.model_dump(mode="json")})
        if isinstance(answer, dict) and answer.get("script"):
            script = VideoScript.model_validate(answer["script"])
    write_json_atomic(context.run_dir / "script.json", script.model_dump(mode="json"))
    return {"script": script, "approved": True}
