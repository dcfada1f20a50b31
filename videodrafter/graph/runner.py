"""Start, resume and edit runs: one run folder and one SQLite checkpoint file per run.

The entry points every front end calls (CLI, web, chat, batch, evals). Inputs are checked once,
here, before the run folder exists (``run_inputs``); the folder's records are ``run_folder``'s;
driving the graph is ``driver``'s.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from langgraph.types import Command

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.errors import InputError, StorageError
from videodrafter.graph.approval import SCRIPT, approval_answer
from videodrafter.graph.checkpoints import CHECKPOINTS, checkpointer
from videodrafter.graph.context import RunContext
from videodrafter.graph.driver import Drive, RunFailed, RunInterrupted, RunOutcome
from videodrafter.graph.graph import build_graph
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.run_folder import (
    RunRequest,
    checkpoint_thread,
    load_request,
    new_run_folder,
    new_run_id,
    resume_command,
    run_lock,
    save_request,
    validate_run_id,
)
from videodrafter.graph.run_history import pending_script
from videodrafter.graph.state import InputState
from videodrafter.run_inputs import check_choices, check_photos, check_run_inputs
from videodrafter.run_resources import RunResources
from videodrafter.script import VideoScript

__all__ = ["RunFailed", "RunInterrupted", "RunOutcome", "edit_run", "resume_run", "start_run"]

ProgressCallback = Callable[[ProgressEvent], None]


def _ignore(_event: ProgressEvent) -> None:
    return None


def start_run(
    prompt: str,
    settings: Settings,
    *,
    scenes: int | None = None,
    script: VideoScript | None = None,
    run_id: str | None = None,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: ProgressCallback = _ignore,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Create ``runs/<run_id>/`` and run the graph to the end (or to the approval pause).

    Everything that can be checked is checked before the folder exists: a bad input leaves nothing behind.
    """
    text = check_run_inputs(prompt, settings, scenes=scenes, script=script, engine=engine is None, llm=chat_model is None)
    run_id = validate_run_id(run_id or new_run_id(text))
    with _storage_errors(), new_run_folder(settings.runs_dir, run_id) as lock:
        run_dir = settings.runs_dir / run_id
        save_request(run_dir, RunRequest(
            run_id=run_id, prompt=text, scenes=scenes, script=script,
            settings=json.loads(settings.model_dump_json()), created_at=datetime.now(UTC).isoformat(),
        ))
        context = RunContext.for_run(settings, run_dir)
        resources = RunResources(context, chat_model=chat_model, engine=engine)
        return Drive(context, resources, run_id, lock, on_event, cancel).run(InputState(prompt=text, scenes=scenes, script=script))


@contextmanager
def _storage_errors() -> Iterator[None]:
    """A runs folder that cannot be written (read-only, full, not ours) is a clear error, not a traceback."""
    try:
        yield
    except OSError as error:
        translated = StorageError.translate(error)
        if translated is error:
            raise
        raise translated from error


def resume_run(
    run_id: str,
    runs_dir: Path,
    *,
    approve: dict | None = None,
    script_file: Path | None = None,
    overrides: dict[str, str | None] | None = None,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: ProgressCallback = _ignore,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Continue a run from its last checkpoint: finished work is reused, never redone.

    ``overrides`` (engine, llm, voice) apply to the steps not yet done; they are kept in the run's
    request (later resumes use them too) and in its manifest. ``approve`` answers a run paused for
    approval: without a script of its own, the script in ``script_file`` or the run's edited
    ``script.json`` is the one approved (see ``approval.approval_answer``).
    """
    request = load_request(run_id, runs_dir)
    run_dir = runs_dir / run_id
    changed = {key: value for key, value in (overrides or {}).items() if value is not None}
    request = request.with_overrides(changed)
    settings = request.effective_settings(runs_dir)
    check_choices(settings, engine=engine is None, llm=chat_model is None, llm_needed=request.script is None)
    with run_lock(run_dir, run_id) as lock:
        if approve is not None and not approve.get("script"):
            approve = _approval(run_id, run_dir, approve, script_file)
        if changed:
            save_request(run_dir, request)
        context = RunContext.for_run(settings, run_dir, [override.model_dump() for override in request.overrides])
        resources = RunResources(context, chat_model=chat_model, engine=engine)
        command = Command(resume=approve) if approve is not None else None
        first_input = InputState(prompt=request.prompt, scenes=request.scenes, script=request.script or _script_without_checkpoints(run_dir))
        return Drive(context, resources, run_id, lock, on_event, cancel).run(command, first_input=first_input)


def _script_without_checkpoints(run_dir: Path) -> VideoScript | None:
    """A run whose saved progress was moved aside (damaged) starts over from its script.json, so the
    LLM does not plan again and every finished picture and clip is found by its key."""
    if (run_dir / CHECKPOINTS).exists():
        return None
    try:
        return VideoScript.model_validate_json((run_dir / SCRIPT).read_text())
    except (OSError, ValueError):
        return None


def _approval(run_id: str, run_dir: Path, approve: dict, script_file: Path | None) -> dict:
    draft = pending_script(run_dir)
    if draft is None:
        if script_file is not None:
            raise InputError(
                f"The run '{run_id}' is not waiting for approval, so it has no draft to replace.",
                f"Render the edited script as a new run: `videodrafter make --script {script_file}`.",
            )
        return approve
    return {**approve, **approval_answer(run_dir, draft, script_file)}


def edit_run(
    run_id: str,
    runs_dir: Path,
    script: VideoScript,
    *,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: ProgressCallback = _ignore,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Replace a run's script and bring the video up to date; only artifacts whose inputs changed are redone."""
    request = load_request(run_id, runs_dir)
    settings = request.effective_settings(runs_dir, approve_script=False)
    check_photos(script)
    context = RunContext.for_run(settings, runs_dir / run_id, [override.model_dump() for override in request.overrides])
    with run_lock(context.folder, run_id) as lock:
        _replace_script(context, run_id, runs_dir, script)
        return Drive(context, RunResources(context, chat_model=chat_model, engine=engine), run_id, lock, on_event, cancel).run(None)


def _replace_script(context: RunContext, run_id: str, runs_dir: Path, script: VideoScript) -> None:
    """Put the script in the run's state as if the draft had just been finalised: approval (re)writes
    script.json, then the media stages find every unchanged artifact by its input hash."""
    config = {"configurable": {"thread_id": checkpoint_thread(context.folder)}}
    with checkpointer(context.folder) as saver:
        graph = build_graph(checkpointer=saver)
        if graph.get_state(config).created_at is None:
            raise InputError(f"The run '{run_id}' has no saved progress to edit.", f"Start it again with `{resume_command(run_id, runs_dir)}`.")
        descriptions = {entity.id: entity.description for entity in script.entities if entity.description}
        graph.update_state(
            config,
            # attempts restart per position; pictures are found again by their content keys
            {"script": script, "approved": True, "result": None, "descriptions": descriptions,
             "scene_attempts": dict.fromkeys(range(len(script.scenes)), 0)},
            as_node="review_script",
        )
