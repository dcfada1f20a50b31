"""Start, stream and resume runs: one run folder and one SQLite checkpoint file per run."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import BaseModel, Field, ValidationError

from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.graph.artifacts import VideoResult
from videodrafter.graph.context import RunContext
from videodrafter.graph.graph import build_graph
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.state import InputState
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.files import write_json_atomic
from videodrafter.planning.inputs import scene_bounds, validate_prompt
from videodrafter.script import VideoScript

CHECKPOINTS = "checkpoints.sqlite"
REQUEST = "request.json"


class RunRequest(BaseModel):
    """What started a run; a resume rebuilds the same settings from it."""

    run_id: str
    prompt: str
    scenes: int | None = None
    script: VideoScript | None = None
    settings: dict[str, Any]
    created_at: str


class RunOutcome(BaseModel):
    run_id: str
    run_dir: Path
    status: Literal["done", "waiting_for_approval"]
    script: VideoScript | None = None
    result: VideoResult | None = None
    notes: list[str] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    seconds: float = 0.0
    pending_question: dict | None = None


class RunFailed(VideoDrafterError):
    """A stage failed; everything finished before it is kept in the run folder."""


def new_run_id(prompt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:32].strip("-") or "video"
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{slug}-{secrets.token_hex(2)}"


def validate_run_id(run_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", run_id):
        raise InputError(f"'{run_id}' is not a valid run id.", "Use letters, digits, '.', '_' and '-' only.")
    return run_id


CHECKPOINT_TYPES = [
    ("videodrafter.script", name) for name in ("EntityKind", "CameraDirection", "CameraSpeed", "CameraMove", "Entity", "Scene", "VideoScript")
] + [
    ("videodrafter.graph.artifacts", name) for name in ("ReferenceArtifact", "SceneCandidate", "ClipArtifact", "VideoResult")
] + [
    ("videodrafter.planning.critique", "Critique"),
    ("videodrafter.llm.usage", "TokenUsage"),
    ("videodrafter.engines.base", "SceneLayout"),
    ("videodrafter.engines.base", "Box"),
    ("videodrafter.media.video", "VideoInfo"),
    ("videodrafter.graph.state", "EnrichTask"),
    ("videodrafter.graph.state", "InputState"),  # the first checkpoint holds the graph's input as is
]
"""Our own types, allowed back out of checkpoints (LangGraph refuses unknown types)."""


@contextmanager
def checkpointer(run_dir: Path) -> Iterator[SqliteSaver]:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    connection = sqlite3.connect(run_dir / CHECKPOINTS, check_same_thread=False, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        yield SqliteSaver(connection, serde=JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES))
    finally:
        connection.close()


def start_run(
    prompt: str,
    settings: Settings,
    *,
    scenes: int | None = None,
    script: VideoScript | None = None,
    run_id: str | None = None,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: Callable[[ProgressEvent], None] = lambda _event: None,
) -> RunOutcome:
    """Create ``runs/<run_id>/`` and run the graph to the end (or to the approval pause)."""
    text = validate_prompt(script.prompt if script and not prompt else prompt, settings)
    scene_bounds(scenes, settings)
    run_id = validate_run_id(run_id or new_run_id(text))
    run_dir = settings.runs_dir / run_id
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    try:
        run_dir.mkdir()  # atomic: two processes can never both own one run folder
    except FileExistsError:
        raise InputError(
            f"A run named '{run_id}' already exists in {settings.runs_dir}.",
            f"Continue it with `videodrafter resume {run_id}`, or pick another --run-id.",
        ) from None
    request = RunRequest(
        run_id=run_id, prompt=text, scenes=scenes, script=script,
        settings=json.loads(settings.model_dump_json()), created_at=datetime.now(UTC).isoformat(),
    )
    write_json_atomic(run_dir / REQUEST, request.model_dump(mode="json"))
    context = RunContext(settings=settings, run_dir=run_dir, chat_model=chat_model, engine=engine)
    return _drive(InputState(prompt=text, scenes=scenes, script=script), context, run_id, on_event)


def load_request(run_id: str, runs_dir: Path) -> RunRequest:
    run_dir = runs_dir / validate_run_id(run_id)
    path = run_dir / REQUEST
    if not path.is_file():
        known = sorted(p.parent.name for p in runs_dir.glob(f"*/{REQUEST}"))[-5:]
        raise InputError(
            f"There is no run '{run_id}' in {runs_dir}.",
            f"Recent runs: {', '.join(known)}." if known else "Start one with `videodrafter make \"...\"`.",
        )
    try:
        return RunRequest.model_validate_json(path.read_text())
    except ValidationError as error:
        raise InputError(f"The run record {path} is damaged: {error.errors()[0]['msg']}.", "Start a new run.") from error


def resume_run(
    run_id: str,
    runs_dir: Path,
    *,
    approve: dict | None = None,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: Callable[[ProgressEvent], None] = lambda _event: None,
) -> RunOutcome:
    """Continue a run from its last checkpoint: finished work is reused, never redone."""
    request = load_request(run_id, runs_dir)
    settings = Settings(**{**request.settings, "runs_dir": runs_dir})
    context = RunContext(settings=settings, run_dir=runs_dir / run_id, chat_model=chat_model, engine=engine)
    command = Command(resume=approve) if approve is not None else None
    first_input = InputState(prompt=request.prompt, scenes=request.scenes, script=request.script)
    return _drive(command, context, run_id, on_event, first_input=first_input)


def edit_run(
    run_id: str,
    runs_dir: Path,
    script: VideoScript,
    *,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: Callable[[ProgressEvent], None] = lambda _event: None,
) -> RunOutcome:
    """Replace a run's script and bring the video up to date; only artifacts whose inputs changed are redone."""
    request = load_request(run_id, runs_dir)
    settings = Settings(**{**request.settings, "runs_dir": runs_dir, "approve_script": False})
    context = RunContext(settings=settings, run_dir=runs_dir / run_id, chat_model=chat_model, engine=engine)
    config = {"configurable": {"thread_id": run_id}}
    with checkpointer(context.run_dir) as saver:
        graph = build_graph(checkpointer=saver)
        if graph.get_state(config).created_at is None:
            raise InputError(f"The run '{run_id}' has no saved progress to edit.", f"Start it again with `videodrafter resume {run_id}`.")
        # as if the draft had just been finalised: approval (re)writes script.json, then the media nodes
        # find every unchanged artifact by its input hash
        descriptions = {entity.id: entity.description for entity in script.entities if entity.description}
        graph.update_state(
            config,
            # attempts restart per position; pictures are found again by their content keys
            {"script": script, "approved": True, "result": None, "descriptions": descriptions,
             "scene_attempts": dict.fromkeys(range(len(script.scenes)), 0)},
            as_node="finalize_draft",
        )
    return _drive(None, context, run_id, on_event)


