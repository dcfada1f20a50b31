"""One owner for the heavy things a process loads: models, pipelines, sessions.

Each resource is built on first use, once per (kind, key), and then shared by every run, scene and
thread of the process; nothing loads at import. Load counts are read through ``load_counts()``
(benchmarks and the batch report use them to show that a batch loaded each model once).

The registry also keeps the handle of each run being driven (``open_run``/``run``/``close_run``):
the live objects a run uses (``videodrafter.run_resources.RunResources``), so that a caller or a
test that holds a model injects it here and the graph's nodes find it by the run's folder.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ResourceRegistry:
    """Process-wide, thread-safe, build-once storage keyed by (kind, key)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, Hashable], object] = {}
        self._counts: Counter[str] = Counter()
        self._kind_locks: dict[str, threading.RLock] = {}
        self._lock = threading.Lock()
        self._runs: dict[str, object] = {}

    def kind_lock(self, kind: str) -> threading.RLock:
        """The lock that builds of ``kind`` hold; also used to run one model call at a time where a
        model is not thread-safe (a diffusers pipeline, a llama.cpp context)."""
        with self._lock:
            return self._kind_locks.setdefault(kind, threading.RLock())

    def get(self, kind: str, key: Hashable, build: Callable[[], T], *, label: str | None = None) -> T:
        """The resource for (kind, key), built by ``build()`` the first time; ``label`` names it in the load counts."""
        with self.kind_lock(kind):
            if (kind, key) not in self._items:
                self._items[(kind, key)] = build()
                self._counts[f"{kind}:{label if label is not None else key}"] += 1
            return self._items[(kind, key)]  # type: ignore[return-value]

    def peek(self, kind: str, key: Hashable) -> object | None:
        """The resource if it was built, without building it."""
        with self.kind_lock(kind):
            return self._items.get((kind, key))

    def load_counts(self, kind: str | None = None) -> dict[str, int]:
        """How many times each resource was built in this process ("kind:label" → count)."""
        with self._lock:
            return {name: count for name, count in self._counts.items() if kind is None or name.startswith(f"{kind}:")}

    def release(self, kind: str | None = None) -> None:
        """Forget the resources of ``kind`` (all when None) so their memory can be freed; counts stay."""
        with self._lock:
            keys = [key for key in self._items if kind is None or key[0] == kind]
        for key in keys:
            with self.kind_lock(key[0]):
                self._items.pop(key, None)

    def open_run(self, key: str, handle: T) -> T:
        """Register the live objects of the run ``key`` (its folder) while it is driven."""
        with self._lock:
            self._runs[key] = handle
        return handle

    def run(self, key: str, build: Callable[[], T]) -> T:
        """The handle of the run ``key``: the one opened for it, else one built from its settings and kept
        (a run started by LangGraph Server, which passes only data)."""
        with self._lock:
            if key not in self._runs:
                self._runs[key] = build()
            return self._runs[key]  # type: ignore[return-value]

    def close_run(self, key: str, handle: object | None = None) -> None:
        """Forget the run's handle (only ``handle``, when given: a later driver may have opened its own)."""
        with self._lock:
            if handle is None or self._runs.get(key) is handle:
                self._runs.pop(key, None)


RESOURCES = ResourceRegistry()
"""The registry of this process."""
