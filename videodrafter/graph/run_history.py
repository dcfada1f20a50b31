"""The runs under a runs folder, newest first: what `videodrafter runs` and the web UI's Runs tab show.

Reading never takes a run's lock, so listing runs cannot get in the way of a run being started or
resumed. Everything comes from the run folder (request, status record, script, video); a folder
killed before it wrote its request is not a run and is left out. ``delete_run`` (the web Runs tab)
takes the lock, so a run being driven is never deleted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from videodrafter.errors import InputError
from videodrafter.graph.run_folder import checkpoint_thread, LOCK, REQUEST, STATUS, RunBusy, RunRequest, resume_command, run_lock, validate_run_id

log = logging.getLogger(__name__)

RunStatus = Literal["done", "waiting_for_approval", "running", "interrupted", "failed", "unfinished"]


class RunRecord(BaseModel):
    """One line of the history."""

    run_id: str
    prompt: str
    status: RunStatus
    scenes: int | None = Field(default=None, description="Scenes of the script (or the count asked for).")
    created_at: str = Field(description="ISO time the run started (UTC).")
    run_dir: Path
    video: Path | None = Field(default=None, description="The finished video, when there is one.")
    stage: str | None = Field(default=None, description="The stage a running (or stopped) run was at.")
    error: str | None = Field(default=None, description="Why a failed run stopped.")
    message: str = Field(default="", description="What the stage under way was doing, in words.")
    done: int = Field(default=0, description="Items of that stage finished.")
    total: int = Field(default=0, description="Items of that stage in all (0: unknown).")
    updated_at: str | None = Field(default=None, description="When the status was last written (UTC, ISO 8601).")
    stage_started_at: str | None = Field(default=None, description="When the stage under way started (UTC, ISO 8601).")

    def elapsed_s(self, now: datetime | None = None) -> float | None:
        """Seconds from the start to now (a running run) or to its last status (a stopped or finished one)."""
        end = (now or datetime.now(UTC)) if self.status == "running" else _parse_time(self.updated_at)
        start = _parse_time(self.created_at)
        return None if start is None or end is None else max(0.0, (end - start).total_seconds())

    def stage_elapsed_s(self, now: datetime | None = None) -> float | None:
        """Seconds the stage under way has run (a running run only)."""
        start = _parse_time(self.stage_started_at)
        if self.status != "running" or start is None:
            return None
        return max(0.0, ((now or datetime.now(UTC)) - start).total_seconds())

    def thumbnail(self) -> Path | None:
        """A picture of the run: its first scene picture, else its first entity reference."""
        for folder in ("scenes", "entities"):
            pictures = sorted(
                (path for path in (self.run_dir / folder).glob("*.png") if not path.name.endswith((".mask.png", ".last.png"))),
                key=lambda path: (path.stat().st_mtime, path.name),
            )
            if pictures:
                return pictures[0]
        return None

    @property
    def status_label(self) -> str:
        return self.status.replace("_", " ")

    @property
    def scenes_label(self) -> str:
        return "" if self.scenes is None else str(self.scenes)

    @property
    def created_label(self) -> str:
        """The start time as 'YYYY-MM-DD HH:MM:SS' (UTC)."""
        return self.created_at[:19].replace("T", " ")

    @property
    def resumable(self) -> bool:
        return self.status in ("waiting_for_approval", "interrupted", "failed", "unfinished")

    def next_step(self) -> str | None:
        """The command that continues the run, or None when it is done or under way."""
        if not self.resumable:
            return None
        command = resume_command(self.run_id, self.run_dir.parent)
        return f"{command} --approve" if self.status == "waiting_for_approval" else command


def _lock_holder_alive(run_dir: Path) -> bool:
    """A process on this machine named in ``run.lock`` is still alive (the kernel's flock is not probed:
    taking it, even shared, for a moment could make a concurrent start fail as busy)."""
    try:
        owner = json.loads((run_dir / LOCK).read_text() or "{}")
    except (OSError, ValueError):
        return False
    return _process_alive(owner)


def _process_alive(owner: dict) -> bool:
    """The process a record names (``{"host", "pid"}``: a run lock, a status) is alive on this machine."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return False
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_held(lock: Path) -> bool | None:
    """Whether a process holds the flock of ``lock``, read from /proc/locks (never by taking it); None
    where the kernel does not say. The holder may be alive with the lock released: a web server whose
    run's thread has ended (or died) no longer drives that run."""
    try:
        info = lock.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    # by inode alone: on overlay and FUSE filesystems the device /proc/locks names is not the one stat()
    # gives, and a lock wrongly seen as free would call a live run interrupted
    inode = str(info.st_ino)
    return any(
        fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == inode
        for fields in (line.replace("->", "").split() for line in table.splitlines()) if len(fields) > 5
    )


def _still_driven(run_dir: Path, recorded: dict) -> bool:
    """A 'running' run is driven by someone: its lock is held (a CLI, chat, web or batch run), or, for a
    LangGraph Server run (no lock), the process that wrote its status is alive."""
    if (run_dir / LOCK).is_file():
        held = _lock_held(run_dir / LOCK)
        return _lock_holder_alive(run_dir) if held is None else held
    return _process_alive(recorded)  # the process that wrote the status


