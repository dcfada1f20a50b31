"""Conversational sessions: "make me a video about…", then edits, on a checkpointed LangGraph thread.

A session is a thread of the chat graph (one SQLite file per session); the video it talks about
is an ordinary run, so every edit regenerates only the artifacts it changed.
"""

from __future__ import annotations

import json
import logging
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

from videodrafter.agent.edits import (
    AddScene,
    MakeVideo,
    ShowScript,
    apply_edit,
    scene_for_request,
)
from videodrafter.agent.interpret import describe_script, interpret
from videodrafter.config import Settings
from videodrafter.engines.base import Engine
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.runner import CHECKPOINT_TYPES, RunOutcome, edit_run, start_run
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.files import write_json_atomic
from videodrafter.planning.inputs import clean_text
from videodrafter.script import VideoScript

log = logging.getLogger(__name__)


class ChatState(BaseModel):
    messages: Annotated[list[AnyMessage], add_messages] = Field(default_factory=list)
    run_id: str | None = Field(default=None, description="The run this session is editing.")
    videos: int = Field(default=0, description="How many videos this session has started.")
    last_video: str | None = None


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


def _event_and_action(context: ChatContext, script: VideoScript, request: str) -> tuple[str, str]:
    """The LLM writes the new scene's event and action; the grammar's template is the fallback."""
    from langchain_core.messages import SystemMessage

    from videodrafter.llm.structured import (
        extract_json_object,
        generate_structured,
        json_response_formats,
    )

    class NewScene(BaseModel):
        event: str = Field(min_length=5, max_length=300)
        action: str = Field(min_length=2, max_length=120)

    try:
        result = generate_structured(
            context.model(),
            [
                SystemMessage(content='You add one scene to a video script. Answer with JSON {"event": one sentence, "action": a short verb phrase}.'),
                HumanMessage(content=f"{describe_script(script)}\n\nAdd a scene: {request}"),
            ],
            lambda text, _last: NewScene.model_validate(extract_json_object(text)),
            max_attempts=2, usage=context.usage,
            feedback=lambda problem: f"Not valid: {problem}. Answer with the JSON only.",
            response_formats=json_response_formats("NewScene", NewScene.model_json_schema()),
            stage="chat-scene",
        )
        return result.value.event, result.value.action
    except VideoDrafterError:
        return "", ""


def respond(state: ChatState, runtime: Runtime[ChatContext]) -> dict:
    """Answer the latest message: start a video, apply an edit, or say what went wrong (and go on)."""
    context = runtime.context
    message = state.messages[-1]
    text = clean_text(str(message.content))  # a terminal's escape codes would be quoted back to the LLM
    attachment = (message.additional_kwargs or {}).get("attachment")
    script = _current_script(context.settings, state.run_id)
    update: dict[str, Any] = {}
    try:
        model = None if _grammar_only(text, script) else context.model()
        commands = interpret(text, script, model, context.settings, context.usage, Path(attachment) if attachment else None)
        replies = []
        for command in commands:
            if isinstance(command, MakeVideo):
                number = state.videos + 1
                run_id = f"{context.session_id}-{number}"
                outcome = start_run(command.prompt, context.settings, run_id=run_id, chat_model=context.model(), engine=context.engine, on_event=context.on_event)
                update |= {"run_id": run_id, "videos": number, "last_video": str(outcome.result.video) if outcome.result else None}
                script = outcome.script
                replies.append(f"Here is your video ({len(script.scenes)} scenes): {outcome.result.video}\n{describe_script(script)}")
                continue
            if script is None:
                raise InputError("There is no video to edit yet.", 'Start with "make me a video about …".')
            if isinstance(command, ShowScript):
                replies.append(describe_script(script))
                continue
            new_scene = None
            if isinstance(command, AddScene):
                event, action = (command.event, command.action) if command.event else _event_and_action(context, script, command.request)
                script, new_scene = scene_for_request(script, command.request, event, action)
            script, summary = apply_edit(script, command, new_scene=new_scene)
            outcome = _apply(context, state.run_id, script)
            update["last_video"] = str(outcome.result.video) if outcome.result else None
            replies.append(f"Done: {summary}. Updated video: {outcome.result.video}")
        reply = "\n".join(replies)
    except VideoDrafterError as error:
        reply = f"{error.message} {error.hint}".strip()
    except Exception as error:  # a bug must not end the conversation; the log has the details
        log.exception("chat turn failed")
        reply = f"Something went wrong while doing that ({type(error).__name__}: {error}). The draft is unchanged; try again or rephrase."
    return {**update, "messages": [AIMessage(content=reply)]}


def _grammar_only(text: str, script: VideoScript | None) -> bool:
    from videodrafter.agent.interpret import parse_with_grammar

    try:
        return parse_with_grammar(text, script) is not None and not text.lower().startswith("add")
    except InputError:
        return True


def _apply(context: ChatContext, run_id: str, script: VideoScript) -> RunOutcome:
    return edit_run(run_id, context.settings.runs_dir, script, chat_model=context.chat_model, engine=context.engine, on_event=context.on_event)


def build_chat_graph(checkpointer=None):
    builder = StateGraph(ChatState, context_schema=ChatContext)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, name="videodrafter-chat")


class ChatSession:
    """A resumable conversation: ``ChatSession.open(settings, session_id)`` then ``send(text)``."""

    def __init__(self, settings: Settings, session_id: str, *, chat_model: BaseChatModel | None = None, engine: Engine | None = None) -> None:
        self.session_id = session_id
        self.folder = settings.runs_dir / "sessions" / session_id
        self.folder.mkdir(parents=True, exist_ok=True)
        record = self.folder / "session.json"
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
