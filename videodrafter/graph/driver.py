"""Driving a run: the graph streams in a worker thread while the calling thread waits, so Ctrl-C
(a KeyboardInterrupt, which Python delivers to the main thread) stops it between artifacts.

``drive`` is called by ``runner`` with the run's lock held; it records the run's status as it goes
and turns every way of stopping into a recorded status plus the command that continues.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from videodrafter.errors import InputError, StorageError, VideoDrafterError
from videodrafter.graph.artifacts import VideoResult
from videodrafter.graph.cancellation import run_config
from videodrafter.graph.checkpoints import checkpointer
from videodrafter.graph.context import RunContext
from videodrafter.graph.graph import build_graph
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.run_folder import STATUS_EVERY_S, RunLock, checkpoint_thread, record_status, resume_command
from videodrafter.graph.stage_times import record_stage_time, stage_key
from videodrafter.graph.state import InputState
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.files import remove_stale_temporaries
from videodrafter.resources import RESOURCES
from videodrafter.run_resources import RunResources
from videodrafter.script import VideoScript

log = logging.getLogger(__name__)

INTERRUPT_GRACE_S = 0.5
"""After Ctrl-C, how long the step under way may take to reach its next artifact boundary and stop."""


class RunOutcome(BaseModel):
    run_id: str
    run_dir: Path
    status: Literal["done", "waiting_for_approval"]
    script: VideoScript | None = None
    result: VideoResult | None = None
    notes: list[str] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    seconds: float = 0.0
    pending_question: dict | None = None


class RunFailed(VideoDrafterError):
    """A stage failed; everything finished before it is kept in the run folder."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; everything finished is kept. A KeyboardInterrupt, so that code which
    catches ``Exception`` to go on with other work (a batch item) does not swallow it."""

    def __init__(self, run_id: str, command: str) -> None:
        super().__init__(f"The run '{run_id}' was interrupted.")
        self.run_id = run_id
        self.command = command


class Drive:
    """One drive of a run: its context, live objects, lock, cancel event and progress callback."""

    def __init__(
        self, context: RunContext, resources: RunResources, run_id: str, lock: RunLock,
        on_event: Callable[[ProgressEvent], None], cancel: threading.Event | None = None,
    ) -> None:
        self.context, self.resources, self.run_id, self.lock, self.on_event = context, resources, run_id, lock, on_event
        self.cancel = cancel  # the caller's (a Cancel button); Ctrl-C sets the run's own
        self.stopping = threading.Event()
        self.stage: str | None = None
        self.stage_started = 0.0
        self.stage_items = 0
        self.status_written = 0.0

    @property
    def resume(self) -> str:
        return resume_command(self.run_id, self.context.folder.parent)

    def run(self, graph_input, first_input: InputState | None = None) -> RunOutcome:
        """Run the graph to its end or its next pause."""
        started = time.perf_counter()
        folder = self.context.folder
        remove_stale_temporaries(folder)  # a killed writer's leftovers; nobody else writes here (the lock)
        record_status(folder, "running")
        messages: queue.Queue = queue.Queue()
        RESOURCES.open_run(self.context.resources_key, self.resources)
        worker = threading.Thread(target=self._stream, args=(graph_input, first_input, messages), name=f"run-{self.run_id}", daemon=True)
        worker.start()
        snapshot = self._wait(worker, messages)
        worker.join()
        return self._outcome(snapshot, time.perf_counter() - started)

    def _wait(self, worker: threading.Thread, messages: queue.Queue):
        """Hand progress to the caller until the final snapshot; a stop becomes a recorded status.

        The wait has a timeout: a Ctrl-C only raises once this thread runs Python code again, and an
        untimed wait would hold it off until the whole step had finished."""
        try:
            while True:
                if self.cancel is not None and self.cancel.is_set():
                    raise KeyboardInterrupt  # a Cancel button: stop exactly as Ctrl-C does (resumable)
                try:
                    kind, payload = messages.get(timeout=0.1)
                except queue.Empty:
                    continue
                if kind == "event":
                    self._progress(ProgressEvent.model_validate(payload))
                elif kind == "error":
                    raise StorageError.translate(payload)  # a full or read-only disk is a failure to resume from
                else:
                    return payload
        except KeyboardInterrupt:
            self.stopping.set()
            record_status(self.context.folder, "interrupted", stage=self.stage)
            worker.join(INTERRUPT_GRACE_S)
            self.lock.release_after(worker)
            raise RunInterrupted(self.run_id, self.resume) from None
        except VideoDrafterError as error:
            record_status(self.context.folder, "failed", error=error.message)
            hint = f"{error.hint} Everything finished so far is kept: continue with `{self.resume}`."
            raise RunFailed(error.message, hint.strip()) from error

    def _progress(self, event: ProgressEvent) -> None:
        """Pass an event on; ``status.json`` follows (a new stage at once,
        the rest at most every STATUS_EVERY_S: a token count ticks every second)."""
        now = time.time()
        changed = event.stage != self.stage
        if changed:
            self._stage_finished(now)
            self.stage, self.stage_started = event.stage, now
        self.stage_items = max(self.stage_items if not changed else 0, event.total)
        if changed or now - self.status_written >= STATUS_EVERY_S:
            self.status_written = now
            started = datetime.fromtimestamp(self.stage_started, UTC).isoformat(timespec="seconds")
            record_status(self.context.folder, "running", stage=self.stage, progress=event.model_dump(), stage_started_at=started)
        self.on_event(event)

    def _stage_finished(self, now: float) -> None:
        """Keep the time of the stage that just ended for the next runs' estimates."""
        if self.stage is not None:
            key = stage_key(self.stage, self.context.settings)
            record_stage_time(self.context.folder.parent, key, now - self.stage_started, self.stage_items)

    def _outcome(self, snapshot, seconds: float) -> RunOutcome:
        values = snapshot.values
        question = None
        for task in snapshot.tasks:
            for pending in task.interrupts:
                question = pending.value
        status: Literal["done", "waiting_for_approval"] = "waiting_for_approval" if question is not None else "done"
        if status == "done" and values.get("result") is None:
            raise RunFailed(f"The run '{self.run_id}' stopped before its video was made.", f"Continue it with `{self.resume}`.")
        self._stage_finished(time.time())  # the last stage (or the script, before the approval pause)
        if status == "done":
            remove_stale_temporaries(self.context.folder)
        record_status(self.context.folder, status)
        return RunOutcome(
            run_id=self.run_id, run_dir=self.context.folder, status=status, script=values.get("script"), result=values.get("result"),
            notes=list(dict.fromkeys(values.get("notes", []))), usage=values.get("usage") or TokenUsage(), seconds=seconds,
            pending_question=question,
        )

    def _stream(self, graph_input, first_input: InputState | None, messages: queue.Queue) -> None:
        """The worker thread: stream the graph, hand progress and the final snapshot over."""
        config = run_config(checkpoint_thread(self.context.folder), self.stopping, recursion_limit=200)
        try:
            with checkpointer(self.context.folder) as saver:
                graph = build_graph(checkpointer=saver)
                snapshot = graph.get_state(config)
                self._check_steps_exist(graph, snapshot)
                if snapshot.created_at is None and graph_input is None:
                    graph_input = first_input  # killed before the first checkpoint: start from the request
                # nothing left to run: no next node and no task whose saved writes still have to be applied
                # (killed right after the input checkpoint, the __start__ task has written but no step followed)
                finished = graph_input is None and snapshot.created_at is not None and not snapshot.next and not snapshot.tasks
                if not finished:
                    # subgraphs=True: the script review's progress comes from inside its subgraph
                    for _namespace, mode, chunk in graph.stream(
                        graph_input, config, context=self.context, stream_mode=["custom", "updates"], subgraphs=True,
                    ):
                        if mode == "custom":
                            messages.put(("event", chunk))
                        if self.stopping.is_set():
                            raise KeyboardInterrupt
                messages.put(("done", graph.get_state(config)))
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread, which raises it
            if self.stopping.is_set():
                log.info("run %s stopped after Ctrl-C (%s)", self.run_id, type(error).__name__)
            messages.put(("error", error))
        finally:
            RESOURCES.close_run(self.context.resources_key, self.resources)

    def _check_steps_exist(self, graph, snapshot) -> None:
        gone = [name for name in snapshot.next if name not in graph.nodes]
        if gone:
            raise InputError(
                f"The run '{self.run_id}' was saved by an older videodrafter before a step that no longer exists ({', '.join(gone)}).",
                f"Render its script again: `videodrafter make --script {self.context.folder / 'script.json'}` (if it has one), or start a new run.",
            )
