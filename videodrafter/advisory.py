"""One policy for a step that advises but never decides: the vision critic, the narration's voice.

When such a step fails (a server down, a voice not installed), the run goes on without it: the
first failure is noted once, the step is down for the rest of the run, and whatever it would have
judged or spoken is decided or left silent by the rest of the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from videodrafter.errors import VideoDrafterError

log = logging.getLogger(__name__)

T = TypeVar("T")


class AdvisoryStep:
    """Calls of one advisory step in one run; ``down`` once a call failed, with a note saying so."""

    def __init__(
        self,
        failure: str,
        consequence: str,
        *,
        down: bool = False,
        errors: tuple[type[VideoDrafterError], ...] = (VideoDrafterError,),
    ) -> None:
        self.failure = failure
        self.consequence = consequence
        self.down = down
        self.errors = errors
        self.notes: list[str] = []
        self.last_error: str = ""

    def attempt(self, call: Callable[[], T]) -> T | None:
        """``call()``'s answer, or None when the step is down or fails now (which puts it down)."""
        if self.down:
            return None
        try:
            return call()
        except self.errors as error:
            self.fail(error)
            return None

    def fail(self, error: VideoDrafterError) -> None:
        """Put the step down with a note (also for a failure met outside ``attempt``, e.g. while loading it)."""
        self.down = True
        self.last_error = error.message[:300]
        log.warning("%s: %s", self.failure, error.message)
        self.notes.append(f"{self.failure} ({self.last_error}); {self.consequence}")


def vision_critic_step(*, down: bool = False) -> AdvisoryStep:
    """The vision critic: when it fails, the image embedder decides from here on."""
    return AdvisoryStep("the vision critic failed", "the image embedder decides from here on", down=down)
