"""The batch's status table in SQLite: survives kill -9, and one process owns a batch at a time.

Only the process that holds the batch's lock writes the table (worker processes hand their results
back to it); ``results.jsonl`` beside it is rewritten whole, atomically, after every item that ends.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from videodrafter.agent.batch_items import BatchItem
from videodrafter.errors import InputError


class ItemStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """Stopped by Ctrl-C; the next run of the same batch resumes it."""


class ItemRecord(BaseModel):
    item: BatchItem
    status: ItemStatus
    attempts: int = 0
    run_id: str | None = None
    error: str = ""
    seconds: float = 0.0
    llm_calls: int = 0
    tokens: int = 0
    video: str | None = None
    stage: str | None = Field(default=None, description="The stage a running item is in, read from its run's status.json.")
    started_at: float | None = Field(default=None, description="When the attempt under way started (Unix time); None when none is.")

    def progress(self, now: float | None = None) -> str:
        """What a running item is doing, for the status table: 'scene images, 12 s'; '' when it is not running."""
        if self.status is not ItemStatus.RUNNING or self.started_at is None:
            return ""
        elapsed = max(0.0, (time.time() if now is None else now) - self.started_at)
        return f"{self.stage or 'starting'}, {elapsed:.0f} s"


RESULTS = "results.jsonl"
"""One line per item that finished or failed, beside ``batch.sqlite``."""


class ItemOutcome(BaseModel):
    """One line of ``results.jsonl``: an item that finished or failed, as its latest attempt left it."""

    item_id: str = Field(description="The item's id in the batch file.")
    prompt: str = Field(description="The item's prompt ('' for an item rendered from a script).")
    script: str | None = Field(description="The script file the item rendered instead of planning, if any.")
    status: Literal["done", "failed"] = Field(description="done: the video was made; failed: the last attempt failed (retries used up).")
    run_id: str | None = Field(description="The item's run folder under the runs folder; `videodrafter resume RUN_ID` continues a failed one.")
    video: str | None = Field(description="The finished video's path; None for a failed item.")
    seconds: float = Field(description="Wall-clock seconds of the item's attempts in this batch (an attempt killed with the batch is not counted).")
    attempts: int = Field(description="How many attempts the item took.")
    llm_calls: int = Field(description="LLM calls of the item's run, as the run's usage records them.")
    tokens: int = Field(description="LLM tokens (input plus output) of the item's run, as the run's usage records them.")
    error: str = Field(description="Why the last attempt failed; '' for a finished item.")

    @classmethod
    def of(cls, record: ItemRecord) -> ItemOutcome:
        return cls(
            item_id=record.item.id, prompt=record.item.prompt, script=str(record.item.script) if record.item.script else None,
            status=record.status.value, run_id=record.run_id, video=record.video, seconds=round(record.seconds, 3),
            attempts=record.attempts, llm_calls=record.llm_calls, tokens=record.tokens, error=record.error,
        )


class BatchStore:
    """``<runs>/batches/<batch_id>/batch.sqlite`` plus an exclusive lock file while a process drives it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock_handle = (folder / "batch.lock").open("a+")
        try:
            fcntl.flock(self._lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_handle.seek(0)
            owner = self._lock_handle.read().strip() or "another process"
            self._lock_handle.close()
            raise InputError(
                f"The batch '{folder.name}' is already running (process {owner}).",
                "Wait for it to finish, or start a separate batch (leave out --batch-id).",
            ) from None
        self._lock_handle.seek(0)
        self._lock_handle.truncate()
        self._lock_handle.write(str(os.getpid()))
        self._lock_handle.flush()
        self.db = sqlite3.connect(folder / "batch.sqlite", timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, position INTEGER, record TEXT NOT NULL, updated REAL)"
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()
        fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
        self._lock_handle.close()

    def register(self, items: list[BatchItem]) -> None:
        """Add new items as queued; items already known keep their status (that is what resuming means)."""
        with self.db:
            for position, item in enumerate(items):
                record = ItemRecord(item=item, status=ItemStatus.QUEUED)
                self.db.execute(
                    "INSERT OR IGNORE INTO items (id, position, record, updated) VALUES (?, ?, ?, ?)",
                    (item.id, position, record.model_dump_json(), time.time()),
                )

    def records(self) -> list[ItemRecord]:
        rows = self.db.execute("SELECT record FROM items ORDER BY position").fetchall()
        return [ItemRecord.model_validate_json(row[0]) for row in rows]

    def save(self, record: ItemRecord) -> None:
        with self.db:
            self.db.execute(
                "UPDATE items SET record = ?, updated = ? WHERE id = ?", (record.model_dump_json(), time.time(), record.item.id)
            )

    def write_results(self) -> Path:
        """Rewrite ``results.jsonl`` from the table: a kill at any moment leaves the previous whole file."""
        from videodrafter.media.files import write_text_atomic

        ended = [ItemOutcome.of(record) for record in self.records() if record.status in (ItemStatus.DONE, ItemStatus.FAILED)]
        return write_text_atomic(self.folder / RESULTS, "".join(line.model_dump_json() + "\n" for line in ended))

    def write_summary(self, summary: dict) -> None:
        from videodrafter.media.files import write_json_atomic

        write_json_atomic(self.folder / "summary.json", json.loads(json.dumps(summary, default=str)))
