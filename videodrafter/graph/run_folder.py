"""A run's folder: its id, what started it (``request.json``), what it is doing (``status.json``) and
who drives it (``run.lock``). The history (``run_history``) reads these; the driver writes them."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import shlex
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.media.files import write_json_atomic
from videodrafter.script import VideoScript

log = logging.getLogger(__name__)

REQUEST = "request.json"
LOCK = "run.lock"
STATUS = "status.json"
"""The run's latest state for `videodrafter runs` and the web UI's Runs tab (see ``run_history``)."""

OVERRIDABLE = ("engine", "llm", "voice")
"""Settings a resume may change for the steps not yet done."""


class RunOverride(BaseModel):
    """Settings a `resume` changed, and when."""

    at: str
    settings: dict[str, str]


class RunRequest(BaseModel):
    """What started a run; a resume rebuilds the same settings from it."""

    run_id: str
    prompt: str
    scenes: int | None = None
    script: VideoScript | None = None
    settings: dict[str, Any]
    created_at: str
    overrides: list[RunOverride] = Field(default_factory=list, description="Applied in order on every resume.")

    def effective_settings(self, runs_dir: Path, **extra: Any) -> Settings:
        values = dict(self.settings)
        for override in self.overrides:
            values.update(override.settings)
        return Settings(**{**values, "runs_dir": runs_dir, **extra})

    def with_overrides(self, changed: dict[str, str]) -> RunRequest:
        """The request with one more resume's changes (checked against ``OVERRIDABLE``)."""
        unknown = sorted(set(changed) - set(OVERRIDABLE))
        if unknown:
            raise InputError(f"A resume cannot change {', '.join(unknown)}.", f"Only {', '.join(OVERRIDABLE)} can be changed.")
        if not changed:
            return self
        override = RunOverride(at=datetime.now(UTC).isoformat(timespec="seconds"), settings=changed)
        return self.model_copy(update={"overrides": [*self.overrides, override]})


class RunBusy(InputError):
    """Another process (or another call in this one) is driving the run."""


def resume_command(run_id: str, runs_dir: Path) -> str:
    """The command that continues a run; names the runs folder unless the settings default to it."""
    try:
        default = Settings().runs_dir
    except ValidationError:
        default = Path("runs")
    where = "" if runs_dir.resolve() == default.resolve() else f" --runs-dir {shlex.quote(str(runs_dir))}"
    return f"videodrafter resume {shlex.quote(run_id)}{where}"


def new_run_id(prompt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:32].strip("-") or "video"
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{slug}-{secrets.token_hex(2)}"


def validate_run_id(run_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", run_id):
        raise InputError(f"'{run_id}' is not a valid run id.", "Use letters, digits, '.', '_' and '-' only.")
    return run_id


class RunLock:
    """An exclusive ``flock`` on ``<run>/run.lock`` while a process drives the run; the file says who.

    The kernel drops the lock when its holder dies (even by kill -9), so a stale lock never blocks a
    resume. A second holder in the same process is refused as well (flock is per open file).
    """

    def __init__(self, run_dir: Path, run_id: str) -> None:
        self.path = run_dir / LOCK
        self._handle = self.path.open("a+")
        self._released = threading.Lock()
        self._done = False
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.seek(0)
            holder = self._handle.read()
            self._handle.close()
            raise RunBusy(*_busy_message(run_id, run_dir, holder)) from None
        self._handle.seek(0)
        self._handle.truncate()
        owner = {
            "pid": os.getpid(), "host": socket.gethostname(), "since": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}",
            "command": " ".join(shlex.quote(part) for part in sys.argv),
        }
        self._handle.write(json.dumps(owner))
        self._handle.flush()

    def release(self) -> None:
        with self._released:
            if self._done:
                return
            self._done = True
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()

    def release_after(self, thread: threading.Thread) -> None:
        """Hold the lock until ``thread`` (a step still finishing after Ctrl-C) has ended."""
        if not thread.is_alive():
            self.release()
            return
        threading.Thread(target=lambda: (thread.join(), self.release()), name=f"{thread.name}-unlock", daemon=True).start()


def _busy_message(run_id: str, run_dir: Path, holder: str) -> tuple[str, str]:
    try:
        owner = json.loads(holder)
        who = f"process {owner['pid']} on {owner['host']}, since {owner['since']} UTC"
        stop = f"stop it (kill {owner['pid']})"
    except (ValueError, KeyError, TypeError):
        who, stop = "another process", "stop it"
    return (
        f"The run '{run_id}' is already being worked on by {who}.",
        f"Wait for it to finish, or {stop} and run `{resume_command(run_id, run_dir.parent)}` again.",
    )


