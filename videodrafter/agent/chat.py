"""Conversational sessions: "make me a video about…", then edits, on a checkpointed LangGraph thread.

A session is a thread of the chat graph (one SQLite file per session); the video it talks about
is an ordinary run, so every edit regenerates only the artifacts it changed.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from videodrafter.agent.edits import request_clause
from videodrafter.agent.interpret import describe_script, interpret
from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.checkpoints import CHECKPOINT_TYPES
from videodrafter.graph.run_folder import validate_run_id
from videodrafter.graph.runner import edit_run, start_run
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.files import write_json_atomic
from videodrafter.planning.inputs import clean_text
from videodrafter.script import CameraDirection, CameraMove, VideoScript
from videodrafter.text import content_words

log = logging.getLogger(__name__)


class ChatState(BaseModel):
    messages: Annotated[list[AnyMessage], add_messages] = Field(default_factory=list)
    run_id: str | None = Field(default=None, description="The run this session is editing.")
    videos: int = Field(default=0, description="How many videos this session has started.")
    last_video: str | None = None
    history: list[dict] = Field(
        default_factory=list, description="Earlier versions ({run_id, script}), newest last: what `undo` goes back to."
    )
    proposals: list[str] = Field(default_factory=list, description="The proposals of the last clarifying question (picked by number).")


@dataclass
class ChatContext:
    settings: Settings
    session_id: str
    chat_model: BaseChatModel | None = None
    engine: Engine | None = None
    on_event: Callable[[ProgressEvent], None] = lambda _event: None
    usage: TokenUsage = field(default_factory=TokenUsage)

    def model(self) -> BaseChatModel:
        if self.chat_model is None:
            from videodrafter.llm.factory import create_chat_model

            self.chat_model = create_chat_model(self.settings.llm, self.settings)
        return self.chat_model


def _current_script(settings: Settings, run_id: str | None) -> VideoScript | None:
    if run_id is None:
        return None
    path = settings.runs_dir / run_id / "script.json"
    return VideoScript.model_validate_json(path.read_text()) if path.is_file() else None


class NewScene(BaseModel):
    """The LLM's part of a scene added in the user's words (a JSON schema: the embedded model is held to it)."""

    event: str = Field(min_length=5, max_length=300)
    action: str = Field(min_length=2, max_length=120)
    camera: CameraDirection = CameraDirection.STATIC


def _grounded(text: str, request_words: set[str], script: VideoScript) -> bool:
    """The LLM's sentence keeps to the request: it shares a word with it, and it is not the title
    or a scene the video already has (what a small model writes when it loses the thread)."""
    if request_words and not content_words(text) & request_words:
        return False
    known = {script.title.lower(), script.prompt.lower(), *(scene.event.lower() for scene in script.scenes)}
    return text.strip().lower() not in known


def _new_scene(context: ChatContext, script: VideoScript, request: str) -> tuple[str, str, CameraMove | None]:
    """Event, action and camera of a new scene. A request that is a sentence is the event word for
    word and the LLM only writes the action and the camera; otherwise the LLM writes the event too.
    Whatever the LLM writes must keep to the request, or the request's own words are used."""
    from langchain_core.messages import SystemMessage

    from videodrafter.llm.structured import extract_json_object, generate_structured, json_response_formats
    from videodrafter.prompts import load_prompt_set

    prompts = load_prompt_set(context.settings.prompt_set)
    directions = ", ".join(direction.value for direction in CameraDirection)
    try:
        result = generate_structured(
            context.model(),
            [
                SystemMessage(content=prompts.render("chat_scene_system", directions=directions)),
                HumanMessage(content=prompts.render("chat_scene_user", script=describe_script(script), request=request)),
            ],
            lambda text, _last: NewScene.model_validate(extract_json_object(text)),
            max_attempts=2, usage=context.usage,
            feedback=lambda problem: f"Not valid: {problem}. Answer with the JSON only.",
            response_formats=json_response_formats("NewScene", NewScene.model_json_schema()),
            stage="chat-scene",
        )
    except VideoDrafterError:
        return "", "", None
    written = result.value
    clause = request_clause(request)
    words = content_words(clause or request) - {"continues", "story"}
    event = "" if clause else (written.event if _grounded(written.event, words, script) else "")
    action = written.action if _grounded(written.action, words, script) else ""
    return event, action, CameraMove(direction=written.camera)


