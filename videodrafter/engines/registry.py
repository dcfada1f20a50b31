"""Engines by name, created once per process and reused across scenes, runs and batch items."""

from __future__ import annotations

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.errors import InputError
from videodrafter.resources import RESOURCES


def engine_names() -> list[str]:
    from videodrafter.engines.diffusers_presets import PRESETS

    return ["animatic", *PRESETS]


def get_engine(settings: Settings) -> Engine:
    """The engine named by ``settings.engine``; nothing heavy loads until it is first used."""
    name = settings.engine
    if name != "animatic":
        return _create(settings)  # cheap: its pipelines are resources keyed by their load settings
    key = (name, settings.video_width, settings.video_height, settings.fps)
    return RESOURCES.get("engine", key, lambda: _create(settings), label=name)


def _create(settings: Settings) -> Engine:
    if settings.engine == "animatic":
        from videodrafter.animatic.engine import AnimaticEngine

        return AnimaticEngine(settings.video_width, settings.video_height, settings.fps)
    from videodrafter.engines.diffusers_presets import PRESETS

    preset = PRESETS.get(settings.engine)
    if preset is None:
        raise InputError(
            f"Unknown engine '{settings.engine}'.",
            f"Choose one of: {', '.join(engine_names())}.",
        )
    from videodrafter.engines.diffusers_engine import DiffusersEngine

    return DiffusersEngine(preset, settings)
