"""Engines by name, created once per process and reused across scenes, runs and batch items."""

from __future__ import annotations

import threading

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.errors import InputError

_ENGINES: dict[tuple, Engine] = {}
"""Animatic engines by frame size; diffusers engines share pipelines through their own cache."""
_LOCK = threading.Lock()


def engine_names() -> list[str]:
    from videodrafter.engines.diffusers_presets import PRESETS

    return ["animatic", *PRESETS]


def get_engine(settings: Settings) -> Engine:
    """The engine named by ``settings.engine``; nothing heavy loads until it is first used."""
    name = settings.engine
    if name != "animatic":
        return _create(settings)  # cheap: its pipelines live in a process-wide cache keyed by load settings
    key = (name, settings.video_width, settings.video_height, settings.fps)
    with _LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = _create(settings)
        return _ENGINES[key]


def _create(settings: Settings) -> Engine:
    if settings.engine == "animatic":
        from videodrafter.engines.animatic import AnimaticEngine

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
