"""Progress events nodes emit on LangGraph's custom stream (a no-op when nobody streams).

An event names the stage and what it is doing; while an LLM writes, the same event comes again
with the call's token count and rate (``llm/token_meter.py``), so a long planning step shows that
it is alive wherever the stream goes: the CLI, the web page, a batch, LangGraph Server's custom events.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from langgraph.config import get_stream_writer
from langgraph.runtime import get_runtime
from pydantic import BaseModel, Field

from videodrafter.graph.cancellation import driven
from videodrafter.graph.run_folder import STATUS_EVERY_S, record_status
from videodrafter.graph.stage_times import StageTimes, stage_key
from videodrafter.llm import token_meter


class ProgressEvent(BaseModel):
    """What a run is doing now."""

    stage: str = Field(description="The stage: script, enrich, references, scene images, critic, consistency, clips, narration, assemble.")
    done: int = Field(default=0, description="Items of the stage finished.")
    total: int = Field(default=0, description="Items of the stage in all (0: unknown).")
    message: str = Field(default="", description="What the stage is doing, in words.")
    tokens: int = Field(default=0, description="Tokens the LLM call under way has written (0: no LLM call).")
    tokens_per_s: float = Field(default=0.0, description="The LLM call's writing rate.")
    estimate_s: float | None = Field(default=None, description="How long this stage took in this machine's earlier runs (median), if known.")

    def line(self) -> str:
        """The message with the LLM's count: 'planning scenes · 212 tokens, 6.3 tok/s'."""
        if not self.tokens:
            return self.message
        return f"{self.message} · {self.tokens} tokens, {self.tokens_per_s:.1f} tok/s"


_last: ContextVar[ProgressEvent | None] = ContextVar("videodrafter_last_progress", default=None)


def _write(event: ProgressEvent) -> None:
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer(event.model_dump())


def emit(stage: str, message: str = "", done: int = 0, total: int = 0) -> None:
    event = ProgressEvent(stage=stage, done=done, total=total, message=message, estimate_s=_earlier_runs(stage, total))
    _last.set(event)
    token_meter.set_listener(_relay_tokens)  # the LLM calls this step makes report under this event
    _write(event)
    _record_undriven(event)


_status_written: dict[str, tuple[str, float]] = {}


def _record_undriven(event: ProgressEvent) -> None:
    """A run without a driver (LangGraph Server) records its progress in status.json itself: a new
    stage at once, the rest at most every two seconds."""
    if driven():  # its driver records it
        return
    try:
        folder = get_runtime().context.folder
    except (RuntimeError, AttributeError):
        return
    stage, written = _status_written.get(str(folder), ("", 0.0))
    now = time.monotonic()
    if stage == event.stage and now - written < STATUS_EVERY_S:
        return
    _status_written[str(folder)] = (event.stage, now)
    record_status(folder, "running", stage=event.stage, progress=event.model_dump())


def _earlier_runs(stage: str, total: int) -> float | None:
    """How long the stage took in this machine's earlier runs (any caller: CLI, web, batch, server)."""
    try:
        context = get_runtime().context
        runs_dir = context.folder.parent
    except (RuntimeError, AttributeError):  # outside a graph run, or a context that is not a run's
        return None
    return StageTimes.read(runs_dir).estimate(stage_key(stage, context), total)


def _relay_tokens(tick: token_meter.TokenTick) -> None:
    last = _last.get()
    if last is not None:
        _write(last.model_copy(update={"tokens": tick.output_tokens, "tokens_per_s": round(tick.tokens_per_s, 2)}))


@contextmanager
def timed(name: str, into: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + time.perf_counter() - started
