"""What the web server hands out from the runs folder: a run's exports, nothing else.

Gradio serves any file under an allowed path (the runs folder, for the videos, pictures and zips the
page shows). A run folder also holds its checkpoints, lock, request and status, and the runs folder
holds chat sessions and batch databases: ``ExportsOnly`` refuses those with 403 before Gradio sees
the request, whoever asks.
"""

from __future__ import annotations

from pathlib import Path

from videodrafter.media.exports import FORMATS

EXPORTED_SUFFIXES = frozenset({".mp4", ".png", ".jpg", ".jpeg", ".webp", ".srt", ".otio", ".zip", ".wav"})
"""The video, pictures, contact sheet, subtitles, timeline, zip and music."""
EXPORTED_NAMES = frozenset({"script.json", "manifest.json"})
EDITOR_SUFFIXES = frozenset(spec[1] for spec in FORMATS.values() if spec[1])
"""The timelines `videodrafter export` writes for other editors: served from a run's export folder only."""
PRIVATE_FOLDERS = frozenset({"sessions", "batches"})
"""Chat sessions and batch databases: never a run's export."""


def is_export(path: Path, runs_dir: Path) -> bool:
    """Whether ``path`` (resolved) may be served: outside the runs folder Gradio's own rules apply;
    inside it, only a run's exports."""
    try:
        relative = path.relative_to(runs_dir)
    except ValueError:
        return True
    if not relative.parts or relative.parts[0] in PRIVATE_FOLDERS or relative.parts[0].startswith("."):
        return False
    if path.name.startswith("."):  # a file being written (atomic_path, a zip's .partial)
        return False
    suffix = path.suffix.lower()
    in_export_folder = len(relative.parts) == 3 and relative.parts[1] == "export"
    return path.name in EXPORTED_NAMES or suffix in EXPORTED_SUFFIXES or (in_export_folder and suffix in EDITOR_SUFFIXES)


class ExportsOnly:
    """ASGI middleware: a file request for anything in the runs folder but an export is answered 403."""

    def __init__(self, app, runs_dir: Path) -> None:
        self.app = app
        self.runs_dir = runs_dir.resolve()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and "/file=" in scope.get("path", ""):
            requested = Path(scope["path"].split("/file=", 1)[1])
            if not is_export(requested.resolve() if requested.is_absolute() else (Path.cwd() / requested).resolve(), self.runs_dir):
                await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"Only a run's exports are served."})
                return
        await self.app(scope, receive, send)
