"""The vision critic: references + a picture in, a validated verdict out (bounded, errors fed back)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from videodrafter.config import Settings
from videodrafter.consistency.critic_images import image_part, text_part
from videodrafter.consistency.verdict import Verdict
from videodrafter.llm.deadline import CRITIC_TIMEOUT_SETTING, deadline
from videodrafter.llm.structured import generate_json_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.prompts import load_prompt_set


def check_critic_spec(spec: str):
    """The parsed spec of a vision-capable backend; a malformed or embedded (text-only) one is an InputError."""
    from videodrafter.errors import InputError, LLMSpecError
    from videodrafter.llm.spec import parse_llm_spec

    try:
        parsed = parse_llm_spec(spec)
    except LLMSpecError as error:
        raise InputError(f"--critic: {error.message}", error.hint) from error
    if parsed.is_embedded:
        raise InputError(
            f"The critic '{spec}' is an embedded text model; it cannot see pictures.",
            "Give --critic a vision model: openai:gpt-4o or vllm:<model>@<base_url>.",
        )
    if parsed.provider == "openai" and parsed.base_url is None and not os.environ.get("OPENAI_API_KEY"):
        raise InputError(
            f"The critic '{spec}' needs an OpenAI API key and OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, or give --critic a server of your own: vllm:<model>@<base_url>.",
        )
    return parsed


class CriticReference(BaseModel):
    """One entity's reference picture, named for the critic."""

    name: str
    role: str = "character or object"
    description: str = ""
    image: Path


def clip_frames(frames: list[np.ndarray]) -> list[np.ndarray]:
    """First, middle and last frame: where identity drift shows (fewer when the clip is shorter)."""
    picks = sorted({0, len(frames) // 2, len(frames) - 1})
    return [frames[index] for index in picks]


class VisionCritic:
    """Judges scene images and clips through any OpenAI-compatible vision chat model."""

    def __init__(self, model: BaseChatModel, settings: Settings) -> None:
        self.model = model
        self.settings = settings
        self.prompts = load_prompt_set(settings.prompt_set)

    def _ask(self, content: list[dict], usage: TokenUsage, stage: str) -> Verdict:
        messages = [SystemMessage(content=self.prompts.render("critic_system")), HumanMessage(content=content)]
        # one deadline for the whole verdict (re-asks included): the critic advises, it must not hold the run
        with deadline(self.settings.critic_timeout_s, CRITIC_TIMEOUT_SETTING):
            return generate_json_model(
                self.model, messages, Verdict, max_attempts=self.settings.plan_max_attempts, usage=usage, stage=stage,
                retry_hint="Your verdict could not be read",
            )

    def judge_scene(self, prompt: str, references: list[CriticReference], image: Path, usage: TokenUsage) -> Verdict:
        """Does the scene image show the referenced subjects as they look in their references?"""
        size = self.settings.critic_image_size
        content = [text_part(self.prompts.render("critic_scene", prompt=prompt, references=references))]
        content += [image_part(reference.image, size) for reference in references]
        content.append(image_part(image, size))
        return self._ask(content, usage, "scene critique")

    def judge_clip(self, prompt: str, action: str, scene_image: Path, frames: list[np.ndarray], usage: TokenUsage) -> Verdict:
        """Do the clip's first/middle/last frames keep the scene image's subjects?"""
        size = self.settings.critic_image_size
        picked = clip_frames(frames)
        content = [text_part(self.prompts.render("critic_clip", prompt=prompt, action=action, frames=len(picked)))]
        content.append(image_part(scene_image, size))
        content += [image_part(frame, size) for frame in picked]
        return self._ask(content, usage, "clip critique")
