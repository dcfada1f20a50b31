"""Per-call traces of an eval case: what each LLM call was sent, what it answered, what the checker sent back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from langchain_core.caches import BaseCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, Field

from videodrafter.evals.answer_cache import CACHE_MARK

MAX_TRACED_CHARS = 20_000
"""Characters of one message or answer kept in a trace (a system prompt with examples fits)."""

TRACED_PARAMETERS = ("temperature", "max_tokens", "seed", "stop")
"""Call arguments a trace shows beside the response format."""


class TracedMessage(BaseModel):
    role: str = Field(description="system, human or ai (an earlier answer sent back with feedback).")
    content: str


class LLMCall(BaseModel):
    """One LLM call of an eval case."""

    role: str = Field(description="Whose call: 'planner' (the case's LLM) or 'judge'.")
    messages: list[TracedMessage] = Field(description="What the call was sent, in order.")
    answer: str = Field(default="", description="The raw answer, before any parsing or repair.")
    response_format: str = Field(default="", description="The structured-output request (type and schema name); empty for free text.")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Sampling arguments passed with the call.")
    seconds: float = Field(default=0.0, description="How long the call took; for a cached answer, how long it took when written.")
    tokens_in: int = 0
    tokens_out: int = 0
    finish_reason: str = ""
    cached: bool = Field(default=False, description="The answer came from the eval's answer cache.")
    feedback: str = Field(default="", description="What the checker sent back about this answer (the next call's last message); empty when accepted.")
    error: str = Field(default="", description="The call failed with this error.")


def _text(content: Any) -> str:
    return (content if isinstance(content, str) else str(content))[:MAX_TRACED_CHARS]


def _format_name(response_format: Any) -> str:
    if not isinstance(response_format, dict):
        return ""
    kind = str(response_format.get("type", ""))
    name = (response_format.get("json_schema") or {}).get("name") or ("schema" if response_format.get("schema") else "")
    return f"{kind} {name}".strip()


class CallTracer(BaseCallbackHandler):
    """Records every chat call of a model it is attached to as an ``LLMCall``."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.calls: list[LLMCall] = []
        self._open: dict[UUID, tuple[float, LLMCall]] = {}

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any) -> None:
        params = kwargs.get("invocation_params") or {}
        call = LLMCall(
            role=self.role,
            messages=[TracedMessage(role=message.type, content=_text(message.content)) for message in messages[0]],
            response_format=_format_name(params.get("response_format")),
            parameters={name: params[name] for name in TRACED_PARAMETERS if params.get(name) is not None},
        )
        self._open[run_id] = (time.perf_counter(), call)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        started, call = self._open.pop(run_id, (time.perf_counter(), LLMCall(role=self.role, messages=[])))
        generation = response.generations[0][0]
        message = getattr(generation, "message", None)
        metadata = getattr(message, "response_metadata", None) or {}
        usage = getattr(message, "usage_metadata", None) or {}
        mark = metadata.get(CACHE_MARK)
        call.answer = _text(generation.text or getattr(message, "content", ""))
        call.cached = mark is not None
        call.seconds = float(mark["seconds"]) if mark else time.perf_counter() - started
        call.tokens_in, call.tokens_out = int(usage.get("input_tokens", 0) or 0), int(usage.get("output_tokens", 0) or 0)
        call.finish_reason = str(metadata.get("finish_reason") or "")
        self.calls.append(call)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        started, call = self._open.pop(run_id, (time.perf_counter(), LLMCall(role=self.role, messages=[])))
        call.error, call.seconds = _text(f"{type(error).__name__}: {error}"), time.perf_counter() - started
        self.calls.append(call)

    @property
    def last_answer(self) -> str:
        return self.calls[-1].answer if self.calls else ""

    @property
    def cached_seconds(self) -> float:
        """Seconds the cached answers took when they were written (the case adds them to its time)."""
        return sum(call.seconds for call in self.calls if call.cached)

    def traced(self) -> list[LLMCall]:
        """The calls, each rejected answer with the feedback that the next call carried."""
        for index, call in enumerate(self.calls):
            for later in self.calls[index + 1 :]:
                if len(later.messages) >= 2 and later.messages[-2].role == "ai" and later.messages[-2].content == call.answer:
                    call.feedback = later.messages[-1].content
                    break
        return self.calls


@contextmanager
def watched(model: BaseChatModel, role: str, cache: BaseCache | None) -> Iterator[CallTracer]:
    """Trace the model's calls (and answer them from ``cache`` when given) while the block runs."""
    tracer = CallTracer(role)
    callbacks, kept_cache = model.callbacks, model.cache
    model.callbacks = [*(callbacks or []), tracer]  # type: ignore[list-item]  # the model's own callbacks keep working
    if cache is not None:
        model.cache = cache
    try:
        yield tracer
    finally:
        model.callbacks, model.cache = callbacks, kept_cache
