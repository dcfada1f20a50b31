"""Conversational sessions: edits regenerate only what they touch; bad input never ends the session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from PIL import Image

from tests.fakes import RoutedChatModel
from tests.test_graph import _model, _verdict
from videodrafter.agent.chat import ChatSession
from videodrafter.agent.edits import SwapScenes
from videodrafter.agent.interpret import parse_with_grammar
from videodrafter.config import Settings


def _files(run_dir: Path, folder: str) -> set[str]:
    return {path.name for path in (run_dir / folder).glob("*")}


@pytest.fixture
def session(tmp_path: Path):
    settings = Settings(runs_dir=tmp_path / "runs", video_width=160, video_height=96, fps=6, crossfade_s=0)
    model = _model([_verdict(True)])
    model.routes["You add one scene"] = ['{"event": "The dog and the girl watch the sun go down.", "action": "watch the sunset"}']
    conversation = ChatSession(settings, "s1", chat_model=model)
    yield conversation
    conversation.close()


def test_a_conversation_makes_a_video_and_each_edit_redoes_only_what_it_touches(session: ChatSession, tmp_path: Path) -> None:
    reply = session.send("make me a video about a dog's day at the beach")
    run_dir = session.settings.runs_dir / "s1-1"
    assert "video.mp4" in reply and (run_dir / "video.mp4").is_file()

    scenes, clips, refs = _files(run_dir, "scenes"), _files(run_dir, "clips"), _files(run_dir, "entities")
    reply = session.send("swap scenes 2 and 3")
    assert reply.startswith("Done: scenes 2 and 3 swapped")
    assert _files(run_dir, "scenes") == scenes and _files(run_dir, "clips") == clips  # same pictures, new order
    assert session.script().scenes[1].event == "The girl and the dog watch the sunset."

    reply = session.send("make the dog black")
    assert "black dog" in reply
    new_refs = _files(run_dir, "entities") - refs
    assert new_refs and all(name.startswith("brown-dog") for name in new_refs)  # the id stays, the look changes
    dog_scenes = len(session.script().scenes)  # the dog is in every scene
    assert len(_files(run_dir, "scenes") - scenes) == dog_scenes

    before = _files(run_dir, "scenes")
    reply = session.send("add a scene at sunset")
    script = session.script()
    assert len(script.scenes) == 4 and script.scenes[3].event.startswith("The dog and the girl watch the sun go down")
    assert script.entity(script.scenes[3].background).name == "beach at sunset"
    assert len(_files(run_dir, "scenes") - before) == 1

    photo = tmp_path / "girl.png"
    Image.new("RGB", (64, 96), (200, 40, 40)).save(photo)
    reply = session.send("use this photo for the girl", attachment=photo)
    assert reply.startswith("Done") and session.script().entity("girl").reference_image == photo


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "The message is empty"),
        ("remove scene 7", "There is no scene 7; the video has 3 scenes"),
        ("swap scenes 1 and 9", "There is no scene 9"),
        ("make the unicorn purple", "I did not understand"),
    ],
)
def test_bad_messages_get_a_clear_answer_and_the_session_goes_on(session: ChatSession, message: str, expected: str) -> None:
    session.send("make me a video about a dog's day at the beach")
    session.model_rebuilt = True
    session.context.chat_model.routes["turn a user's request"] = ["no idea"]
    assert expected in session.send(message)
    assert session.send("show the script").startswith("Title: Beach day")


def test_unreadable_and_oversized_uploads_are_refused(session: ChatSession, tmp_path: Path) -> None:
    session.send("make me a video about a dog's day at the beach")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    assert "not a readable image" in session.send("use this photo for the girl", attachment=broken)
    huge = tmp_path / "huge.png"
    Image.new("1", (8000, 6000)).save(huge)
    assert "pixel limit" in session.send("use this photo for the girl", attachment=huge)
    assert session.script().entity("girl").reference_image is None


def test_a_session_resumes_by_id(tmp_path: Path) -> None:
    settings = Settings(runs_dir=tmp_path / "runs", video_width=160, video_height=96, fps=6, crossfade_s=0)
    first = ChatSession(settings, "again", chat_model=_model([_verdict(True)]))
    first.send("make me a video about a dog's day at the beach")
    first.close()
    second = ChatSession(settings, "again", chat_model=_model([_verdict(True)]))
    try:
        assert second.state.run_id == "again-1" and len(second.state.messages) == 2
        assert second.send("remove scene 1").startswith("Done: scene 1 removed")
        assert len(second.script().scenes) == 2
    finally:
        second.close()


class ToolCallingModel(RoutedChatModel):
    """A model that answers edit requests with a tool call, as GPT-4-class models do."""

    def bind_tools(self, tools, **kwargs):
        return self

    def invoke(self, messages, *args, **kwargs):
        if "The request: put the ball scene first" in str(messages[-1].content):
            return AIMessage(content="", tool_calls=[{"name": "SwapScenes", "args": {"first": 1, "second": 2}, "id": "call-1"}])
        return super().invoke(messages, *args, **kwargs)


def test_tool_calling_models_edit_through_the_typed_tools(tmp_path: Path) -> None:
    base = _model([_verdict(True)])
    model = ToolCallingModel(routes=base.routes)
    settings = Settings(runs_dir=tmp_path / "runs", video_width=160, video_height=96, fps=6, crossfade_s=0)
    conversation = ChatSession(settings, "tools", chat_model=model)
    try:
        conversation.send("make me a video about a dog's day at the beach")
        reply = conversation.send("put the ball scene first")
        assert reply.startswith("Done: scenes 1 and 2 swapped")
        assert conversation.script().scenes[0].event == "The dog chases a red ball."
    finally:
        conversation.close()


def test_the_grammar_reads_the_common_requests() -> None:
    assert parse_with_grammar("Swap scenes 2 and 3.", None) == SwapScenes(first=2, second=3)
    assert parse_with_grammar("camera of scene 2 to zoom in fast", None).direction.value == "zoom in"
    assert parse_with_grammar("scene 3 pan left slow", None).direction.value == "left"
    assert parse_with_grammar("add a scene after scene 1 where they eat ice cream", None).after == 1
    assert parse_with_grammar("please make me a video about a robot", None).prompt == "a robot"


@pytest.mark.slow
def test_chat_on_the_command_line_with_the_embedded_model(tmp_path: Path) -> None:
    env = {**os.environ, "VIDEODRAFTER_VIDEO_WIDTH": "160", "VIDEODRAFTER_VIDEO_HEIGHT": "96", "VIDEODRAFTER_CRITIQUE": "false"}
    command = [sys.executable, "-m", "videodrafter", "chat", "--session", "cli", "--runs-dir", str(tmp_path)]
    first = subprocess.run(command, input="make me a video about a cat in a garden\nshow the script\n", env=env, capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    assert "video.mp4" in " ".join(first.stdout.split())
    again = subprocess.run(command, input="swap scenes 1 and 2\nremove scene 42\n", env=env, capture_output=True, text=True, timeout=600, check=False)
    out = " ".join(again.stdout.split())
    assert again.returncode == 0 and "scenes 1 and 2 swapped" in out and "There is no scene 42" in out
    assert json.loads((tmp_path / "sessions" / "cli" / "session.json").read_text())["session_id"] == "cli"
