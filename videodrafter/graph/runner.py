"""Start, stream and resume runs: one run folder and one SQLite checkpoint file per run."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import re
import secrets
import shlex
import socket
import sqlite3
import sys
import threading
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
from videodrafter.media.files import remove_stale_temporaries, write_json_atomic
from videodrafter.planning.inputs import clean_text, is_blank, scene_bounds, validate_prompt
from videodrafter.script import VideoScript

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints.sqlite"
REQUEST = "request.json"
LOCK = "run.lock"
STATUS = "status.json"
"""The run's latest state for `videodrafter runs` and the web UI's Runs tab (see ``run_history``)."""
INTERRUPT_GRACE_S = 0.5
"""After Ctrl-C, how long the step under way may take to reach its next artifact boundary and stop."""

OVERRIDABLE = ("engine", "llm", "voice")
"""Settings a resume may change for the steps not yet done."""


class RunOverride(BaseModel):
    """Settings a `resume` changed, and when."""

    at: str
    settings: dict[str, str]


class RunRequest(BaseModel):
    """What started a run; a resume rebuilds the same settings from it."""

    run_id: str
    prompt: str
    scenes: int | None = None
    script: VideoScript | None = None
    settings: dict[str, Any]
    created_at: str
    overrides: list[RunOverride] = Field(default_factory=list, description="Applied in order on every resume.")

    def effective_settings(self, runs_dir: Path, **extra: Any) -> Settings:
        values = dict(self.settings)
        for override in self.overrides:
            values.update(override.settings)
        return Settings(**{**values, "runs_dir": runs_dir, **extra})


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


class RunBusy(InputError):
    """Another process (or another call in this one) is driving the run."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; everything finished is kept. A KeyboardInterrupt, so that code which
    catches ``Exception`` to go on with other work (a batch item) does not swallow it."""

    def __init__(self, run_id: str, command: str) -> None:
        super().__init__(f"The run '{run_id}' was interrupted.")
        self.run_id = run_id
        self.command = command


def resume_command(run_id: str, runs_dir: Path) -> str:
    """The command that continues a run; names the runs folder unless the settings default to it."""
    try:
        default = Settings().runs_dir
    except ValidationError:
        default = Path("runs")
    where = "" if runs_dir.resolve() == default.resolve() else f" --runs-dir {shlex.quote(str(runs_dir))}"
    return f"videodrafter resume {shlex.quote(run_id)}{where}"


class RunLock:
    """An exclusive ``flock`` on ``<run>/run.lock`` while a process drives the run; the file says who.

    The kernel drops the lock when its holder dies (even by kill -9), so a stale lock never blocks a
    resume. A second holder in the same process is refused as well (flock is per open file).
    """

    def __init__(self, run_dir: Path, run_id: str) -> None:
        self.path = run_dir / LOCK
        self._handle = self.path.open("a+")
        self._released = threading.Lock()
        self._done = False
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.seek(0)
            holder = self._handle.read()
            self._handle.close()
            raise RunBusy(*_busy_message(run_id, run_dir, holder)) from None
        self._handle.seek(0)
        self._handle.truncate()
        owner = {
            "pid": os.getpid(), "host": socket.gethostname(), "since": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}",
            "command": " ".join(shlex.quote(part) for part in sys.argv),
        }
        self._handle.write(json.dumps(owner))
        self._handle.flush()

    def release(self) -> None:
        with self._released:
            if self._done:
                return
            self._done = True
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()

    def release_after(self, thread: threading.Thread) -> None:
        """Hold the lock until ``thread`` (a step still finishing after Ctrl-C) has ended."""
        if not thread.is_alive():
            self.release()
            return
        threading.Thread(target=lambda: (thread.join(), self.release()), name=f"{thread.name}-unlock", daemon=True).start()


def _busy_message(run_id: str, run_dir: Path, holder: str) -> tuple[str, str]:
    try:
        owner = json.loads(holder)
        who = f"process {owner['pid']} on {owner['host']}, since {owner['since']} UTC"
        stop = f"stop it (kill {owner['pid']})"
    except (ValueError, KeyError, TypeError):
        who, stop = "another process", "stop it"
    return (
        f"The run '{run_id}' is already being worked on by {who}.",
        f"Wait for it to finish, or {stop} and run `{resume_command(run_id, run_dir.parent)}` again.",
    )


@contextmanager
def run_lock(run_dir: Path, run_id: str) -> Iterator[RunLock]:
    lock = RunLock(run_dir, run_id)
    try:
        yield lock
    finally:
        lock.release()


def check_choices(settings: Settings, *, engine: bool = True, llm: bool = True, llm_needed: bool = True) -> None:
    """The engine and the LLM spec name things that exist: checked before any work, so a typo is
    reported at once, not after the LLM has written a script. ``llm_needed``: the run will call the
    LLM (not a finished script), so a missing API key is reported now too."""
    from videodrafter.llm.spec import parse_llm_spec

    if engine and settings.engine != "animatic":  # the default needs no check, and the presets' module imports torch
        from videodrafter.engines.registry import engine_names

        names = engine_names()
        if settings.engine not in names:
            raise InputError(f"Unknown engine '{settings.engine}'.", f"Choose one of: {', '.join(names)}.")
    if engine:
        from videodrafter.engines.learned_embedders import check_embedder_spec

        check_embedder_spec(settings.image_embedder, settings.engine)
    if settings.critic:
        from videodrafter.critic.vision import check_critic_spec

        check_critic_spec(settings.critic)
    if not llm:
        return
    spec = parse_llm_spec(settings.llm)
    if spec.is_embedded:
        from videodrafter.llm.local_models import KNOWN_LOCAL_MODELS, resolve_local_model

        if spec.model not in KNOWN_LOCAL_MODELS:
            resolve_local_model(spec.model, settings.cache_dir)  # only path checks for a name that is not built in
    elif llm_needed and spec.provider == "openai" and spec.base_url is None and not os.environ.get("OPENAI_API_KEY"):
        from videodrafter.errors import LLMUnavailableError

        raise LLMUnavailableError(
            f"The backend '{spec}' needs an OpenAI API key and OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, or run offline with --llm local:smollm2.",
        )


def load_script_file(path: Path) -> VideoScript:
    """A script JSON from disk; relative ``reference_image`` paths are taken from the script's folder."""
    try:
        script = VideoScript.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"Cannot read the script file {path}: {error.strerror}.", "Check the path.") from error
    except UnicodeDecodeError as error:
        raise InputError(f"The script file {path} is not UTF-8 text.", "Save it as UTF-8 JSON.") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"The script file {path} is not a valid script ({where}: {first['msg']}).",
            "Write one with `videodrafter script ... -o script.json` and edit it.",
        ) from error
    entities = []
    for entity in script.entities:
        if entity.reference_image is not None:
            photo = Path(entity.reference_image).expanduser()
            entity = entity.model_copy(update={"reference_image": photo if photo.is_absolute() else (path.parent / photo).resolve()})
        entities.append(entity)
    # the prompt is quoted back to LLMs (critique, chat edits): no control characters in it
    return script.model_copy(update={"entities": entities, "prompt": clean_text(script.prompt) or script.prompt})


