"""Batch input files: a .txt with one prompt per line, or .jsonl with per-item options."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from videodrafter.errors import InputError


class BatchItem(BaseModel):
    """One video to make."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$", description="Unique within the batch.")
    prompt: str = ""
    scenes: int | None = Field(default=None, ge=1, le=20)
    script: Path | None = Field(default=None, description="A script JSON to render instead of planning.")
    llm: str | None = None
    engine: str | None = None
    seed: int | None = None

    @field_validator("prompt")
    @classmethod
    def _strip(cls, value: str) -> str:
        from videodrafter.planning.inputs import clean_text, is_blank

        return "" if is_blank(value) else clean_text(value)  # an invisible-only prompt counts as none


def read_batch_file(path: Path) -> list[BatchItem]:
    """Parse and check every line first, so a typo on line 40 fails before any work starts."""
    if not path.is_file():
        raise InputError(f"The batch file '{path}' does not exist.", "Give a .txt (one prompt per line) or .jsonl file.")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"The batch file '{path}' is not UTF-8 text.", "Save it as UTF-8.") from error
    items: list[BatchItem] = []
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if not jsonl:
            items.append(BatchItem(id=f"{len(items) + 1:03d}", prompt=text))
            continue
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("each line must be a JSON object")
            data.setdefault("id", f"{len(items) + 1:03d}")
            item = BatchItem.model_validate(data)
        except (ValueError, ValidationError) as error:
            detail = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
            raise InputError(
                f"Line {number} of '{path}' is not a valid batch item: {detail}.",
                'Each line is an object like {"prompt": "a dog at the beach", "scenes": 4, "seed": 1}.',
            ) from error
        if item.script is not None and not item.script.is_absolute():
            item = item.model_copy(update={"script": (path.parent / item.script).resolve()})
        items.append(item)
    if not items:
        raise InputError(f"The batch file '{path}' has no items.", "Put one prompt per line (lines starting with # are skipped).")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise InputError(f"The batch item id '{item.id}' appears twice in '{path}'.", "Give every item its own id.")
        if not item.prompt and item.script is None:
            raise InputError(f"Batch item '{item.id}' has neither a prompt nor a script.", "Add a prompt.")
        seen.add(item.id)
    return items


def batch_id_for(path: Path) -> str:
    import secrets
    from datetime import UTC, datetime

    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:24] or "batch"
    return f"{stem}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