PICK = re.compile(r"^\s*(?:option\s*|number\s*|#)?(?P<n>[1-3])\s*[.!)]?\s*$", re.IGNORECASE)


@dataclass
class ChatTurn:
    """The work of one message: what its commands may do to the session (``edits.Conversation``),
    and the state update they add up to."""

    context: ChatContext
    state: ChatState
    script: VideoScript | None
    history: list[dict]
    update: dict[str, Any] = field(default_factory=lambda: {"proposals": []})

    @property
    def run_id(self) -> str | None:
        """The run being edited: the session's, or the one this turn went to."""
        return self.update.get("run_id", self.state.run_id)

    def draft(self) -> VideoScript:
        if self.script is None:
            raise InputError("There is no video to edit yet.", 'Start with "make me a video about …".')
        return self.script

    def start_video(self, prompt: str) -> tuple[VideoScript, Path]:
        context = self.context
        number = self.update.get("videos", self.state.videos) + 1
        run_id = f"{context.session_id}-{number}"
        outcome = start_run(prompt, context.settings, run_id=run_id, chat_model=context.model(), engine=context.engine, on_event=context.on_event)
        if self.run_id is not None:
            self.history.append({"run_id": self.run_id, "script": None})
        self.update |= {"run_id": run_id, "videos": number, "last_video": str(outcome.result.video) if outcome.result else None}
        self.script = outcome.script
        return outcome.script, outcome.result.video

    def replace_draft(self, script: VideoScript) -> Path:
        self.history.append({"run_id": self.run_id, "script": self.draft().model_dump(mode="json")})
        self.script = script
        return self._apply(script)

    def go_back(self) -> str:
        """Back to the version before the last change: the previous script, re-applied to the run, finds
        every picture and clip it had by content key, so nothing is made again."""
        if not self.history:
            return "Nothing to undo yet."
        last = self.history.pop()
        if last["run_id"] != self.run_id or last["script"] is None:
            self.update |= {"run_id": last["run_id"], "last_video": str(self.context.settings.runs_dir / last["run_id"] / "video.mp4")}
            self.script = _current_script(self.context.settings, self.run_id)
            return f"Back to the previous video: {self.update['last_video']}"
        previous = VideoScript.model_validate(last["script"])
        video = self._apply(previous)
        self.script = _current_script(self.context.settings, self.run_id)
        return f"Undone: the video is back to its previous version ({len(previous.scenes)} scenes): {video}"

    def ask(self, proposals: list[str]) -> None:
        self.update["proposals"] = proposals

    def write_scene(self, script: VideoScript, request: str) -> tuple[str, str, CameraMove | None]:
        return _new_scene(self.context, script, request)

    def _apply(self, script: VideoScript) -> Path:
        context = self.context
        outcome = edit_run(self.run_id, context.settings.runs_dir, script, chat_model=context.chat_model, engine=context.engine, on_event=context.on_event)
        self.update["last_video"] = str(outcome.result.video) if outcome.result else None
        return outcome.result.video


def respond(state: ChatState, runtime: Runtime[ChatContext]) -> dict:
    """Answer the latest message: start a video, apply an edit, ask back, or say what went wrong (and go on)."""
    context = runtime.context
    message = state.messages[-1]
    text = clean_text(str(message.content))  # a terminal's escape codes would be quoted back to the LLM
    if state.proposals and (picked := PICK.match(text)) and int(picked["n"]) <= len(state.proposals):
        text = state.proposals[int(picked["n"]) - 1]  # the answer to a clarifying question
    attachment = (message.additional_kwargs or {}).get("attachment")
    turn = ChatTurn(context, state, script=_current_script(context.settings, state.run_id), history=list(state.history))
    try:
        model = None if _grammar_only(text, turn.script) else context.model()
        context.on_event(ProgressEvent(stage="chat", message="reading your request"))
        commands = interpret(text, turn.script, model, context.settings, context.usage, Path(attachment) if attachment else None)
        reply = "\n".join(command.apply(turn) for command in commands)
    except VideoDrafterError as error:
        reply = f"{error.message} {error.hint}".strip()
    except Exception as error:  # a bug must not end the conversation; the log has the details
        log.exception("chat turn failed")
        reply = f"Something went wrong while doing that ({type(error).__name__}: {error}). The draft is unchanged; try again or rephrase."
    return {**turn.update, "history": turn.history[-MAX_UNDO:], "messages": [AIMessage(content=reply)]}


