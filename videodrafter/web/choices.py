"""The LLM, engine, voice and profile a web run uses: offered as lists (any other spec may be typed),
turned into the run's settings and checked as the CLI checks them (``run_inputs.check_choices``); the
subtitle style and music bed, as `make --subtitles/--subtitle-position/--subtitle-size/--subtitle-box/--music`
pass them; and what a run with these choices will take, as `make --dry-run` prints it."""

from __future__ import annotations

import io
import typing
from dataclasses import dataclass

from pydantic import ValidationError

from videodrafter.config import Settings, SpeedProfileName
from videodrafter.errors import InputError
from videodrafter.run_inputs import check_choices

CHOSEN = ("llm", "engine", "voice", "profile")
"""The settings the Make tab lets a person choose, in the order of its dropdowns."""
PROFILES = list(typing.get_args(SpeedProfileName))
STYLE = ("subtitle_burn", "subtitle_position", "subtitle_size", "subtitle_box", "music")
"""The Settings fields of the Make tab's subtitle and music controls, as `make` passes them."""
POSITIONS = list(typing.get_args(Settings.model_fields["subtitle_position"].annotation))
MUSIC = ("none", "auto")
"""The music a page may name: a file on the server is never a client's choice (an uploaded one is kept by the app)."""


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


def chosen_settings(base: Settings, values: dict[str, object], *, llm_needed: bool = True) -> Settings:
    """``base`` with the chosen values (an empty one keeps the server's), checked before any work:
    a bad spec or style is an InputError naming the choice, a name that does not exist is refused as on the CLI."""
    changes: dict[str, object] = {name: str(value).strip() for name, value in values.items() if name in CHOSEN and value and str(value).strip()}
    changes |= {name: value for name, value in values.items() if name in STYLE and value is not None and value != ""}
    if "music" in changes and changes["music"] not in (*MUSIC, base.music):  # the operator's own file may be kept
        raise InputError(f"The music '{changes['music']}' is not one the page offers.", _hint("music"))
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
        "subtitle_position": f"Use one of: {', '.join(POSITIONS)}.",
        "subtitle_size": "Use a size from 2 to 20 (percent of the frame height).",
        "subtitle_burn": "Tick the box or leave it empty.",
        "subtitle_box": "Tick the box or leave it empty.",
        "music": "Use none or auto, or upload a music file (WAV, MP3, OGG, FLAC).",
    }.get(name, "Pick one from the list.")


def estimate_text(settings: Settings, scenes: int | None) -> str:
    """What a run with ``settings`` will take, as `make --dry-run` prints it (``graph.estimate``, the CLI's
    table as plain text); reads earlier runs, writes nothing."""
    from rich import box
    from rich.console import Console

    from videodrafter.display import estimate_table
    from videodrafter.graph.estimate import estimate_run
    from videodrafter.planning.inputs import scene_bounds

    scene_bounds(scenes, settings)
    table = estimate_table(estimate_run(settings, scenes=scenes))
    table.box = box.SIMPLE_HEAD  # a page is shorter without the terminal's frame
    console = Console(file=io.StringIO(), width=110, color_system=None, emoji=False, highlight=False)
    console.print(table)
    return console.file.getvalue().rstrip()
