"""Stopping a run between artifacts: Ctrl-C, SIGTERM or a Cancel button sets the run's cancel event.

The event travels in the run's config (``configurable``), beside the thread id, not in the run
context: the context is data (LangGraph Server builds it from JSON), the event a live signal of the
process driving the run. Nodes call ``raise_if_cancelled()`` before each artifact; fan-out tasks run
in worker threads, which a KeyboardInterrupt in the main thread does not reach.
"""

from __future__ import annotations

import threading

from langgraph.config import get_config

CANCEL_KEY = "videodrafter_cancel"
"""The config key of the event (LangGraph copies only plain values from ``configurable`` into checkpoints)."""


def run_config(run_id: str, cancel: threading.Event, **extra: object) -> dict:
    """The config a driver streams a run with: its thread and its cancel event."""
    return {"configurable": {"thread_id": run_id, CANCEL_KEY: cancel}, **extra}


def raise_if_cancelled() -> None:
    """Stop here (as Ctrl-C does) when the run's cancel event is set; a no-op outside a driven run."""
    try:
        event = get_config().get("configurable", {}).get(CANCEL_KEY)
    except RuntimeError:  # not inside a graph run
        return
    if isinstance(event, threading.Event) and event.is_set():
        raise KeyboardInterrupt


def driven() -> bool:
    """Whether a driver of this package runs the graph (it passes the cancel event); False under
    LangGraph Server, whose runs record themselves (see ``server_runs``)."""
    try:
        return isinstance(get_config().get("configurable", {}).get(CANCEL_KEY), threading.Event)
    except RuntimeError:  # not inside a graph run
        return True
