"""What the web page shows for one run: its script, prompt, settings, pictures, contact sheet and video,
the message that says what can be done next, and its timeline for another editor."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from videodrafter.errors import InputError
from videodrafter.graph.run_folder import REQUEST, RunRequest
from videodrafter.graph.run_history import RunRecord, pending_script
from videodrafter.media.exports import EXPORT_FORMATS, export_timeline
from videodrafter.script import VideoScript
from videodrafter.web.choices import CHOSEN, STYLE

EDITOR_LABELS = {
    "fcpxml": "Final Cut Pro (FCPXML)", "premiere-xml": "Premiere Pro / Resolve (XML)", "edl": "any editor (EDL, picture only)",
    "kdenlive": "Kdenlive", "capcut": "CapCut / Jianying (draft folder, zipped)",
}
"""How the export list names a format; a format without a label here is offered by its name."""


def _records(folder: Path) -> list[dict]:
    """The artifact records of a folder, oldest first: a record is written after its files, so each
    names a finished picture (a run stopped by Cancel keeps them)."""
    found = []
    for path in sorted(folder.glob("*.json"), key=lambda path: (path.stat().st_mtime, path.name)):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return found


def finished_pictures(run_dir: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(reference, caption) and (scene picture, caption) of every picture the run has finished."""
    references = [
        (record["conditioned"], record["entity_id"]) for record in _records(run_dir / "entities")
        if record.get("conditioned") and Path(record["conditioned"]).is_file()
    ]
    scenes = [
        (record["image"], f"scene {record['scene'] + 1}") for record in _records(run_dir / "scenes")
        if isinstance(record.get("scene"), int) and record.get("image") and Path(record["image"]).is_file()
    ]
    return references, sorted(scenes, key=lambda item: int(item[1].split()[-1]))


class RunView:
    """What the page shows for one run: its script, pictures, video, and what can be done next."""

    def __init__(self, record: RunRecord) -> None:
        self.record = record
        run_dir = record.run_dir
        self.script: VideoScript | None = None
        if (run_dir / "script.json").is_file():
            self.script = VideoScript.model_validate_json((run_dir / "script.json").read_text())
        elif record.status == "waiting_for_approval":
            self.script = pending_script(run_dir)
        self.references: list[tuple[str, str]] = []
        self.images: list[tuple[str, str]] = []
        if record.status == "done" and (run_dir / "manifest.json").is_file():
            manifest = json.loads((run_dir / "manifest.json").read_text())
            self.references = [(value["conditioned"], key) for key, value in manifest["references"].items()]
            self.images = [(scene["chosen"]["image"], f"scene {number}") for number, scene in enumerate(manifest["scenes"], start=1)]
        else:
            self.references, self.images = finished_pictures(run_dir)
        sheet = run_dir / "contact_sheet.png"
        self.contact_sheet: str | None = str(sheet) if record.status == "done" and sheet.is_file() else None
        self.choices: dict[str, str] = {}
        self.style: dict[str, object] = {}
        """The subtitle style and music the run was made with (``choices.STYLE``)."""
        try:
            request = RunRequest.model_validate_json((run_dir / REQUEST).read_text())
            settings = {**request.settings, **{k: v for override in request.overrides for k, v in override.settings.items()}}
            self.choices = {name: str(settings[name]) for name in CHOSEN if settings.get(name)}
            self.style = {name: settings[name] for name in STYLE if name in settings}
        except (OSError, ValueError):
            pass

    def message(self) -> str:
        record = self.record
        if record.status == "waiting_for_approval":
            return f"✅ Review the script of run `{record.run_id}`: edit any cell, choose the camera moves, add photos, then approve."
        if record.status == "done":
            return f"🎬 Done: run `{record.run_id}`, {len(self.images)} scenes. Download it as a zip below."
        if record.status == "running":
            return f"⏳ Run `{record.run_id}` is being worked on (stage {record.stage or 'starting'}). Open it again in a moment."
        where = f" at stage **{record.stage}**" if record.stage else ""
        why = f" ({record.error})" if record.error else ""
        return f"⏸ Run `{record.run_id}` stopped{where}{why}. Everything finished is kept: press Continue to go on."


def editor_formats() -> list[tuple[str, str]]:
    """(label, format) of every editor `videodrafter export` writes for."""
    return [(EDITOR_LABELS.get(name, name), name) for name in EXPORT_FORMATS]


def editor_export(record: RunRecord, export_format: str) -> Path:
    """A finished run's timeline for another editor, as `videodrafter export --format` writes it, in the
    run's export folder; a format written as a folder (a draft folder) comes as one zip in that folder."""
    if record.status != "done":
        raise InputError("Only a finished run has a timeline to export.", "Open a finished run in the Runs tab, or finish this one.")
    written = export_timeline(record.run_dir, export_format)  # an unknown format is refused there
    if not written.resolve().is_relative_to(record.run_dir.resolve()):  # the page hands out a run's own files only
        raise InputError(f"The {export_format} export was written outside the run folder ({written}).", "Export it with `videodrafter export`.")
    if written.is_dir():
        return _zipped(written, record.run_dir / "export" / f"{written.name}.zip")
    return written


def _zipped(folder: Path, target: Path) -> Path:
    """``folder`` and everything in it as one zip, never half written under its real name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, str(path.relative_to(folder.parent)))
    temporary.replace(target)
    return target
