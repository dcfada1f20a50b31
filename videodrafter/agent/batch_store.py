"""The batch's status table in SQLite: survives kill -9, and one process owns a batch at a time."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

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

    def write_summary(self, summary: dict) -> None:
        from videodrafter.media.files import write_json_atomic

        write_json_atomic(self.folder / "summary.json", json.loads(json.dumps(summary, default=str)))
