"""Plan a script: few-shot dialogue, structured output, validation fed back, bounded retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from videodrafter.config import Settings
from videodrafter.llm.prompt_prefix import example_answer
from videodrafter.llm.structured import (
    extract_json_object,
    generate_structured,
    json_response_formats,
)
from videodrafter.llm.local_chat import LlamaCppChatModel
from videodrafter.llm.structured import OutputProblem
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.cast import Cast, CastMember, extract_cast
from videodrafter.planning.draft import (
    ConvertedScript,
    ScriptDraft,
    draft_json_schema,
    draft_to_script,
    script_to_draft,
)
from videodrafter.planning.constrained_planner import plan_grounded
from videodrafter.planning.grounding_checks import grounding_findings
from videodrafter.planning.line_format import parse_line_script, render_line_script
from videodrafter.planning.shot_choice import choose_continued_shots
from videodrafter.prompts import PromptSet, load_prompt_set
from videodrafter.script import VideoScript


class Revision(BaseModel):
    """A reviewer's request to rewrite an earlier script."""

    previous: VideoScript
    instructions: str


class PlanResult(BaseModel):
    """A checked script and how it was obtained."""

    script: VideoScript
    attempts: int
    problems: list[str]
    """Problems fed back to the LLM, one per rejected attempt."""
    notes: list[str]
    """Repairs made to the accepted answer (e.g. names missing from the entity list)."""
    prompt_set: str
    usage: TokenUsage


def format_draft(draft: ScriptDraft, prompt_set: PromptSet) -> str:
    """A draft written the way this prompt set asks the LLM to answer."""
    if prompt_set.manifest.output_format == "lines":
        return render_line_script(draft)
    return json.dumps(draft.model_dump(mode="json"), ensure_ascii=False)


def _planning_messages(
    prompt: str, min_scenes: int, max_scenes: int, prompt_set: PromptSet, revision: Revision | None, cast: Cast
) -> list[BaseMessage]:
    messages: list[BaseMessage] = [
        SystemMessage(content=prompt_set.render("plan_system", min_scenes=min_scenes, max_scenes=max_scenes))
    ]
    for example in prompt_set.examples:
        count = example.scenes_requested
        messages.append(HumanMessage(content=prompt_set.render("plan_user", prompt=example.prompt, min_scenes=count, max_scenes=count, cast=example_cast(example.prompt))))
        messages.append(example_answer(format_draft(ScriptDraft.model_validate(example.draft), prompt_set)))
    if revision is None:
        user = prompt_set.render("plan_user", prompt=prompt, min_scenes=min_scenes, max_scenes=max_scenes, cast=cast.members)
    else:
        user = prompt_set.render(
            "plan_revision",
            prompt=prompt,
            min_scenes=min_scenes,
            max_scenes=max_scenes,
            previous_script=format_draft(script_to_draft(revision.previous), prompt_set),
            instructions=revision.instructions,
        )
    messages.append(HumanMessage(content=user))
    return messages


def _answer_parser(
    prompt: str, min_scenes: int, max_scenes: int, prompt_set: PromptSet, cast: Cast
) -> Callable[[str, bool], ConvertedScript]:
    read = parse_line_script if prompt_set.manifest.output_format == "lines" else extract_json_object

    def parse(text: str, last_attempt: bool) -> ConvertedScript:
        draft = ScriptDraft.model_validate(read(text))
        converted = draft_to_script(draft, prompt, min_scenes, max_scenes, repair=last_attempt)
        if prompt_set.manifest.output_format == "lines":  # the line format has no 'shot': chosen from place, cast and time
            script, shot_notes = choose_continued_shots(converted.script)
            converted = ConvertedScript(script=script, notes=[*converted.notes, *shot_notes])
        # camera variety and strangers in the text are the reviewer's findings, not format errors
        findings = grounding_findings(converted.script, cast, camera=False, strangers=False)
        if findings and not last_attempt:
            raise OutputProblem("\n".join(f"- {finding}" for finding in findings))
        return converted.model_copy(update={"notes": [*converted.notes, *(f"kept although {f}" for f in findings)]})

    return parse


@cache
def example_cast(prompt: str) -> list[CastMember]:
    """A few-shot example's cast (the same examples come back on every call)."""
    return extract_cast(prompt).members


def plans_grounded(model: BaseChatModel, settings: Settings, prompt_set: PromptSet) -> bool:
    """Whether to plan in two grammar-constrained steps (see ``Settings.planning``)."""
    if settings.planning == "auto":
        return isinstance(model, LlamaCppChatModel) and prompt_set.manifest.output_format == "json"
    return settings.planning == "grounded"


def plan_script(
    prompt: str,
    model: BaseChatModel,
    settings: Settings,
    *,
    min_scenes: int,
    max_scenes: int,
    prompt_set_name: str | None = None,
    revision: Revision | None = None,
    usage: TokenUsage | None = None,
) -> PlanResult:
    """Ask the LLM for a script until one validates, at most settings.plan_max_attempts rounds."""
    prompt_set = load_prompt_set(prompt_set_name or settings.prompt_set)
    usage = usage if usage is not None else TokenUsage()
    cast = extract_cast(prompt)
    if plans_grounded(model, settings, prompt_set) and cast.foreground:
        converted, attempts, problems = plan_grounded(
            prompt, cast, model, prompt_set, min_scenes=min_scenes, max_scenes=max_scenes,
            max_attempts=settings.plan_max_attempts, usage=usage, instructions=revision.instructions if revision else "",
        )
        return PlanResult(
            script=converted.script, attempts=attempts, problems=problems, notes=converted.notes,
            prompt_set=prompt_set.name, usage=usage,
        )
    formats = (
        json_response_formats("ScriptDraft", draft_json_schema(min_scenes, max_scenes))
        if prompt_set.manifest.output_format == "json"
        else None
    )
    result = generate_structured(
        model,
        _planning_messages(prompt, min_scenes, max_scenes, prompt_set, revision, cast),
        _answer_parser(prompt, min_scenes, max_scenes, prompt_set, cast),
        max_attempts=settings.plan_max_attempts,
        usage=usage,
        feedback=lambda problem: prompt_set.render("plan_feedback", problem=problem),
        response_formats=formats,
        stage="script",
    )
    return PlanResult(
        script=result.value.script,
        attempts=result.attempts,
        problems=result.problems,
        notes=result.value.notes,
        prompt_set=prompt_set.name,
        usage=usage,
    )
