"""The web UI's line for long jobs (write, approve, continue): at most ``limit`` run at once
(``Settings.web_concurrency``), the others wait in the order they were clicked and can say their place.

Gradio's own queue would hold such a click before our code runs, with nothing on the page but a
spinner; waiting here lets the page say "number 2 in line" and lets Cancel take a click out of line.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator


class RenderQueue:
    """A first-come, first-served line in front of ``limit`` slots."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._changed = threading.Condition()
        self._waiting: list[Ticket] = []
        self._running = 0

    def ticket(self) -> Ticket:
        """A place at the end of the line."""
        ticket = Ticket(self)
        with self._changed:
            self._waiting.append(ticket)
        return ticket

    @property
    def running(self) -> int:
        with self._changed:
            return self._running


class Ticket:
    """One click's place in the line; ``admitted`` once it holds a slot. ``leave`` frees either."""

    def __init__(self, line: RenderQueue) -> None:
        self._line = line
        self.admitted = False
        self._left = False

    def position(self) -> int:
        """1 for the first in line (0 once admitted or gone)."""
        line = self._line
        with line._changed:
            return line._waiting.index(self) + 1 if self in line._waiting else 0

    def wait(self, cancel: threading.Event, tick_s: float = 1.0) -> Iterator[int]:
        """Yield this ticket's place every ``tick_s`` until a slot is free (then ``admitted``) or
        ``cancel`` is set (then it leaves the line)."""
        line = self._line
        while True:
            with line._changed:
                if cancel.is_set():
                    self._leave_locked()
                    return
                if line._waiting and line._waiting[0] is self and line._running < line.limit:
                    line._waiting.pop(0)
                    line._running += 1
                    self.admitted = True
                    line._changed.notify_all()
                    return
                place = line._waiting.index(self) + 1
            yield place
            with line._changed:
                line._changed.wait(timeout=tick_s)

    def leave(self) -> None:
        """Free the slot (or the place in line); once, whatever happened."""
        with self._line._changed:
            self._leave_locked()

    def _leave_locked(self) -> None:
        line = self._line
        if self._left:
            return
        self._left = True
        if self.admitted:
            line._running -= 1
        elif self in line._waiting:
            line._waiting.remove(self)
        line._changed.notify_all()
