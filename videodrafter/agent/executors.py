"""Where batch items run: in this process, or on Ray actors that keep their models loaded."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from pydantic import BaseModel

from videodrafter.agent.batch_items import BatchItem
from videodrafter.agent.batch_worker import ItemResult, execute_item
from videodrafter.errors import VideoDrafterError


class WorkSpec(BaseModel):
    """One attempt at one item."""

    item: BatchItem
    run_id: str
    seed_offset: int = 0
    attempt: int = 1


class Executor(Protocol):
    capacity: int

    def submit(self, spec: WorkSpec) -> None: ...

    def next_result(self) -> tuple[WorkSpec, ItemResult]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """One item at a time in this process; models stay loaded between items."""

    capacity = 1

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self._queue: deque[WorkSpec] = deque()

    def submit(self, spec: WorkSpec) -> None:
        self._queue.append(spec)

    def next_result(self) -> tuple[WorkSpec, ItemResult]:
        spec = self._queue.popleft()
        return spec, execute_item(spec.item, spec.run_id, self.settings, spec.seed_offset)

    def close(self) -> None:
        pass


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
        actor_class = ray.remote(num_cpus=1)(BatchWorkerActor)
        self.actors = [actor_class.remote() for _ in range(workers)]
        self._idle = list(self.actors)
        self._in_flight: dict[Any, tuple[WorkSpec, Any]] = {}

    def submit(self, spec: WorkSpec) -> None:
        actor = self._idle.pop()
        reference = actor.run.remote(spec.model_dump(mode="json"), self.settings)
        self._in_flight[reference] = (spec, actor)

    def next_result(self) -> tuple[WorkSpec, ItemResult]:
        ready, _ = self.ray.wait(list(self._in_flight), num_returns=1)
        spec, actor = self._in_flight.pop(ready[0])
        self._idle.append(actor)
        try:
            result = ItemResult.model_validate(self.ray.get(ready[0]))
        except self.ray.exceptions.RayError as error:  # the worker process died
            result = ItemResult(ok=False, run_id=spec.run_id, error=f"Ray worker failed: {str(error).splitlines()[0]}")
        return spec, result

    def load_counts(self) -> list[dict[str, int]]:
        return self.ray.get([actor.load_counts.remote() for actor in self.actors])

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self._owns_cluster:
            self.ray.shutdown()
