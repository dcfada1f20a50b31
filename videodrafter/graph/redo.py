"""Redo one scene: its picture and clip drawn again with a new seed (or a given one), and what
depends on them (a continued shot after it, the assembly); the rest of the video is kept.

Every try is recorded in ``redos.jsonl`` with the seed it replaced, so an earlier try comes back with
``redo --seed <that seed>``: its files are found again by their content key, nothing is drawn.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from videodrafter.errors import InputError
from videodrafter.graph.approval import SCRIPT
from videodrafter.graph.driver import RunOutcome
from videodrafter.graph.run_folder import load_request, resume_command
from videodrafter.graph.runner import ProgressCallback, edit_run
from videodrafter.graph.stages.scene_images import scene_base_seed
from videodrafter.script import VideoScript

REDOS = "redos.jsonl"


class RedoRecord(BaseModel):
    """One line of ``redos.jsonl``: a scene drawn again."""

    at: str = Field(description="When (UTC, ISO 8601).")
    scene: int = Field(description="The scene, 1-based.")
    seed_before: int = Field(description="The seed of the try it replaced (`redo --seed` with it brings that try back).")
    seed_after: int = Field(description="The seed of the new try.")
    event_before: str = Field(description="The scene's event before.")
    event_after: str = Field(description="The scene's event after (changed with --event).")


def redo_scene(
    run_id: str, runs_dir: Path, scene: int, *, seed: int | None = None, event: str | None = None,
    on_event: ProgressCallback = lambda _event: None, cancel: threading.Event | None = None,
) -> tuple[RunOutcome, RedoRecord]:
    """Draw scene ``scene`` again and bring the video up to date."""
    request = load_request(run_id, runs_dir)
    run_dir = runs_dir / run_id
    try:
        script = VideoScript.model_validate_json((run_dir / SCRIPT).read_text())
    except (OSError, ValueError):
        raise InputError(
            f"The run '{run_id}' has no finished script yet, so it has no scene to redo.",
            f"Finish it first: `{resume_command(run_id, runs_dir)}`.",
        ) from None
    if not 1 <= scene <= len(script.scenes):
        raise InputError(f"The run '{run_id}' has scenes 1 to {len(script.scenes)}; there is no scene {scene}.", "Pick one of them with --scene.")
    spec = script.scenes[scene - 1]
    before = scene_base_seed(request.effective_settings(runs_dir).seed, spec)
    after = seed if seed is not None else secrets.randbelow(2**31 - 1)
    edited = script.model_copy(deep=True)
    edited.scenes[scene - 1].seed = after
    if event is not None:
        edited.scenes[scene - 1].event = event
    edited = VideoScript.model_validate(edited.model_dump())  # the new event is checked like any script text
    record = RedoRecord(
        at=datetime.now(UTC).isoformat(timespec="seconds"), scene=scene, seed_before=before, seed_after=after,
        event_before=spec.event, event_after=edited.scenes[scene - 1].event,
    )
    outcome = edit_run(run_id, runs_dir, edited, on_event=on_event, cancel=cancel)
    with (run_dir / REDOS).open("a", encoding="utf-8") as log:  # one whole line per try, after it worked
        log.write(record.model_dump_json() + "\n")
    return outcome, record
