"""Atomic writes: a reader (or a resumed run) never sees half a file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

TEMP_MARKER = ".partial-"
"""In the name of every temporary file ``atomic_path`` makes: ``.<stem>.partial-<random><suffix>``."""

# Temporary files of earlier versions were ``.<stem>.<8 random chars><suffix>`` (mkstemp's default).
_LEGACY_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}(\.[A-Za-z0-9]+)?$")

_umask_lock = threading.Lock()


def _file_mode() -> int:
    """The mode ``open()`` would give a new file under the process umask (0o644 under umask 022).

    mkstemp makes its files 0o600 whatever the umask, and ``os.replace`` keeps that mode, so every
    artifact would be unreadable to other users. Linux reports the umask in /proc; elsewhere it can
    only be read by setting it (briefly to the stricter 077, so a racing thread errs on the safe side).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        umask = os.umask(0o077)
        os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it into place only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}{TEMP_MARKER}", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        os.chmod(temporary_path, _file_mode())  # after the block: a writer such as ffmpeg may have recreated the file
        os.replace(temporary_path, target)
    finally:
        temporary_path.unlink(missing_ok=True)


def is_temporary(path: Path) -> bool:
    """A file ``atomic_path`` left behind (the process was killed before it could rename or remove it)."""
    name = path.name
    return name.startswith(".") and (TEMP_MARKER in name or bool(_LEGACY_TEMP.match(name)))


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files left under ``folder`` by killed writers; returns what was removed.

    Only call this while no other process writes into ``folder`` (a run holds its run lock).
    """
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.rglob(".*"):
        if path.is_file() and is_temporary(path):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run in %s", len(removed), folder)
    return removed


def is_complete(path: Path) -> bool:
    """A finished artifact: files only appear under their final name by an atomic rename, so an
    existing non-empty file is complete; PNGs are also checked for their end chunk, which costs one
    small read and catches a file copied in by hand and cut short."""
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return False
    if size == 0 or not path.is_file():
        return False
    if path.suffix.lower() == ".png":
        with path.open("rb") as handle:
            handle.seek(max(0, size - 12))
            return handle.read().startswith(b"\x00\x00\x00\x00IEND")
    return True


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return target


def write_text_atomic(target: Path, text: str) -> Path:
    return write_bytes_atomic(target, text.encode("utf-8"))


def write_json_atomic(target: Path, document: object) -> Path:
    return write_text_atomic(target, json.dumps(document, indent=2, ensure_ascii=False, default=str))


def save_png_atomic(image: Image.Image, target: Path) -> Path:
    with atomic_path(target) as temporary:
        image.save(temporary, format="PNG", compress_level=1)  # fast; intermediate files favour speed over size
    return target


class OutputLedger:
    """Which input key made each plain-named output (``video.mp4``, ``video.srt`` …), in one JSON file.

    Hash-keyed artifacts carry their key in their name; the deliverables cannot, so the ledger keeps
    it, with the file's size and mtime: an output is reused only when its key matches and the file
    is still the one that was recorded. One process writes a run at a time (the run lock).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._entries: dict[str, dict] = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            self._entries = {}

    @staticmethod
    def _stamp(target: Path) -> dict:
        stat = target.stat()
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def fresh(self, target: Path, key: str) -> bool:
        entry = self._entries.get(target.name)
        if entry is None or entry.get("key") != key or not is_complete(target):
            return False
        return {name: entry.get(name) for name in ("size", "mtime_ns")} == self._stamp(target)

    def record(self, target: Path, key: str) -> None:
        self._entries[target.name] = {"key": key, **self._stamp(target)}
        write_json_atomic(self.path, self._entries)


def content_hash(*parts: object) -> str:
    """A short stable hash of JSON-serialisable parts (and file contents for Paths)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            digest.update(file_digest(part).encode())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
