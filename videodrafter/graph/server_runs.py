"""Runs that nobody drives from this package: LangGraph Server (``langgraph dev``, the SDK) calls the
graph itself. Such a run still writes the same ``request.json`` and ``status.json`` as a run the CLI,
chat, web UI or a batch started, so one list (``videodrafter runs``, the web Runs tab) shows them all.

A driven run has the driver's cancel event in its config (the driver made the folder and records its
status); a server run has not, so every node of the video graph is wrapped by ``recorded``: it
writes the request once, the status as each node starts, and how the node ended (done, waiting for
approval, failed). Progress within a node is recorded by ``progress.emit``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from langgraph.errors import GraphBubbleUp, GraphInterrupt
from langgraph.runtime import Runtime

from videodrafter.config import Settings
from videodrafter.errors import VideoDrafterError
from videodrafter.graph.cancellation import driven
from videodrafter.graph.context import RunContext
from videodrafter.graph.run_folder import REQUEST, RunRequest, record_status, save_request
from videodrafter.graph.state import State

log = logging.getLogger(__name__)

LAST_NODE = "assemble"


def _save_request_once(state: State, context: RunContext) -> None:
    folder = context.folder
    if (folder / REQUEST).exists():
        return
    settings = {name: getattr(context, name) for name in Settings.model_fields}
    request = RunRequest(
        run_id=folder.name, prompt=state.prompt or (state.script.prompt if state.script else ""), scenes=state.scenes,
        script=state.script if state.script is not None and not state.approved else None,
        settings=json.loads(Settings(**settings).model_dump_json()), created_at=datetime.now(UTC).isoformat(),
    )
    save_request(folder, request)


def recorded(name: str, node: Callable[[State, Runtime[RunContext]], dict]) -> Callable[[State, Runtime[RunContext]], dict]:
    """``node`` that, in a server run, records the run and its status around itself."""

    @functools.wraps(node)
    def run(state: State, runtime: Runtime[RunContext]) -> dict:
        context = runtime.context
        if driven():
            return node(state, runtime)
        try:
            _save_request_once(state, context)
        except (OSError, VideoDrafterError) as problem:  # the record is for listing; the run goes on
            log.warning("could not record the server run %s: %s", context.folder.name, problem)
        record_status(context.folder, "running", stage=name)
        try:
            update = node(state, runtime)
        except GraphInterrupt:
            record_status(context.folder, "waiting_for_approval", stage=name)
            raise
        except GraphBubbleUp:
            raise
        except Exception as error:
            message = error.message if isinstance(error, VideoDrafterError) else f"{type(error).__name__}: {error}"
            record_status(context.folder, "failed", stage=name, error=message[:500])
            raise
        if name == LAST_NODE:
            record_status(context.folder, "done")
        return update

    return run
