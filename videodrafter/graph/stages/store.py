"""Reuse or make, and record: the one way a media stage gets an artifact.

An artifact is files named by the hash of its inputs (``artifact_path``) plus a JSON record of what
was measured on them, written last. A stage asks ``find`` first: a finished, recorded artifact
comes back re-pointed at this run folder's files (the folder may have been moved or copied); one
whose files are finished but whose record is missing (killed in between, or made by an older
version) is recovered from the files and recorded. Only then is it made, and ``record``\\ ed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from videodrafter.media.files import is_complete, write_text_atomic

M = TypeVar("M", bound=BaseModel)


def artifact_path(run_dir: Path, folder: str, stem: str, key: str, suffix: str) -> Path:
    return run_dir / folder / f"{stem}-{key}{suffix}"


def record_path(files: dict[str, Path]) -> Path:
    """Where the record of an artifact lives: beside its first file, as ``<stem>-<key>.json``."""
    return next(iter(files.values())).with_suffix(".json")


def find(
    files: dict[str, Path], model: type[M], recover: Callable[[], M] | None = None, companions: dict[str, Path] | None = None,
) -> M | None:
    """The finished artifact whose ``files`` (field name → path) are all complete, else None.

    The record gives what was measured; its paths are this folder's (``companions`` too: files
    made with it that older versions did not make, so they are not required). Without a record
    (or with a damaged one) ``recover()`` rebuilds it from the files, and it is recorded.
    """
    if not all(is_complete(path) for path in files.values()):
        return None
    record = record_path(files)
    if is_complete(record):
        try:
            return model.model_validate_json(record.read_text()).model_copy(update={**(companions or {}), **files})
        except (ValidationError, ValueError):
            pass  # an older or damaged record: rebuilt below
    if recover is None:
        return None
    return save(files, recover())


def save(files: dict[str, Path], artifact: M) -> M:
    """Record an artifact whose files were just written (the record is written last)."""
    write_text_atomic(record_path(files), artifact.model_dump_json(indent=2))
    return artifact


def reuse_or_make(
    files: dict[str, Path], model: type[M], make: Callable[[], M], recover: Callable[[], M] | None = None,
    companions: dict[str, Path] | None = None,
) -> M:
    """The artifact from its record or files when finished, else ``make()`` (which writes the files), recorded."""
    found = find(files, model, recover, companions)
    return found if found is not None else save(files, make())
