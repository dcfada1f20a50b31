"""Per-run dependencies handed to nodes through LangGraph's runtime context (never checkpointed)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.tools.context import ToolContext


@dataclass
class RunContext:
    """Settings, the run folder, and lazily-created models; tests inject scripted ones."""

    settings: Settings
    run_dir: Path
    chat_model: BaseChatModel | None = None
    engine: Engine | None = None
    critic_model: BaseChatModel | None = None
    """The vision critic's chat model (``settings.critic``); tests inject one pointed at a loopback server."""
    overrides: list[dict] = field(default_factory=list)
    """Settings changed by `resume --engine/--llm`, in order (recorded in the manifest)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    _fresh: bool = field(default=False, repr=False)
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    """Set on Ctrl-C: nodes stop before their next artifact (fan-out tasks run in worker threads,
    which a KeyboardInterrupt in the main thread does not reach)."""

    def raise_if_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise KeyboardInterrupt

    def model(self) -> BaseChatModel:
        """The run's chat model; an embedded model starts each run (or resume) with an empty prompt cache."""
        with self._lock:
            if self.chat_model is None:
                from videodrafter.llm.factory import create_chat_model

                self.chat_model = create_chat_model(self.settings.llm, self.settings)
            if not self._fresh:
                self._fresh = True
                reset = getattr(self.chat_model, "reset_prompt_cache", None)
                if reset is not None:
                    reset()
            return self.chat_model

    def critic(self):
        """The vision critic, or None when no ``--critic`` was given. Created on first use."""
        from videodrafter.critic import VisionCritic

        with self._lock:
            if self.critic_model is None:
                if not self.settings.critic:
                    return None
                from videodrafter.critic.vision import check_critic_spec
                from videodrafter.llm.factory import create_chat_model

                spec = check_critic_spec(self.settings.critic)
                self.critic_model = create_chat_model(spec, self.settings)
            return VisionCritic(self.critic_model, self.settings)

    def tools(self) -> ToolContext:
        return ToolContext(self.settings, engine=self.engine)