@contextmanager
def run_lock(run_dir: Path, run_id: str) -> Iterator[RunLock]:
    lock = RunLock(run_dir, run_id)
    try:
        yield lock
    finally:
        lock.release()


@contextmanager
def new_run_folder(runs_dir: Path, run_id: str) -> Iterator[RunLock]:
    """Create ``<runs_dir>/<run_id>`` and hold its lock; a run of that name that exists is refused."""
    run_dir = runs_dir / run_id
    runs_dir.mkdir(parents=True, exist_ok=True)
    exists = InputError(
        f"A run named '{run_id}' already exists in {runs_dir}.",
        f"Continue it with `{resume_command(run_id, runs_dir)}`, or pick another --run-id.",
    )
    try:
        run_dir.mkdir()  # atomic: two processes can never both own one run folder
    except FileExistsError:
        if (run_dir / REQUEST).exists() or any(path.name != LOCK for path in run_dir.iterdir()):
            raise exists from None
        # a start killed before it wrote its request left only the folder (and its lock): nothing to keep
    with run_lock(run_dir, run_id) as lock:
        if (run_dir / REQUEST).exists():  # another start took the empty folder over first
            raise exists
        yield lock


def save_request(run_dir: Path, request: RunRequest) -> None:
    write_json_atomic(run_dir / REQUEST, request.model_dump(mode="json"))


def checkpoint_thread(run_dir: Path) -> str:
    """The thread id a run's checkpoints are kept under: the id it was started with (its request),
    which stays the same when the folder is copied or renamed; the folder's name for a folder without one."""
    try:
        return RunRequest.model_validate_json((run_dir / REQUEST).read_text()).run_id
    except (OSError, ValidationError, ValueError):
        return run_dir.name


def load_request(run_id: str, runs_dir: Path) -> RunRequest:
    run_dir = runs_dir / validate_run_id(run_id)
    path = run_dir / REQUEST
    if not path.is_file():
        known = sorted(p.parent.name for p in runs_dir.glob(f"*/{REQUEST}"))[-5:]
        raise InputError(
            f"There is no run '{run_id}' in {runs_dir}.",
            f"Recent runs: {', '.join(known)}." if known else "Start one with `videodrafter make \"...\"`.",
        )
    try:
        return RunRequest.model_validate_json(path.read_text())
    except ValidationError as error:
        raise InputError(f"The run record {path} is damaged: {error.errors()[0]['msg']}.", "Start a new run.") from error


STATUS_EVERY_S = 2.0
"""How often ``status.json`` is rewritten within a stage (a new stage is written at once): a token
count ticks every second."""


class StatusRecord(BaseModel):
    """``status.json``: what a run is doing now. Written by whoever drives the run (the lock holder)."""

    status: str = Field(description="running, waiting_for_approval, done, interrupted or failed.")
    stage: str | None = Field(default=None, description="The stage under way (or where the run stopped).")
    error: str | None = Field(default=None, description="Why a failed run stopped.")
    updated_at: str = Field(description="When this record was written (UTC, ISO 8601).")
    stage_started_at: str | None = Field(default=None, description="When the stage under way started (UTC, ISO 8601).")
    message: str = Field(default="", description="What the stage is doing, in words ('clip 2: zoom in, slow').")
    done: int = Field(default=0, description="Items of the stage finished.")
    total: int = Field(default=0, description="Items of the stage in all (0: unknown).")
    tokens: int = Field(default=0, description="Tokens the LLM call under way has written.")
    tokens_per_s: float = Field(default=0.0, description="The LLM call's writing rate.")
    estimate_s: float | None = Field(default=None, description="How long the stage took in earlier runs on this machine.")
    pid: int | None = Field(default=None, description="The process driving the run (a 'running' run whose process is gone was stopped).")
    host: str | None = Field(default=None, description="The machine of that process.")


def record_status(
    run_dir: Path, status: str, *, stage: str | None = None, error: str | None = None,
    progress: dict | None = None, stage_started_at: str | None = None,
) -> None:
    """What the run is doing now; written by the lock holder only. A record that cannot be written
    costs the run nothing: the history then reads the run folder itself. ``progress``: the last
    progress event's fields (message, done, total, tokens, estimate)."""
    fields = {key: value for key, value in (progress or {}).items() if key in StatusRecord.model_fields and key != "stage"}
    record = StatusRecord(
        status=status, stage=stage, error=error, updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        stage_started_at=stage_started_at, pid=os.getpid(), host=socket.gethostname(), **fields,
    )
    try:
        write_json_atomic(run_dir / STATUS, record.model_dump(mode="json"))
    except OSError as problem:
        log.warning("could not record the status of %s: %s", run_dir.name, problem)
