"""Tokens as they are written: a long LLM step reports its count and rate instead of looking hung.

The LLM layer does not know who listens. A caller (the graph's progress, see ``graph/progress.py``)
sets a listener for its context; the embedded model reports while it generates (one tick per
token, passed on at most every ``TICK_EVERY_S``), and every call reports its total when it ends (a
remote server answers in one piece). Without a listener, reporting costs a context lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel, Field

TICK_EVERY_S = 1.0
"""How often a call under way passes its count on: often enough to look alive, rarely enough to be free."""


class TokenTick(BaseModel):
    """How far the LLM call under way has got."""

    output_tokens: int = Field(description="Tokens written so far in this call.")
    seconds: float = Field(description="Seconds since the call started writing.")
    finished: bool = Field(default=False, description="Whether this is the call's last report.")

    @property
    def tokens_per_s(self) -> float:
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0


TokenListener = Callable[[TokenTick], None]
_listener: ContextVar[TokenListener | None] = ContextVar("videodrafter_token_listener", default=None)


def set_listener(listener: TokenListener | None) -> None:
    """Listen in the current context (a graph node's; threads it starts copy it)."""
    _listener.set(listener)


@contextmanager
def listening(listener: TokenListener) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def report(tick: TokenTick) -> None:
    listener = _listener.get()
    if listener is not None:
        listener(tick)


class TokenCounter:
    """Counts the tokens of one call as they come (a llama.cpp logits processor sees each one)."""

    def __init__(self) -> None:
        self.listener = _listener.get()  # read in the caller's context: the processor runs under the model's lock
        self.tokens = 0
        self.started = time.perf_counter()
        self.last_report = self.started

    def __call__(self, input_ids, scores):
        self.tokens += 1
        now = time.perf_counter()
        if self.listener is not None and now - self.last_report >= TICK_EVERY_S:
            self.last_report = now
            self.listener(TokenTick(output_tokens=self.tokens, seconds=now - self.started))
        return scores

    @property
    def wanted(self) -> bool:
        return self.listener is not None
