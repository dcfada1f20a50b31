"""What the web server hands out from the runs folder: a run's exports, nothing else.

Gradio serves any file under an allowed path (the runs folder, for the videos, pictures and zips the
page shows). A run folder also holds its checkpoints, lock, request and status, and the runs folder
holds chat sessions and batch databases: ``ExportsOnly`` refuses those with 403 before Gradio sees
the request, whoever asks.
"""

from __future__ import annotations

from pathlib import Path

EXPORTED_SUFFIXES = frozenset({".mp4", ".png", ".jpg", ".jpeg", ".webp", ".srt", ".otio", ".zip", ".wav"})
"""The video, pictures, contact sheet, subtitles, timeline, zip and music."""
EXPORTED_NAMES = frozenset({"script.json", "manifest.json"})
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
    return path.name in EXPORTED_NAMES or (path.suffix.lower() in EXPORTED_SUFFIXES and not path.name.startswith("."))


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
