"""The run context: plain, serializable data handed to nodes through LangGraph's runtime context.

It is what LangGraph Server passes as a run's ``context`` (JSON, every field defaulted), what the
CLI's runner builds from its settings, and what a resume rebuilds from ``request.json``. Live
resources are not part of it: the engine, the embedded LLM and the embedder are resolved from the
settings by the process-wide registry (``videodrafter.resources``); a test or a caller that already
holds a model injects it with ``with_resources`` (kept in private attributes, never serialized).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langgraph.config import get_config
from pydantic import Field, PrivateAttr
from pydantic_settings import SettingsConfigDict

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.tools.context import ToolContext


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

    _chat_model: BaseChatModel | None = PrivateAttr(default=None)
    _engine: Engine | None = PrivateAttr(default=None)
    _critic_model: BaseChatModel | None = PrivateAttr(default=None)
    _tools: ToolContext | None = PrivateAttr(default=None)
    _resolved_dir: Path | None = PrivateAttr(default=None)
    _fresh: bool = PrivateAttr(default=False)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _cancelled: threading.Event = PrivateAttr(default_factory=threading.Event)

    @classmethod
    def for_run(cls, settings: Settings, run_dir: Path | None = None, overrides: list[dict[str, Any]] | None = None) -> RunContext:
        """The context of a run whose settings are already resolved (the CLI's, a resume's)."""
        values = {name: getattr(settings, name) for name in Settings.model_fields}
        return cls.model_validate({**values, "run_dir": run_dir, "overrides": overrides or []})

    @property
    def settings(self) -> Settings:
        return self

    def with_resources(
        self,
        *,
        chat_model: BaseChatModel | None = None,
        engine: Engine | None = None,
        critic_model: BaseChatModel | None = None,
    ) -> RunContext:
        """Use these live objects instead of resolving them from the settings (a caller's or a test's)."""
        self._chat_model, self._engine, self._critic_model = chat_model, engine, critic_model
        self._tools = None
        return self

    @property
    def folder(self) -> Path:
        """The run folder: ``run_dir`` when given, else ``<runs_dir>/<thread id>`` of the run being executed."""
        if self.run_dir is not None:
            return self.run_dir
        with self._lock:
            if self._resolved_dir is None:
                thread_id = str(get_config().get("configurable", {}).get("thread_id") or "default")
                folder = self.settings.runs_dir / thread_id
                folder.mkdir(parents=True, exist_ok=True)
                self._resolved_dir = folder
            return self._resolved_dir

    @property
    def cancelled(self) -> threading.Event:
        """Set on Ctrl-C: nodes stop before their next artifact (fan-out tasks run in worker threads,
        which a KeyboardInterrupt in the main thread does not reach)."""
        return self._cancelled

    @property
    def has_critic(self) -> bool:
        return bool(self.settings.critic) or self._critic_model is not None

    def raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise KeyboardInterrupt

    def model(self) -> BaseChatModel:
        """The run's chat model; an embedded model starts each run (or resume) with an empty prompt cache."""
        with self._lock:
            if self._chat_model is None:
                from videodrafter.llm.factory import create_chat_model

                self._chat_model = create_chat_model(self.settings.llm, self.settings)
            if not self._fresh:
                self._fresh = True
                reset = getattr(self._chat_model, "reset_prompt_cache", None)
                if reset is not None:
                    reset()
            return self._chat_model

    def vision_critic(self):
        """The vision critic, or None when no ``--critic`` was given. Created on first use."""
        from videodrafter.critic import VisionCritic

        with self._lock:
            if self._critic_model is None:
                if not self.settings.critic:
                    return None
                from videodrafter.critic.vision import check_critic_spec
                from videodrafter.llm.factory import create_chat_model

                spec = check_critic_spec(self.settings.critic)
                self._critic_model = create_chat_model(spec, self.settings)
            return VisionCritic(self._critic_model, self.settings)

    def tools(self) -> ToolContext:
        """The run's tool context (one per run: the engine and embedder come from the registry)."""
        with self._lock:
            if self._tools is None:
                self._tools = ToolContext(self.settings, engine=self._engine)
            return self._tools