def check_photos(script: VideoScript) -> None:
    """Every reference photo of the script opens as an image: a bad one is reported before a run folder exists."""
    from videodrafter.media.images import load_user_photo

    for entity in script.entities:
        if entity.reference_image is None:
            continue
        try:
            load_user_photo(Path(entity.reference_image)).close()
        except InputError as error:
            raise InputError(f"Entity '{entity.name}': {error.message}", error.hint) from None


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
    ("videodrafter.graph.artifacts", name) for name in ("ReferenceArtifact", "SceneCandidate", "ClipArtifact", "VideoResult", "PromptRevision")
] + [
    ("videodrafter.planning.critique", "Critique"),
    ("videodrafter.llm.usage", "TokenUsage"),
    ("videodrafter.engines.base", "SceneLayout"),
    ("videodrafter.engines.base", "Box"),
    ("videodrafter.media.video", "VideoInfo"),
    ("videodrafter.graph.state", "EnrichTask"),
    ("videodrafter.graph.state", "InputState"),  # the first checkpoint holds the graph's input as is
    ("videodrafter.graph.state", "ReviewInput"),  # and the review subgraph's first one its input
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
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Create ``runs/<run_id>/`` and run the graph to the end (or to the approval pause).

    Everything that can be checked is checked before the folder exists: a bad input leaves nothing behind.
    """
    text = validate_prompt(script.prompt if script and is_blank(prompt) else prompt, settings)
    scene_bounds(scenes, settings)
    check_choices(settings, engine=engine is None, llm=chat_model is None, llm_needed=script is None)
    if script is not None:
        check_photos(script)
    run_id = validate_run_id(run_id or new_run_id(text))
    run_dir = settings.runs_dir / run_id
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    exists = InputError(
        f"A run named '{run_id}' already exists in {settings.runs_dir}.",
        f"Continue it with `{resume_command(run_id, settings.runs_dir)}`, or pick another --run-id.",
    )
    try:
        run_dir.mkdir()  # atomic: two processes can never both own one run folder
    except FileExistsError:
        if (run_dir / REQUEST).exists() or any(path.name != LOCK for path in run_dir.iterdir()):
            raise exists from None
        # a start killed before it wrote its request left only the folder (and its lock): nothing to keep
    with run_lock(run_dir, run_id) as lock:
        if (run_dir / REQUEST).exists():  # another start took the empty folder over first
            raise exists
        request = RunRequest(
            run_id=run_id, prompt=text, scenes=scenes, script=script,
            settings=json.loads(settings.model_dump_json()), created_at=datetime.now(UTC).isoformat(),
        )
        write_json_atomic(run_dir / REQUEST, request.model_dump(mode="json"))
        context = RunContext.for_run(settings, run_dir).with_resources(chat_model=chat_model, engine=engine)
        return _drive(InputState(prompt=text, scenes=scenes, script=script), context, run_id, on_event, lock=lock, cancel=cancel)


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
    overrides: dict[str, str] | None = None,
    chat_model: BaseChatModel | None = None,
    engine: Engine | None = None,
    on_event: Callable[[ProgressEvent], None] = lambda _event: None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Continue a run from its last checkpoint: finished work is reused, never redone.

    ``overrides`` (engine, llm) apply to the steps not yet done; they are kept in the run's
    request (later resumes use them too) and in its manifest.
    """
    request = load_request(run_id, runs_dir)
    run_dir = runs_dir / run_id
    changed = {key: value for key, value in (overrides or {}).items() if value is not None}
    unknown = sorted(set(changed) - set(OVERRIDABLE))
    if unknown:
        raise InputError(f"A resume cannot change {', '.join(unknown)}.", f"Only {', '.join(OVERRIDABLE)} can be changed.")
    if changed:
        request = request.model_copy(
            update={"overrides": [*request.overrides, RunOverride(at=datetime.now(UTC).isoformat(timespec="seconds"), settings=changed)]}
        )
    settings = request.effective_settings(runs_dir)
    check_choices(settings, engine=engine is None, llm=chat_model is None, llm_needed=request.script is None)
    with run_lock(run_dir, run_id) as lock:
        if changed:
            write_json_atomic(run_dir / REQUEST, request.model_dump(mode="json"))
        context = RunContext.for_run(
            settings, run_dir, [override.model_dump() for override in request.overrides],
        ).with_resources(chat_model=chat_model, engine=engine)
        command = Command(resume=approve) if approve is not None else None
        first_input = InputState(prompt=request.prompt, scenes=request.scenes, script=request.script)
        return _drive(command, context, run_id, on_event, first_input=first_input, lock=lock, cancel=cancel)


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
    settings = request.effective_settings(runs_dir, approve_script=False)
    check_photos(script)
    context = RunContext.for_run(
        settings, runs_dir / run_id, [override.model_dump() for override in request.overrides],
    ).with_resources(chat_model=chat_model, engine=engine)
    config = {"configurable": {"thread_id": run_id}}
    with run_lock(context.folder, run_id) as lock:
        with checkpointer(context.folder) as saver:
            graph = build_graph(checkpointer=saver)
            if graph.get_state(config).created_at is None:
                raise InputError(
                    f"The run '{run_id}' has no saved progress to edit.", f"Start it again with `{resume_command(run_id, runs_dir)}`."
                )
            # as if the draft had just been finalised: approval (re)writes script.json, then the media nodes
            # find every unchanged artifact by its input hash
            descriptions = {entity.id: entity.description for entity in script.entities if entity.description}
            graph.update_state(
                config,
                # attempts restart per position; pictures are found again by their content keys
                {"script": script, "approved": True, "result": None, "descriptions": descriptions,
                 "scene_attempts": dict.fromkeys(range(len(script.scenes)), 0)},
                as_node="review_script",
            )
        return _drive(None, context, run_id, on_event, lock=lock)


def _drive(
    graph_input,
    context: RunContext,
    run_id: str,
    on_event: Callable[[ProgressEvent], None],
    *,
    lock: RunLock,
    first_input: InputState | None = None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Run the graph to its end or its next pause. The caller holds the run lock.

    The graph runs in a worker thread while this (usually the main) thread waits with a timeout: a
    Ctrl-C delivered to a worker thread only raises KeyboardInterrupt once the main thread runs
    Python code again, and an untimed wait would hold it off until the whole step had finished.
    """
    started = time.perf_counter()
    remove_stale_temporaries(context.folder)  # a killed writer's leftovers; nobody else writes here (the lock)
    _record_status(context.folder, "running")
    messages: queue.Queue = queue.Queue()
    worker = threading.Thread(
        target=_stream, args=(graph_input, context, run_id, first_input, messages), name=f"run-{run_id}", daemon=True
    )
    worker.start()
    stage = None
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt  # a Cancel button: stop exactly as Ctrl-C does (resumable)
            try:
                kind, payload = messages.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == "event":
                event = ProgressEvent.model_validate(payload)
                if event.stage != stage:
                    stage = event.stage
                    _record_status(context.folder, "running", stage=stage)
                on_event(event)
            elif kind == "error":
                raise payload
            else:
                snapshot = payload
                break
    except KeyboardInterrupt:
        context.cancelled.set()
        _record_status(context.folder, "interrupted", stage=stage)
        worker.join(INTERRUPT_GRACE_S)
        lock.release_after(worker)
        raise RunInterrupted(run_id, resume_command(run_id, context.folder.parent)) from None
    except VideoDrafterError as error:
        _record_status(context.folder, "failed", error=error.message)
        hint = f"{error.hint} Everything finished so far is kept: continue with `{resume_command(run_id, context.folder.parent)}`."
        raise RunFailed(error.message, hint.strip()) from error
    worker.join()
    values = snapshot.values
    question = None
    for task in snapshot.tasks:
        for pending in task.interrupts:
            question = pending.value
    status: Literal["done", "waiting_for_approval"] = "waiting_for_approval" if question is not None else "done"
    if status == "done" and values.get("result") is None:
        raise RunFailed(
            f"The run '{run_id}' stopped before its video was made.",
            f"Continue it with `{resume_command(run_id, context.folder.parent)}`.",
        )
    if status == "done":
        remove_stale_temporaries(context.folder)
    _record_status(context.folder, status)
    return RunOutcome(
        run_id=run_id, run_dir=context.folder, status=status, script=values.get("script"), result=values.get("result"),
        notes=list(dict.fromkeys(values.get("notes", []))), usage=values.get("usage") or TokenUsage(), seconds=time.perf_counter() - started,
        pending_question=question,
    )


def _record_status(run_dir: Path, status: str, *, stage: str | None = None, error: str | None = None) -> None:
    """What the run is doing now; written by the lock holder only. A record that cannot be written
    costs the run nothing: the history then reads the run folder itself."""
    try:
        write_json_atomic(
            run_dir / STATUS,
            {"status": status, "stage": stage, "error": error, "updated_at": datetime.now(UTC).isoformat(timespec="seconds")},
        )
    except OSError as problem:
        log.warning("could not record the status of %s: %s", run_dir.name, problem)


def _stream(graph_input, context: RunContext, run_id: str, first_input: InputState | None, messages: queue.Queue) -> None:
    """The worker thread of ``_drive``: stream the graph, hand progress and the final snapshot over."""
    config = {"configurable": {"thread_id": run_id}, "recursion_limit": 200}
    try:
        with checkpointer(context.folder) as saver:
            graph = build_graph(checkpointer=saver)
            snapshot = graph.get_state(config)
            gone = [name for name in snapshot.next if name not in graph.nodes]
            if gone:
                raise InputError(
                    f"The run '{run_id}' was saved by an older videodrafter before a step that no longer exists ({', '.join(gone)}).",
                    f"Render its script again: `videodrafter make --script {context.folder / 'script.json'}` (if it has one), or start a new run.",
                )
            if snapshot.created_at is None and graph_input is None:
                graph_input = first_input  # killed before the first checkpoint: start from the request
            # nothing left to run: no next node and no task whose saved writes still have to be applied
            # (killed right after the input checkpoint, the __start__ task has written but no step followed)
            finished = graph_input is None and snapshot.created_at is not None and not snapshot.next and not snapshot.tasks
            if not finished:
                # subgraphs=True: the script review's progress comes from inside its subgraph
                for _namespace, mode, chunk in graph.stream(
                    graph_input, config, context=context, stream_mode=["custom", "updates"], subgraphs=True,
                ):
                    if mode == "custom":
                        messages.put(("event", chunk))
                    context.raise_if_cancelled()
            messages.put(("done", graph.get_state(config)))
    except BaseException as error:  # noqa: BLE001 - handed to the waiting thread, which raises it
        if context.cancelled.is_set():
            log.info("run %s stopped after Ctrl-C (%s)", run_id, type(error).__name__)
        messages.put(("error", error))
