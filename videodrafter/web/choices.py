"""The LLM, engine, voice and profile a web run uses: offered as lists (any other spec may be typed),
turned into the run's settings and checked as the CLI checks them (``run_inputs.check_choices``)."""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import ValidationError

from videodrafter.config import Settings, SpeedProfileName
from videodrafter.errors import InputError
from videodrafter.run_inputs import check_choices

CHOSEN = ("llm", "engine", "voice", "profile")
"""The settings the Make tab lets a person choose, in the order of its dropdowns."""
PROFILES = list(typing.get_args(SpeedProfileName))


@dataclass(frozen=True)
class ChoiceLists:
    """What each dropdown offers; the server's own setting comes first."""

    llm: list[str]
    engine: list[str]
    voice: list[str]
    profile: list[str]


def choice_lists(settings: Settings) -> ChoiceLists:
    from videodrafter.engines.diffusers_presets import PRESETS  # offered here; run_inputs checks a choice
    from videodrafter.llm.local_models import KNOWN_LOCAL_MODELS

    def first(current: str, others: list[str]) -> list[str]:
        return [current, *(other for other in others if other != current)]

    return ChoiceLists(
        llm=first(settings.llm, [f"local:{name}" for name in KNOWN_LOCAL_MODELS]),
        engine=first(settings.engine, ["animatic", *PRESETS]),
        voice=first(settings.voice, ["espeak", "none"]),
        profile=first(settings.profile, PROFILES),
    )


def chosen_settings(base: Settings, values: dict[str, str | None], *, llm_needed: bool = True) -> Settings:
    """``base`` with the chosen values (an empty one keeps the server's), checked before any work:
    a bad spec is an InputError naming the choice, a name that does not exist is refused as on the CLI."""
    changes = {name: str(value).strip() for name, value in values.items() if name in CHOSEN and value and str(value).strip()}
    try:
        settings = Settings.model_validate({**base.model_dump(), **changes})
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "choice"
        why = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
        raise InputError(f"The {name} '{changes.get(name, '')}' is not valid: {why}.", _hint(name)) from None
    check_choices(settings, llm_needed=llm_needed)
    return settings


def _hint(name: str) -> str:
    return {
        "llm": "Use local:smollm2, local:gemma3, openai:<model> or vllm:<model>@<url>.",
        "profile": f"Use one of: {', '.join(PROFILES)}.",
        "voice": "Use espeak, espeak:<voice>, openai:tts-1 or none.",
    }.get(name, "Pick one from the list.")
