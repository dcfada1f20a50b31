"""The web Runs tab's table (thumbnail, run, prompt, status with its stage, elapsed time) and its
confirmed delete; pure functions, tested without a browser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from videodrafter.graph.run_history import RunRecord, delete_run

RUN_HEADERS = ["", "run", "prompt", "status", "elapsed", "scenes", "created (UTC)"]
RUN_DATATYPES = ["markdown", "str", "str", "str", "str", "number", "str"]
RUN_WIDTHS = ["9%", "20%", "27%", "20%", "8%", "6%", "10%"]
"""Widths that fit a laptop's page with every header readable; long cells wrap."""


def duration_label(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def status_cell(record: RunRecord, now: datetime | None = None) -> str:
    """'running · scene images 2/6 · 35 s' for a run under way; where a stopped run stopped."""
    label = record.status_label
    if not record.stage or record.status == "done":
        return label
    counted = f" {record.done}/{record.total}" if record.total else ""
    if record.status != "running":
        return f"{label} at {record.stage}"
    in_stage = record.stage_elapsed_s(now)
    return f"{label} · {record.stage}{counted}" + (f" · {duration_label(in_stage)}" if in_stage is not None else "")


def thumbnail_cell(record: RunRecord) -> str:
    """Markdown that shows the run's thumbnail (served from the runs folder, an allowed path)."""
    picture = record.thumbnail()
    if picture is None:
        return ""
    return f"![{record.run_id}](/gradio_api/file={quote(str(Path(picture).resolve()))})"


def run_rows(records: list[RunRecord], now: datetime | None = None) -> list[list]:
    now = now or datetime.now(UTC)
    return [
        [
            thumbnail_cell(record), record.run_id, record.prompt[:120], status_cell(record, now), duration_label(record.elapsed_s(now)),
            record.scenes, record.created_label,
        ]
        for record in records
    ]


def delete_message(runs_dir: Path, run_id: str | None, confirmed: bool) -> str:
    """Delete ``run_id`` when ``confirmed``; what happened, in words (errors as VideoDrafterError)."""
    from videodrafter.errors import InputError

    if not run_id:
        raise InputError("Choose a run first.", "Pick one in the Run list.")
    if not confirmed:
        raise InputError(f"Tick 'Yes, delete the chosen run' to delete '{run_id}'.", "A deleted run cannot be brought back.")
    delete_run(runs_dir, run_id)
    return f"🗑 Deleted run `{run_id}`."