def _drive(
    graph_input,
    context: RunContext,
    run_id: str,
    on_event: Callable[[ProgressEvent], None],
    *,
    first_input: InputState | None = None,
) -> RunOutcome:
    started = time.perf_counter()
    config = {"configurable": {"thread_id": run_id}, "recursion_limit": 200}
    with checkpointer(context.run_dir) as saver:
        graph = build_graph(checkpointer=saver)
        snapshot = graph.get_state(config)
        if snapshot.created_at is None and graph_input is None:
            graph_input = first_input  # killed before the first checkpoint: start from the request
        # nothing left to run: no next node and no task whose saved writes still have to be applied
        # (killed right after the input checkpoint, the __start__ task has written but no step followed)
        finished = graph_input is None and snapshot.created_at is not None and not snapshot.next and not snapshot.tasks
        if not finished:
            try:
                for mode, chunk in graph.stream(graph_input, config, context=context, stream_mode=["custom", "updates"]):
                    if mode == "custom":
                        on_event(ProgressEvent.model_validate(chunk))
            except VideoDrafterError as error:
                raise RunFailed(
                    error.message,
                    f"{error.hint} Everything finished so far is kept: continue with `videodrafter resume {run_id}`.".strip(),
                ) from error
        snapshot = graph.get_state(config)
    values = snapshot.values
    question = None
    for task in snapshot.tasks:
        for pending in task.interrupts:
            question = pending.value
    status: Literal["done", "waiting_for_approval"] = "waiting_for_approval" if question is not None else "done"
    if status == "done" and values.get("result") is None:
        raise RunFailed(f"The run '{run_id}' stopped before its video was made.", f"Continue it with `videodrafter resume {run_id}`.")
    return RunOutcome(
        run_id=run_id, run_dir=context.run_dir, status=status, script=values.get("script"), result=values.get("result"),
        notes=list(dict.fromkeys(values.get("notes", []))), usage=values.get("usage") or TokenUsage(), seconds=time.perf_counter() - started,
        pending_question=question,
    )
