"""The live objects one run works with, behind one handle: engine, image embedder, chat model, critic.

A handle is built from the run's settings and resolves each object on first use through the
process registry (``videodrafter.resources.RESOURCES``), so a batch of runs shares one engine load.
A caller that already holds a model (a chat session, a test) passes it in; the registry keeps the
handle of each run being driven (``RESOURCES.open_run``), and the graph's nodes find it there.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from videodrafter.config import Settings
from videodrafter.consistency.appearance import ImageEmbedder
from videodrafter.consistency.embedders import get_image_embedder
from videodrafter.engines.base import Engine
from videodrafter.engines.registry import get_engine

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from videodrafter.consistency.vision_critic import VisionCritic


class RunResources:
    """What the tools and nodes of one run use; cheap to create, heavy parts load on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        chat_model: BaseChatModel | None = None,
        critic_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._engine = engine
        self._chat_model = chat_model
        self._critic_model = critic_model
        self._fresh = False
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine if self._engine is not None else get_engine(self.settings)

    @property
    def embedder(self) -> ImageEmbedder:
        return get_image_embedder(self.settings.image_embedder, self.engine)

    @property
    def has_critic(self) -> bool:
        return bool(self.settings.critic) or self._critic_model is not None

    def chat_model(self) -> BaseChatModel:
        """The run's chat model; an embedded model starts each run (or resume) with an empty prompt cache."""
        with self._lock:
            if self._chat_model is None:
                from videodrafter.llm.factory import create_chat_model

                self._chat_model = create_chat_model(self.settings.llm, self.settings)
            if not self._fresh:
                self._fresh = True
                from videodrafter.llm.local_chat import LlamaCppChatModel

                if isinstance(self._chat_model, LlamaCppChatModel):  # only the embedded models keep one
                    self._chat_model.reset_prompt_cache()
            return self._chat_model

    def vision_critic(self) -> VisionCritic | None:
        """The vision critic, or None when no ``--critic`` was given. Created on first use."""
        from videodrafter.consistency.vision_critic import VisionCritic, check_critic_spec

        with self._lock:
            if self._critic_model is None:
                if not self.settings.critic:
                    return None
                from videodrafter.llm.factory import create_chat_model

                self._critic_model = create_chat_model(check_critic_spec(self.settings.critic), self.settings)
            return VisionCritic(self._critic_model, self.settings)
