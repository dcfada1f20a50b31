"""The run context: plain, serializable data handed to nodes through LangGraph's runtime context.

It is what LangGraph Server passes as a run's ``context`` (JSON, every field defaulted), what the
CLI's runner builds from its settings, and what a resume rebuilds from ``request.json``. Live
objects are not part of it: the engine, chat model, critic and embedder are one handle
(``RunResources``) that the registry keeps per run folder (``resources()``); the cancel event
travels in the run's config (``graph/cancellation.py``).

A context built from a client's JSON (LangGraph Server's way) is held to the operator's
``ServerPolicy``: its folders stay under the server's root, its models and voices are ones the
operator allows. A driven run's context (``for_run``: CLI, web, batch, chat) is the user's own.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from langgraph.config import get_config
from pydantic import Field, PrivateAttr
from pydantic_settings import SettingsConfigDict

from videodrafter.config import Settings
from videodrafter.resources import RESOURCES
from videodrafter.run_inputs import check_served_context, check_served_folder
from videodrafter.run_resources import RunResources

_DRIVEN: ContextVar[bool] = ContextVar("videodrafter_driven_context", default=False)
"""Set while ``for_run`` builds a driver's context from resolved settings, which no client chose.
(pydantic-settings validates again inside ``__init__``, where a validation context is lost.)"""


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
    _served: tuple[Path, Path | None] | None = PrivateAttr(default=None)
    """A client's context: the root its folders must stay in and the runs_dir it chose (None: the
    environment's own), checked where the run folder is first named (resolving touches the disk)."""
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def for_run(cls, settings: Settings, run_dir: Path | None = None, overrides: list[dict[str, Any]] | None = None) -> RunContext:
        """The context of a run whose settings are already resolved (the CLI's, a resume's)."""
        values = {name: getattr(settings, name) for name in Settings.model_fields}
        token = _DRIVEN.set(True)
        try:
            return cls.model_validate({**values, "run_dir": run_dir, "overrides": overrides or []})
        finally:
            _DRIVEN.reset(token)

    def __init__(self, **values: Any) -> None:
        # LangGraph Server builds the context from the client's JSON as RunContext(**values): a client's
        # choice. Checked after validation, not in a validator: pydantic would wrap the refusal, and the
        # server shows the message of a ValueError only (ServerPolicyError is one) as it was raised.
        super().__init__(**values)
        if not _DRIVEN.get():
            self._served = check_served_context(self)

    @property
    def settings(self) -> Settings:
        return self

    @property
    def folder(self) -> Path:
        """The run folder: ``run_dir`` when given, else ``<runs_dir>/<thread id>`` of the run being executed."""
        if self._served is not None:
            check_served_folder(*self._served, self.run_dir)
            self._served = None
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
