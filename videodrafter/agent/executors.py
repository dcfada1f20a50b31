"""Where batch items run: in this process, in worker processes, or on Ray actors; each worker keeps its models loaded."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from pydantic import BaseModel

from videodrafter.agent.batch_items import BatchItem
from videodrafter.agent.batch_worker import ItemResult, execute_item
from videodrafter.errors import VideoDrafterError

POLL_S = 0.5
"""How often an executor waiting for results calls the batch's ``tick`` (the status table's stage and time)."""

STOP_GRACE_S = 15.0
"""After Ctrl-C, how long a worker process may take to record its run as interrupted before it is terminated."""


log = logging.getLogger(__name__)


class WorkSpec(BaseModel):
    """One attempt at one item."""

    item: BatchItem
    run_id: str
    seed_offset: int = 0
    attempt: int = 1
    worker_deaths: int = 0
    """Workers that died under this item so far (their tries do not count as attempts, up to a bound)."""


class Executor(Protocol):
    capacity: int
    worker_deaths: int
    """Workers that died during the batch (each was replaced)."""

    def submit(self, spec: WorkSpec) -> None: ...

    def next_result(self, tick: Callable[[], None]) -> tuple[WorkSpec, ItemResult]:
        """Wait for an item under way to end; call ``tick`` every so often meanwhile."""
        ...

    def load_counts(self) -> list[dict[str, int]]:
        """Each worker's model loads (empty for the in-process executor); called when no item is under way."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """One item at a time in this process; models stay loaded between items."""

    capacity = 1
    worker_deaths = 0

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self._queue: deque[WorkSpec] = deque()

    def submit(self, spec: WorkSpec) -> None:
        self._queue.append(spec)

    def next_result(self, tick: Callable[[], None]) -> tuple[WorkSpec, ItemResult]:
        spec = self._queue.popleft()
        return spec, execute_item(spec.item, spec.run_id, self.settings, spec.seed_offset, on_event=lambda _event: tick())

    def load_counts(self) -> list[dict[str, int]]:
        return []

    def close(self) -> None:
        pass


def _interrupt_once(_signum: int, _frame: Any) -> None:
    """A worker's Ctrl-C or SIGTERM (the batch's group is stopped): stop the item (its run records
    itself as interrupted); a second signal of either kind must not cut that short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _interrupt_when_orphaned() -> None:
    """The batch process died (kill -9): stop the item under way, so its run lock is freed for the resume."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGINT)


def serve_items(connection: Connection, settings: dict[str, Any]) -> None:
    """A worker process: make the items the batch sends, one at a time, until it sends None or goes away."""
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _interrupt_once)
    threading.Thread(target=_interrupt_when_orphaned, name="batch-parent-watch", daemon=True).start()
    try:
        while (message := connection.recv()) is not None:
            if message == "load_counts":
                from videodrafter.resources import RESOURCES

                connection.send(RESOURCES.load_counts())
                continue
            work = WorkSpec.model_validate(message)
            connection.send(execute_item(work.item, work.run_id, settings, work.seed_offset).model_dump(mode="json"))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        # Ctrl-C, or the batch is gone: the batch records the item as interrupted and resumes it next time.
        # Leave at once, as the command line does after Ctrl-C: a step may still be finishing in a thread,
        # and a normal exit would wait for it; what it finished is on disk, and the resume cleans up after it.
        logging.shutdown()
        os._exit(130)


@dataclass(eq=False)
class _Worker:
    process: Any
    connection: Connection


