"""Progress events nodes emit on LangGraph's custom stream (a no-op when nobody streams)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.config import get_stream_writer
from pydantic import BaseModel


class ProgressEvent(BaseModel):
    stage: str
    done: int = 0
    total: int = 0
    message: str = ""


def emit(stage: str, message: str = "", done: int = 0, total: int = 0) -> None:
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer(ProgressEvent(stage=stage, done=done, total=total, message=message).model_dump())


@contextmanager
def timed(name: str, into: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + time.perf_counter() - started
