"""The CLI's stage progress: live bars on a terminal, plain lines everywhere else.

Under ``nohup``, a pipe or CI a live bar prints nothing until the end, so there each stage start and
end is one line with the time, and a long step prints a heartbeat (what it is doing, its LLM token
count and rate, how long it has taken against earlier runs) every ``heartbeat_s`` seconds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from rich.console import Console

from videodrafter.graph.progress import ProgressEvent

HEARTBEAT_S = 30.0
"""Default seconds between heartbeats within a stage (``VIDEODRAFTER_HEARTBEAT_S``)."""


def heartbeat_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get("VIDEODRAFTER_HEARTBEAT_S", HEARTBEAT_S)))
    except ValueError:
        return HEARTBEAT_S


def duration(seconds: float) -> str:
    """'42 s', '3m05s', '1h02m'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _estimate(event: ProgressEvent | None) -> str:
    return f"earlier runs: ~{duration(event.estimate_s)}" if event is not None and event.estimate_s else ""


class PlainStageLines:
    """One line per stage start and end, and a heartbeat while a stage runs long."""

    def __init__(self, write: Callable[[str], None], heartbeat_s: float) -> None:
        self.write, self.heartbeat_s = write, heartbeat_s
        self.lock = threading.Lock()
        self.stage: str | None = None
        self.event: ProgressEvent | None = None
        self.started = self.last_line = time.monotonic()
        self.stopped = threading.Event()
        self.beater = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> PlainStageLines:
        self.beater.start()
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        self.stopped.set()
        self.beater.join()
        with self.lock:
            self._end_stage(time.monotonic(), "stop" if exc_type is not None else "done")

    def on_event(self, event: ProgressEvent) -> None:
        with self.lock:
            now = time.monotonic()
            if event.stage != self.stage:
                self._end_stage(now)
                self.stage, self.started = event.stage, now
                self._line("start", event.stage, " · ".join(filter(None, [event.line(), _estimate(event)])))
            self.event = event

    def _end_stage(self, now: float, how: str = "done") -> None:
        if self.stage is not None:
            self._line(how, self.stage, duration(now - self.started))
            self.stage = None

    def _line(self, what: str, stage: str, text: str) -> None:
        self.last_line = time.monotonic()
        self.write(f"{datetime.now():%H:%M:%S} {what:<5} {stage:<13} {text}".rstrip())

    def _beat(self) -> None:
        while not self.stopped.wait(min(1.0, self.heartbeat_s)):
            with self.lock:
                now = time.monotonic()
                if self.stage is None or self.event is None or now - self.last_line < self.heartbeat_s:
                    continue
                event = self.event
                count = f"{event.done}/{event.total}" if event.total else ""
                elapsed = f"{duration(now - self.started)} so far" + (f" of ~{duration(event.estimate_s)}" if event.estimate_s else "")
                self._line("...", self.stage, " · ".join(filter(None, [count, event.line(), elapsed])))


@contextmanager
def stage_progress(console: Console) -> Iterator[Callable[[ProgressEvent], None]]:
    """Yields the ``on_event`` callback a run (or a chat turn) reports to: bars on a terminal,
    plain lines (with a heartbeat) anywhere else."""
    if not console.is_terminal:
        with PlainStageLines(lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True), heartbeat_seconds()) as lines:
            yield lines.on_event
        return
    with _live_bars(console) as on_event:
        yield on_event


@contextmanager
def _live_bars(console: Console) -> Iterator[Callable[[ProgressEvent], None]]:
    """One bar per stage (script, references, scene images, …) with its count, time and estimate."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [
        SpinnerColumn(), TextColumn("[bold]{task.fields[stage]:<13}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.description}"), TimeElapsedColumn(), TextColumn("[dim]{task.fields[estimate]}"),
    ]
    tasks: dict[str, int] = {}
    with Progress(*columns, console=console, transient=False) as progress:
        def finish(task_id: int) -> None:
            task = progress.tasks[task_id]
            progress.update(task_id, completed=task.total or 1, total=task.total or 1)

        def on_event(event: ProgressEvent) -> None:
            if event.stage not in tasks:
                for other in tasks.values():
                    finish(other)
                tasks[event.stage] = progress.add_task(event.line(), stage=event.stage, total=event.total or None, estimate="")
            estimate = f"~{duration(event.estimate_s)}" if event.estimate_s else ""
            progress.update(tasks[event.stage], description=event.line(), completed=event.done, total=event.total or None, estimate=estimate)

        yield on_event
        for task_id in tasks.values():
            finish(task_id)


@contextmanager
def case_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """An eval's ``on_progress(label, done, total)``: a transient bar on a terminal, else one line
    per case as it starts, with the time since the eval began."""
    if console.is_terminal:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("evaluating", total=None)
            yield lambda label, done, total: progress.update(task, description=label, completed=done, total=total)
        return
    started = time.monotonic()
    seen: set[tuple[str, int]] = set()

    def on_progress(label: str, done: int, total: int) -> None:
        if (label, done) in seen:
            return
        seen.add((label, done))
        console.print(
            f"{datetime.now():%H:%M:%S} case  {done + 1 if done < total else done}/{total} {label} · {duration(time.monotonic() - started)} elapsed",
            markup=False, highlight=False, soft_wrap=True,
        )

    yield on_progress


@contextmanager
def batch_progress(console: Console, batch_id: str) -> Iterator[Callable[[list], None]]:
    """A batch's ``on_update(records)``: the live status table on a terminal, else one line per item
    each time its status or stage changes ('12:01:05 item beach   running  clips 1/3')."""
    from videodrafter.display import batch_table

    if console.is_terminal:
        from rich.live import Live

        with Live(batch_table(batch_id, []), console=console, refresh_per_second=4) as live:
            yield lambda records: live.update(batch_table(batch_id, records))
        return
    said: dict[str, tuple[str, str | None]] = {}

    def on_update(records: list) -> None:
        for record in records:
            state = (record.status.value, getattr(record, "stage", None))
            if said.get(record.item.id) == state or record.status.value == "queued":
                continue
            said[record.item.id] = state
            if record.status.value == "running":
                text = state[1] or "starting"
            elif record.status.value == "failed":
                text = f"after {record.attempts} attempt(s): {record.error or ''}"[:200]
            else:
                text = f"{record.seconds:.1f} s" if record.seconds else ""
            console.print(f"{datetime.now():%H:%M:%S} item  {record.item.id:<13} {record.status.value:<11} {text}".rstrip(),
                          markup=False, highlight=False, soft_wrap=True)

    yield on_update
