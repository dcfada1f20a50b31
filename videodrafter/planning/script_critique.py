"""Critique of a script: deterministic findings first, then the LLM's judgement."""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from videodrafter.config import Settings
from videodrafter.llm.structured import generate_json_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.draft import script_to_draft
from videodrafter.planning.planner import format_draft
from videodrafter.prompts import load_prompt_set
from videodrafter.script import VideoScript


class Critique(BaseModel):
    """The reviewer's verdict on a script."""

    is_satisfactory: bool
    improvement_instructions: str = Field(default="", max_length=1000)


def critique_script(
    script: VideoScript,
    findings: list[str],
    model: BaseChatModel,
    settings: Settings,
    *,
    usage: TokenUsage,
    prompt_set_name: str | None = None,
) -> Critique:
    """Ask the LLM whether the script is good, showing it the automatic findings."""
    prompt_set = load_prompt_set(prompt_set_name or settings.prompt_set)
    messages = [
        SystemMessage(content=prompt_set.render("critique_system")),
        HumanMessage(
            content=prompt_set.render(
                "critique_user",
                prompt=script.prompt,
                findings=findings,
                script_text=format_draft(script_to_draft(script), prompt_set),
            )
        ),
    ]
    return generate_json_model(
        model, messages, Critique, max_attempts=settings.plan_max_attempts, usage=usage, stage="critique"
    )
