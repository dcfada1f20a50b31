"""Scripted chat models for offline tests of the loops (no network, no weights)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr


class ScriptedChatModel(BaseChatModel):
    """Answers with the given replies in order and records every request it saw."""

    replies: list[str]
    finish_reasons: list[str] = []
    _seen: list[tuple[list[BaseMessage], dict[str, Any]]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def seen(self) -> list[tuple[list[BaseMessage], dict[str, Any]]]:
        return self._seen

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        index = len(self._seen)
        if index >= len(self.replies):
            raise AssertionError(f"the scripted model was called {index + 1} times; it has {len(self.replies)} replies")
        self._seen.append((list(messages), kwargs))
        reason = self.finish_reasons[index] if index < len(self.finish_reasons) else "stop"
        message = AIMessage(
            content=self.replies[index],
            usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
            response_metadata={"finish_reason": reason},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