MAX_UNDO = 20
"""Versions kept for `undo` (each is one script; pictures are found again by their content keys)."""


def _grammar_only(text: str, script: VideoScript | None) -> bool:
    from videodrafter.agent.interpret import parse_with_grammar

    try:
        return parse_with_grammar(text, script) is not None and not text.lower().startswith("add")
    except InputError:
        return True


def build_chat_graph(checkpointer=None):
    builder = StateGraph(ChatState, context_schema=ChatContext)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, name="videodrafter-chat")


def validate_session_id(session_id: str) -> str:
    """A session id names a folder under ``<runs>/sessions/``: the run-id rules, so '../x' or '/tmp/x' cannot leave it."""
    try:
        return validate_run_id(session_id)
    except InputError:
        raise InputError(
            f"'{session_id}' is not a valid chat session id.",
            "Use letters, digits, '.', '_' and '-' only (e.g. chat-1a2b3c), or leave out --session to start a new one.",
        ) from None


def recent_sessions(runs_dir: Path, limit: int = 5) -> list[str]:
    """Session ids under ``runs_dir``, most recently used first."""
    records = sorted((runs_dir / "sessions").glob("*/chat.sqlite"), key=lambda path: path.stat().st_mtime, reverse=True)
    return [path.parent.name for path in records[:limit]]


class ChatSession:
    """A resumable conversation: ``ChatSession.open(settings, session_id)`` then ``send(text)``."""

    def __init__(
        self, settings: Settings, session_id: str, *, chat_model: BaseChatModel | None = None, engine: Engine | None = None,
        must_exist: bool = False,
    ) -> None:
        """``must_exist``: the id came from the user (``--session``), so a typo is an error, not a new session."""
        self.session_id = validate_session_id(session_id)
        self.folder = settings.runs_dir / "sessions" / session_id
        record = self.folder / "session.json"
        if must_exist and not record.is_file():
            recent = recent_sessions(settings.runs_dir)
            raise InputError(
                f"There is no chat session '{session_id}' in {settings.runs_dir / 'sessions'}.",
                (f"Recent sessions: {', '.join(recent)}. " if recent else "")
                + f"Leave out --session to start a new one (or add --new to start one named '{session_id}').",
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        if record.is_file():
            stored = json.loads(record.read_text())
            settings = Settings(**{**stored["settings"], "runs_dir": settings.runs_dir})
        else:
            write_json_atomic(record, {"session_id": session_id, "settings": json.loads(settings.model_dump_json())})
        self.settings = settings
        self._connection = sqlite3.connect(self.folder / "chat.sqlite", check_same_thread=False, timeout=30)
        types = [*CHECKPOINT_TYPES, ("videodrafter.agent.chat", "ChatState")]
        self.graph = build_chat_graph(SqliteSaver(self._connection, serde=JsonPlusSerializer(allowed_msgpack_modules=types)))
        self.context = ChatContext(settings=settings, session_id=session_id, chat_model=chat_model, engine=engine)
        self.config = {"configurable": {"thread_id": session_id}}

    @staticmethod
    def new_id() -> str:
        return f"chat-{secrets.token_hex(3)}"

    def send(self, text: str, attachment: Path | None = None) -> str:
        kwargs = {"attachment": str(attachment)} if attachment else {}
        result = self.graph.invoke({"messages": [HumanMessage(content=text, additional_kwargs=kwargs)]}, self.config, context=self.context)
        return str(result["messages"][-1].content)

    @property
    def state(self) -> ChatState:
        values = self.graph.get_state(self.config).values
        return ChatState.model_validate(values) if values else ChatState()

    def script(self) -> VideoScript | None:
        return _current_script(self.settings, self.state.run_id)

    def close(self) -> None:
        self._connection.close()
