"""Wrappers that add up the time spent inside model calls and other functions, without rotting.

Both kinds keep up with the code they measure by themselves:

- ``TimedEngine`` delegates every attribute it does not define to the wrapped engine, so a capability
  added to the ``Engine`` protocol (or an optional one, such as ``depict`` or ``scene_images``) is there
  on the wrapper too, and ``isinstance`` checks against runtime-checkable protocols see what the
  wrapped engine has. Only the model methods are timed.
- ``TimedFunctions`` finds a function by identity in every loaded ``videodrafter`` module, so it times
  the calls wherever the function was imported to (``from x import f`` makes a second reference).
"""

from __future__ import annotations

import functools
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator

MODEL_METHODS = frozenset({"reference_image", "scene_image", "scene_images", "scene_clip"})
"""The engine methods whose time is 'inside the model'."""


class TimedEngine:
    """Delegates to an engine and records seconds and calls per model method (the 'inside the model' time).

    Every attribute the wrapper does not define is the wrapped engine's, read at the time of use. Each
    wrapper gets its own subclass in which the engine's public names are delegating properties: from
    Python 3.12 ``isinstance`` against a runtime-checkable protocol looks attributes up statically
    (``inspect.getattr_static``), which never calls ``__getattr__``.
    """

    def __new__(cls, engine, timed: frozenset[str] = MODEL_METHODS):
        if cls is TimedEngine:
            own = set(dir(TimedEngine)) | {"engine", "timed", "seconds", "calls"}
            names = [name for name in dir(engine) if not name.startswith("_") and name not in own]
            cls = type(f"Timed{type(engine).__name__}", (TimedEngine,), {name: _delegating(name) for name in names})
        return super().__new__(cls)

    def __init__(self, engine, timed: frozenset[str] = MODEL_METHODS) -> None:
        self.engine = engine
        self.timed = frozenset(timed)
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def __getattr__(self, name: str):
        # Only called for what the wrapper itself lacks (names the engine got after wrapping). Dunders
        # (copy, pickle probes) stay the wrapper's; 'engine' missing means a half-built instance: no recursion.
        if name.startswith("__") or "engine" not in self.__dict__:
            raise AttributeError(name)
        return self._lookup(name)

    def _lookup(self, name: str):
        attribute = getattr(self.engine, name)
        if name in self.timed and callable(attribute):
            return self._timed(name, attribute)
        return attribute

    def _timed(self, name: str, method: Callable) -> Callable:
        @functools.wraps(method)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed

    def __reduce__(self):
        return (TimedEngine, (self.engine, self.timed))

    def __repr__(self) -> str:
        return f"TimedEngine({self.engine!r})"


def _delegating(name: str) -> property:
    """A property that reads (timed, for a model method) and writes ``name`` on the wrapped engine."""
    return property(lambda self: self._lookup(name), lambda self, value: setattr(self.engine, name, value), doc=f"The engine's {name}.")


def _modules(prefix: str = "videodrafter") -> Iterator[object]:
    for name, module in list(sys.modules.items()):
        if module is not None and (name == prefix or name.startswith(prefix + ".")):
            yield module


def _replace_everywhere(old: object, new: object) -> int:
    """Rebind every module-level name that is ``old`` (by identity) to ``new``; how many were rebound."""
    count = 0
    for module in _modules():
        for attribute, value in list(vars(module).items()):
            if value is old:
                setattr(module, attribute, new)
                count += 1
    return count


class TimedFunctions:
    """Adds up the seconds and calls of some functions (e.g. video encoding) while active.

    Each target is a function, or ``(module, name)`` for the function ``module.name``; every loaded
    ``videodrafter`` module's reference to it is replaced while the block runs, and put back after.
    """

    def __init__(self, *targets: Callable | tuple[object, str]) -> None:
        self.functions = [getattr(*target) if isinstance(target, tuple) else target for target in targets]
        self.seconds = 0.0
        self.calls = 0
        self._replaced: list[tuple[Callable, Callable]] = []

    def __enter__(self):
        for original in self.functions:

            @functools.wraps(original)
            def timed(*args, _original=original, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds += time.perf_counter() - started
                    self.calls += 1

            if not _replace_everywhere(original, timed):
                raise RuntimeError(f"no loaded videodrafter module refers to {original.__module__}.{original.__qualname__}: nothing would be timed")
            self._replaced.append((original, timed))
        return self

    def __exit__(self, *exc) -> None:
        for original, timed in reversed(self._replaced):
            _replace_everywhere(timed, original)  # also in modules imported while the block ran
        self._replaced.clear()


class TimedSegmentation(TimedFunctions):
    """Times U²-Net calls (``segmentation.saliency_mask``) while active."""

    def __init__(self) -> None:
        from videodrafter.engines import segmentation

        super().__init__(segmentation.saliency_mask)
