"""Optional LLM-as-judge: a coherence rating (1-5) from a capable backend."""

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


class CoherenceRating(BaseModel):
    coherence: int = Field(ge=1, le=5)
    reason: str = Field(default="", max_length=500)


def judge_coherence(script: VideoScript, model: BaseChatModel, settings: Settings, usage: TokenUsage) -> CoherenceRating:
    prompts = load_prompt_set("v1")
    messages = [
        SystemMessage(content=prompts.render("judge_system")),
        HumanMessage(content=prompts.render("judge_user", prompt=script.prompt, script_text=format_draft(script_to_draft(script), prompts))),
    ]
    return generate_json_model(
        model, messages, CoherenceRating, max_attempts=settings.plan_max_attempts, usage=usage, stage="judge"
    )
