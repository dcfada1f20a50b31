"""An engine wrapper that adds up the time spent inside model calls."""

from __future__ import annotations

import time
from collections import defaultdict

from videodrafter.engines import segmentation


class TimedEngine:
    """Delegates to an engine and records seconds per method (the 'inside the model' time)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.width, self.height, self.fps = engine.width, engine.height, engine.fps
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def _timed(self, method: str, *args, **kwargs):
        started = time.perf_counter()
        try:
            return getattr(self.engine, method)(*args, **kwargs)
        finally:
            self.seconds[method] += time.perf_counter() - started
            self.calls[method] += 1

    def reference_image(self, *args, **kwargs):
        return self._timed("reference_image", *args, **kwargs)

    def scene_image(self, *args, **kwargs):
        return self._timed("scene_image", *args, **kwargs)

    def scene_clip(self, *args, **kwargs):
        return self._timed("scene_clip", *args, **kwargs)

    def describe(self) -> dict[str, str]:
        return self.engine.describe()

    def loaded_state(self) -> dict[str, object]:
        return self.engine.loaded_state()


class TimedSegmentation:
    """Times U²-Net calls by wrapping the module function for the duration of a benchmark."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._original = segmentation.saliency_mask

    def __enter__(self) -> TimedSegmentation:
        original = self._original

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        segmentation.saliency_mask = timed
        from videodrafter.tools import references

        self._tool_module = references
        references.saliency_mask = timed
        return self

    def __exit__(self, *exc) -> None:
        segmentation.saliency_mask = self._original
        self._tool_module.saliency_mask = self._original


class TimedFunctions:
    """Adds up the time of module-level functions (e.g. video encoding) while active."""

    def __init__(self, *targets: tuple[object, str]) -> None:
        self.targets = targets
        self.seconds = 0.0
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> TimedFunctions:
        for module, name in self.targets:
            original = getattr(module, name)

            def timed(*args, _original=original, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds += time.perf_counter() - started

            self._saved.append((module, name, original))
            setattr(module, name, timed)
        return self

    def __exit__(self, *exc) -> None:
        for module, name, original in self._saved:
            setattr(module, name, original)
