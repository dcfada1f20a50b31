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


class RoutedChatModel(BaseChatModel):
    """Answers by stage (found in the system/user text), in order per stage; safe under fan-out.

    ``routes`` maps a phrase that identifies a stage's prompt to that stage's replies; the
    last reply of a stage repeats once the others are used up.
    """

    routes: dict[str, list[str]]
    _calls: dict[str, int] = PrivateAttr(default_factory=dict)
    _lock: Any = PrivateAttr(default_factory=lambda: __import__("threading").Lock())

    @property
    def _llm_type(self) -> str:
        return "routed"

    def calls(self, phrase: str) -> int:
        return self._calls.get(phrase, 0)

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        text = "\n".join(str(message.content) for message in messages if message.type in ("system",)) + "\n" + str(messages[-1].content)
        with self._lock:
            for phrase, replies in self.routes.items():
                if phrase in text:
                    index = self._calls.get(phrase, 0)
                    self._calls[phrase] = index + 1
                    reply = replies[min(index, len(replies) - 1)]
                    break
            else:
                raise AssertionError(f"no scripted route matches: {text[-300:]!r}")
        message = AIMessage(
            content=reply,
            usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
            response_metadata={"finish_reason": "stop"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
