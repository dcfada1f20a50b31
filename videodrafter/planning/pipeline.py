"""Prompt in, enriched script out: the script stage used by `videodrafter script`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel

from videodrafter.config import Settings
from videodrafter.llm.factory import create_chat_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.enrich import enrich_entity
from videodrafter.planning.inputs import scene_bounds, validate_prompt
from videodrafter.planning.planner import plan_script
from videodrafter.script import VideoScript

EnrichChoice = Literal["common", "all", "none"]


class ScriptReport(BaseModel):
    """A finished script with what it took to write it."""

    script: VideoScript
    llm: str
    prompt_set: str
    attempts: int
    problems: list[str]
    notes: list[str]
    usage: TokenUsage
    seconds: float


def write_script(
    prompt: str,
    settings: Settings,
    *,
    scenes: int | None = None,
    enrich: EnrichChoice = "common",
    model: BaseChatModel | None = None,
    on_step: Callable[[str], None] = lambda _step: None,
) -> ScriptReport:
    """Validate the prompt, plan the script, enrich entity descriptions."""
    started = time.perf_counter()
    text = validate_prompt(prompt, settings)
    min_scenes, max_scenes = scene_bounds(scenes, settings)
    model = model or create_chat_model(settings.llm, settings)
    usage = TokenUsage()
    on_step("planning scenes")
    plan = plan_script(text, model, settings, min_scenes=min_scenes, max_scenes=max_scenes, usage=usage)
    script = plan.script
    targets = {"common": script.common_entities, "all": script.entities, "none": []}[enrich]
    descriptions: dict[str, str] = {}
    for entity in targets:
        on_step(f"enriching '{entity.name}'")
        descriptions[entity.id] = enrich_entity(entity, text, model, settings, usage=usage).description
    script = script.model_copy(
        update={
            "entities": [
                entity.model_copy(update={"description": descriptions.get(entity.id, entity.description)})
                for entity in script.entities
            ]
        }
    )
    return ScriptReport(
        script=script,
        llm=settings.llm,
        prompt_set=plan.prompt_set,
        attempts=plan.attempts,
        problems=plan.problems,
        notes=plan.notes,
        usage=usage,
        seconds=time.perf_counter() - started,
    )
