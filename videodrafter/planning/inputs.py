"""Checks on what the user typed, before any model is touched."""

from __future__ import annotations

from videodrafter.config import Settings
from videodrafter.errors import InputError


def validate_prompt(prompt: str | None, settings: Settings) -> str:
    """The prompt, stripped; or an InputError saying what is wrong with it."""
    text = " ".join((prompt or "").split())
    if not text:
        raise InputError(
            "The prompt is empty.",
            "Describe the video in a sentence, e.g. \"a dog's day at the beach\".",
        )
    if len(text) > settings.max_prompt_chars:
        raise InputError(
            f"The prompt is {len(text):,} characters long; the limit is {settings.max_prompt_chars:,}.",
            "Shorten it to the story's essentials, or raise VIDEODRAFTER_MAX_PROMPT_CHARS.",
        )
    return text


def scene_bounds(scenes: int | None, settings: Settings) -> tuple[int, int]:
    """The allowed scene count: exactly ``scenes`` when given, else the configured range."""
    if scenes is None:
        return settings.min_scenes, settings.max_scenes
    if not 1 <= scenes <= 20:
        raise InputError(f"{scenes} scenes were asked for.", "Ask for between 1 and 20 scenes.")
    return scenes, scenes