class ProcessExecutor:
    """Up to ``workers`` items at once, each in a worker process of its own.

    The processes are spawned (a fork of a process with threads is unsafe), each loads the models
    its items need and keeps them for its next item (N workers hold N copies: mind GPU memory).
    Only this process writes the batch's table: the workers hand their results back through a pipe.
    Not daemonic, so that a run may start processes of its own; ``close`` always ends them, and a
    worker whose batch process died stops by itself.
    """

    def __init__(self, settings: dict[str, Any], workers: int) -> None:
        self.settings = settings
        self.capacity = workers
        self._context = multiprocessing.get_context("spawn")
        self._idle = [self._start() for _ in range(workers)]
        self._busy: dict[_Worker, WorkSpec] = {}
        self.worker_deaths = 0

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=serve_items, args=(theirs, self.settings), name="videodrafter-batch-worker")
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def submit(self, spec: WorkSpec) -> None:
        worker = self._idle.pop()
        if not worker.process.is_alive():  # died while idle
            worker.connection.close()
            worker = self._start()
        self._busy[worker] = spec
        worker.connection.send(spec.model_dump(mode="json"))

    def next_result(self, tick: Callable[[], None]) -> tuple[WorkSpec, ItemResult]:
        while True:
            ready = set(wait([handle for worker in self._busy for handle in (worker.connection, worker.process.sentinel)], timeout=POLL_S))
            for worker in list(self._busy):
                if worker.connection in ready or worker.process.sentinel in ready:
                    return self._collect(worker)
            tick()

    def _collect(self, worker: _Worker) -> tuple[WorkSpec, ItemResult]:
        spec = self._busy.pop(worker)
        try:
            result = ItemResult.model_validate(worker.connection.recv())
            self._idle.append(worker)
        except (EOFError, OSError):  # the worker died (killed, out of memory): a fresh one takes its place
            worker.process.join(1)
            code = worker.process.exitcode
            result = ItemResult(ok=False, run_id=spec.run_id, error=f"The worker process ended unexpectedly (exit code {code}).", worker_died=True)
            self.worker_deaths += 1
            self._idle.append(self._start())
        return spec, result

    def load_counts(self) -> list[dict[str, int]]:
        counts = []
        for worker in self._idle:
            try:
                worker.connection.send("load_counts")
                counts.append(worker.connection.recv())
            except (EOFError, OSError):  # a worker that died while idle has nothing to report
                continue
        return counts

    def close(self) -> None:
        """Idle workers are told to stop; busy ones (the batch was interrupted) get a Ctrl-C and time to record it."""
        for worker in self._idle:
            try:
                worker.connection.send(None)
            except OSError:
                pass
        for worker in self._busy:
            if worker.process.is_alive():
                os.kill(worker.process.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_S
        for worker in [*self._idle, *self._busy]:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()


class BatchWorkerActor:
    """A Ray actor: one long-lived process per worker, so models load once per worker."""

    def run(self, spec: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
        work = WorkSpec.model_validate(spec)
        return execute_item(work.item, work.run_id, settings, work.seed_offset).model_dump(mode="json")

    def load_counts(self) -> dict[str, int]:
        from videodrafter.resources import RESOURCES

        return RESOURCES.load_counts()


class RayExecutor:
    """Items as tasks on ``workers`` Ray actors (a local cluster, or ``address`` of a running one)."""

    def __init__(self, settings: dict[str, Any], workers: int, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as error:
            raise VideoDrafterError("Ray is not installed.", "Run `pip install 'ray>=2.40'` or use --executor local.") from error
        self.ray = ray
        self._owns_cluster = False
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise VideoDrafterError(
                    f"Could not start or reach a Ray cluster{f' at {address}' if address else ''}: {error}",
                    "Check the address (ray status), or leave out --ray-address to start a local cluster.",
                ) from error
            self._owns_cluster = True
        self.settings = settings
        self.capacity = workers
        self._actor_class = ray.remote(num_cpus=1)(BatchWorkerActor)
        self.actors = [self._actor_class.remote() for _ in range(workers)]
        self._idle = list(self.actors)
        self._in_flight: dict[Any, tuple[WorkSpec, Any]] = {}
        self.worker_deaths = 0

    def submit(self, spec: WorkSpec) -> None:
        actor = self._idle.pop()
        reference = actor.run.remote(spec.model_dump(mode="json"), self.settings)
        self._in_flight[reference] = (spec, actor)

    def next_result(self, tick: Callable[[], None]) -> tuple[WorkSpec, ItemResult]:
        while not (ready := self.ray.wait(list(self._in_flight), num_returns=1, timeout=POLL_S)[0]):
            tick()
        spec, actor = self._in_flight.pop(ready[0])
        try:
            result = ItemResult.model_validate(self.ray.get(ready[0]))
        except self.ray.exceptions.RayActorError as error:  # the actor's process died: it leaves the pool, a new one takes its place
            result = ItemResult(ok=False, run_id=spec.run_id, error=f"The Ray worker died: {str(error).splitlines()[0]}", worker_died=True)
            actor = self._replace(actor)
        except self.ray.exceptions.RayError as error:
            result = ItemResult(ok=False, run_id=spec.run_id, error=f"Ray worker failed: {str(error).splitlines()[0]}")
        self._idle.append(actor)
        return spec, result

    def _replace(self, dead: Any) -> Any:
        self.worker_deaths += 1
        fresh = self._actor_class.remote()
        self.actors = [fresh if actor is dead else actor for actor in self.actors]
        return fresh

    def load_counts(self) -> list[dict[str, int]]:
        """Each live worker's model loads (a worker that died meanwhile is replaced, with nothing loaded)."""
        counts = []
        for actor in list(self.actors):
            try:
                counts.append(self.ray.get(actor.load_counts.remote(), timeout=60))
            except self.ray.exceptions.RayActorError:
                self._replace(actor)
            except (self.ray.exceptions.RayError, TimeoutError):
                continue
        return counts

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:  # noqa: BLE001 - an actor that is already gone
                log.debug("Ray actor already gone")
        if self._owns_cluster:
            self.ray.shutdown()