def _scene_count(run_dir: Path, request: RunRequest) -> int | None:
    try:
        return len(json.loads((run_dir / "script.json").read_text())["scenes"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if request.script is not None:
        return len(request.script.scenes)
    return request.scenes


def read_run(run_dir: Path) -> RunRecord | None:
    """The record of one run folder; None for a folder that is not a run (or whose request is unreadable)."""
    try:
        request = RunRequest.model_validate_json((run_dir / REQUEST).read_text())
    except OSError as problem:  # no request: killed before it was written, so not a run
        log.debug("skipping %s: %s", run_dir, problem)
        return None
    except (ValidationError, ValueError):
        return _damaged_run(run_dir)
    try:
        recorded = json.loads((run_dir / STATUS).read_text())
    except (OSError, ValueError):
        recorded = {}
    video = run_dir / "video.mp4"
    status = recorded.get("status")
    if status == "running" and not _still_driven(run_dir, recorded):
        status = "interrupted"  # killed: nobody drives it any more
    if status is None:
        status = "done" if video.is_file() else "unfinished"
    if status not in RunStatus.__args__:
        status = "unfinished"
    return RunRecord(
        run_id=run_dir.name,  # the folder's name: a copied run is its copy
        prompt=request.prompt, status=status, scenes=_scene_count(run_dir, request),
        created_at=request.created_at, run_dir=run_dir, video=video if video.is_file() else None,
        stage=recorded.get("stage"), error=recorded.get("error"), message=recorded.get("message") or "",
        done=recorded.get("done") or 0, total=recorded.get("total") or 0, updated_at=recorded.get("updated_at"),
        stage_started_at=recorded.get("stage_started_at"),
    )


def _parse_time(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _damaged_run(run_dir: Path) -> RunRecord:
    """A run whose request.json is damaged is listed, not hidden: its files are still there."""
    created = datetime.fromtimestamp((run_dir / REQUEST).stat().st_mtime, UTC).isoformat(timespec="seconds")
    video = run_dir / "video.mp4"
    return RunRecord(
        run_id=run_dir.name, prompt="", status="failed", created_at=created, run_dir=run_dir,
        video=video if video.is_file() else None,
        error=f"its request.json is damaged, so it cannot be resumed; its files are in {run_dir}",
    )


def list_runs(runs_dir: Path, limit: int | None = None) -> list[RunRecord]:
    """Every run under ``runs_dir``, newest first."""
    if not runs_dir.is_dir():
        return []
    records = [record for path in runs_dir.glob(f"*/{REQUEST}") if (record := read_run(path.parent)) is not None]
    records.sort(key=lambda record: (record.created_at, record.run_id), reverse=True)
    return records[:limit] if limit else records


def find_run(runs_dir: Path, run_id: str) -> RunRecord:
    """One run by id, or an error that lists the recent ones."""
    record = read_run(runs_dir / validate_run_id(run_id))
    if record is None:
        recent = ", ".join(record.run_id for record in list_runs(runs_dir, limit=5))
        raise InputError(
            f"There is no run '{run_id}' in {runs_dir}.",
            f"Recent runs: {recent}." if recent else 'Start one with `videodrafter make "..."`.',
        )
    return record


def delete_run(runs_dir: Path, run_id: str) -> None:
    """Delete a run's folder, holding its lock: a run being driven (here or by another process) is
    refused with RunBusy, and nothing outside ``runs_dir`` is touched."""
    record = find_run(runs_dir, run_id)
    run_dir = record.run_dir
    if run_dir.is_symlink() or run_dir.resolve().parent != runs_dir.resolve():
        raise InputError(f"The run '{run_id}' is not a folder of {runs_dir}.", "Delete it by hand if it should go.")
    if record.status == "running":  # a LangGraph Server run holds no lock: its status says it is driven
        raise RunBusy(f"The run '{run_id}' is being worked on.", "Wait for it to finish (or cancel it), then delete it.")
    with run_lock(run_dir, run_id):
        shutil.rmtree(run_dir)


def pending_script(run_dir: Path):
    """The script a run paused for approval is waiting on (from its checkpoint), or None."""
    from videodrafter.graph.graph import build_graph
    from videodrafter.graph.checkpoints import CHECKPOINTS, checkpointer
    from videodrafter.script import VideoScript

    if not (run_dir / CHECKPOINTS).is_file():
        return None
    with checkpointer(run_dir) as saver:
        snapshot = build_graph(checkpointer=saver).get_state({"configurable": {"thread_id": checkpoint_thread(run_dir)}})
    for task in snapshot.tasks:
        for pending in task.interrupts:
            if isinstance(pending.value, dict) and pending.value.get("script"):
                return VideoScript.model_validate(pending.value["script"])
    return None


ARCHIVED = ("video.mp4", "script.json", "video.srt", "timeline.otio", "contact_sheet.png", "manifest.json")
ARCHIVED_SUFFIXES = (".wav", ".mp3", ".m4a")  # narration, where a run has it


def archive_run(record: RunRecord, target: Path) -> Path:
    """One zip of what a run made: video, script, subtitles, timeline, contact sheet, manifest, pictures.

    Checkpoints, locks and masks stay out: the zip is for people, the run folder for resuming.
    """
    import zipfile

    run_dir = record.run_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    files = [run_dir / name for name in ARCHIVED if (run_dir / name).is_file()]
    files += sorted(path for path in run_dir.iterdir() if path.suffix in ARCHIVED_SUFFIXES)
    for folder in ("entities", "scenes"):
        files += sorted(path for path in (run_dir / folder).glob("*.png") if not path.name.endswith(".mask.png"))
    temporary = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, f"{record.run_id}/{path.relative_to(run_dir)}")
    temporary.replace(target)  # never a half-written zip under the real name
    return target
