"""The run context: plain, serializable data handed to nodes through LangGraph's runtime context.

It is what LangGraph Server passes as a run's ``context`` (JSON, every field defaulted), what the
CLI's runner builds from its settings, and what a resume rebuilds from ``request.json``. Live
objects are not part of it: the engine, chat model, critic and embedder are one handle
(``RunResources``) that the registry keeps per run folder (``resources()``); the cancel event
travels in the run's config (``graph/cancellation.py``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from langgraph.config import get_config
from pydantic import Field, PrivateAttr
from pydantic_settings import SettingsConfigDict

from videodrafter.config import Settings
from videodrafter.resources import RESOURCES
from videodrafter.run_resources import RunResources


class RunContext(Settings):
    """Every setting (flat, as in ``{"engine": "animatic", "max_scenes": 4}``; the environment's
    VIDEODRAFTER_* fill what is not given), plus the run folder and the resume overrides.

    A run context *is* the run's settings: nodes read ``context.settings`` (itself), and LangGraph
    Server lists every setting in the assistant's context schema and passes them through.
    """

    model_config = SettingsConfigDict(env_prefix="VIDEODRAFTER_", extra="forbid")

    run_dir: Path | None = Field(default=None, description="Where the run's artifacts go; default <runs_dir>/<thread id>.")
    overrides: list[dict[str, Any]] = Field(
        default_factory=list, description="Settings changed by `resume --engine/--llm`, in order (recorded in the manifest)."
    )

    _resolved_dir: Path | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def for_run(cls, settings: Settings, run_dir: Path | None = None, overrides: list[dict[str, Any]] | None = None) -> RunContext:
        """The context of a run whose settings are already resolved (the CLI's, a resume's)."""
        values = {name: getattr(settings, name) for name in Settings.model_fields}
        return cls.model_validate({**values, "run_dir": run_dir, "overrides": overrides or []})

    @property
    def settings(self) -> Settings:
        return self

    @property
    def folder(self) -> Path:
        """The run folder: ``run_dir`` when given, else ``<runs_dir>/<thread id>`` of the run being executed."""
        if self.run_dir is not None:
            return self.run_dir
        with self._lock:
            if self._resolved_dir is None:
                folder = self._thread_folder()
                folder.mkdir(parents=True, exist_ok=True)
                self._resolved_dir = folder
            return self._resolved_dir

    def _thread_folder(self) -> Path:
        return self.settings.runs_dir / str(get_config().get("configurable", {}).get("thread_id") or "default")

    @property
    def resources_key(self) -> str:
        """The registry's key of this run's live objects: its folder (not created for the asking)."""
        return str((self.run_dir or self._resolved_dir or self._thread_folder()).resolve())

    def resources(self) -> RunResources:
        """The run's engine, embedder, chat model and critic: the handle its driver opened, else one
        built from these settings (a run started by LangGraph Server)."""
        return RESOURCES.run(self.resources_key, lambda: RunResources(self))
