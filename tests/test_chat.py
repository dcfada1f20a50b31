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

from tests.fixtures.models import RoutedChatModel, beach_day_model, critique_verdict
from videodrafter.agent.chat import ChatSession
from videodrafter.agent.edits import SwapScenes
from videodrafter.agent.interpret import parse_with_grammar
from videodrafter.config import Settings


def _files(run_dir: Path, folder: str) -> set[str]:
    """The pictures and clips of a run folder (not their records, nor a clip's last frame)."""
    return {path.name for path in (run_dir / folder).glob("*") if path.suffix != ".json" and ".last." not in path.name}


@pytest.fixture
def session(settings: Settings):
    model = beach_day_model([critique_verdict(True)])
    model.routes["chat_scene_system"] = ['{"event": "The dog and the girl watch the sunset.", "action": "watch the sunset", "camera": "left"}']
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
    assert len(script.scenes) == 4 and script.scenes[3].event.startswith("The dog and the girl watch the sunset")
    assert script.scenes[3].camera.direction.value == "left"  # the LLM's camera, within the schema
    assert script.entity(script.scenes[3].background).name == "beach at sunset"
    assert len(_files(run_dir, "scenes") - before) == 1

    made = {folder: _files(run_dir, folder) for folder in ("entities", "scenes", "clips")}
    reply = session.send("add a scene where the girl waves to a crow")
    assert "added 'crow' to the cast; it appears in scene 5" in reply, reply
    script = session.script()
    assert script.entity("crow").kind.value == "foreground" and script.scenes[4].foreground == ["girl", "crow"]
    new = {folder: _files(run_dir, folder) - names for folder, names in made.items()}
    assert new["entities"] and all(name.startswith("crow-") for name in new["entities"]), new  # only the newcomer is drawn
    assert len(new["scenes"]) == 1 and len(new["clips"]) == 1, new  # and only its scene

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
    session.context.chat_model.routes["chat_command_system"] = ["no idea"]
    assert expected in session.send(message)
    shown = session.send("show the script")
    assert "Beach day" in shown and all(column in shown for column in ("event", "action", "foreground", "background", "camera"))


def test_unreadable_and_oversized_uploads_are_refused(session: ChatSession, tmp_path: Path) -> None:
    session.send("make me a video about a dog's day at the beach")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    assert "not a readable image" in session.send("use this photo for the girl", attachment=broken)
    huge = tmp_path / "huge.png"
    Image.new("1", (8000, 6000)).save(huge)
    assert "pixel limit" in session.send("use this photo for the girl", attachment=huge)
    assert session.script().entity("girl").reference_image is None


def test_a_session_resumes_by_id(settings: Settings) -> None:
    first = ChatSession(settings, "again", chat_model=beach_day_model([critique_verdict(True)]))
    first.send("make me a video about a dog's day at the beach")
    first.close()
    second = ChatSession(settings, "again", chat_model=beach_day_model([critique_verdict(True)]))
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


def test_tool_calling_models_edit_through_the_typed_tools(settings: Settings) -> None:
    base = beach_day_model([critique_verdict(True)])
    model = ToolCallingModel(routes=base.routes)
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
    first = subprocess.run([*command, "--new"], input="make me a video about a cat in a garden\nshow the script\n", env=env, capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    out = " ".join(first.stdout.split())
    assert "video.mp4" in out and "foreground" in out and "camera" in out  # "show the script": the CLI's scene table
    for stage in ("script", "references", "scene images", "assemble"):  # the stage lines `make` shows
        assert stage in first.stderr, stage
    again = subprocess.run(command, input="swap scenes 1 and 2\nremove scene 42\n", env=env, capture_output=True, text=True, timeout=600, check=False)
    out = " ".join(again.stdout.split())
    assert again.returncode == 0 and "scenes 1 and 2 swapped" in out and "There is no scene 42" in out
    assert json.loads((tmp_path / "sessions" / "cli" / "session.json").read_text())["session_id"] == "cli"


def test_a_vague_request_is_asked_back_and_a_numbered_answer_is_done(session: ChatSession) -> None:
    session.send("make me a video about a dog's day at the beach")
    model = session.context.chat_model
    asked = model.calls("chat_command_system")
    reply = session.send("make it more exciting")
    assert "1. add a scene where the" in reply and "2. camera of scene" in reply and "3. make the" in reply
    assert model.calls("chat_command_system") == asked and len(session.script().scenes) == 3  # no guess, no change
    reply = session.send("2")
    assert reply.startswith("Done: scene 1 now has camera: zoom in, fast"), reply
    assert session.state.proposals == []  # answered: a later "2" is not taken as this choice again


def test_help_and_undo_redo_nothing_already_made(session: ChatSession) -> None:
    assert "Nothing to undo" in session.send("undo")
    session.send("make me a video about a dog's day at the beach")
    run_dir = session.settings.runs_dir / "s1-1"
    help_text = session.send("help")
    assert "undo" in help_text and "add a scene where" in help_text and "camera of scene 2 to zoom in fast" in help_text
    original = session.script()
    made = {folder: _files(run_dir, folder) for folder in ("entities", "scenes", "clips")}
    assert session.send("make the dog black").startswith("Done")
    session.send("remove scene 1")
    assert len(session.script().scenes) == 2
    assert session.send("undo").startswith("Undone") and len(session.script().scenes) == 3
    after_edit = {folder: _files(run_dir, folder) for folder in ("entities", "scenes", "clips")}
    assert session.send("undo").startswith("Undone")
    assert session.script() == original
    for folder, names in made.items():  # the first version's pictures and clips were found again, not made again
        assert _files(run_dir, folder) == after_edit[folder] and names <= after_edit[folder]
    assert "Nothing to undo" in session.send("undo")


def test_an_edit_says_which_similar_entities_it_left_alone() -> None:
    from videodrafter.agent.edits import ChangeEntity, scene_for_request
    from videodrafter.script import VideoScript

    script = VideoScript.model_validate(
        {
            "prompt": "a cat in a garden", "title": "Garden cat",
            "entities": [
                {"id": "cat", "name": "cream cat", "kind": "foreground", "description": "a fluffy cream cat"},
                {"id": "jumping-cat", "name": "jumping cat", "kind": "foreground", "description": "a cream cat in mid-air"},
                {"id": "garden", "name": "garden", "kind": "background"},
            ],
            "scenes": [
                {"event": "The cat naps.", "action": "naps", "foreground": ["cat"], "background": "garden"},
                {"event": "The cat jumps.", "action": "jumps", "foreground": ["jumping-cat"], "background": "garden"},
                {"event": "The cat eats.", "action": "eats", "foreground": ["cat"], "background": "garden"},
            ],
        }
    )
    edited, summary = ChangeEntity(entity="cat", change="orange").edit(script)
    assert "'orange cat'" in summary and "scene(s) 1, 3" in summary
    assert "Not changed: 'jumping cat' (scene(s) 2)" in summary and 'make the jumping cat orange' in summary
    assert edited.entity("jumping-cat").description == "a cream cat in mid-air"
    _, scene = scene_for_request(script, "where the cat wins a trophy")
    assert scene.event == "The cat wins a trophy." and scene.action == "wins a trophy" and scene.foreground == ["cat"]


def test_an_unknown_session_is_an_error_that_lists_the_recent_ones(tmp_path: Path) -> None:
    settings = Settings(runs_dir=tmp_path)
    ChatSession(settings, "chat-real").close()
    (tmp_path / "sessions" / "chat-real" / "chat.sqlite").touch()
    result = subprocess.run(
        [sys.executable, "-m", "videodrafter", "chat", "--session", "chat-nope", "-m", "hi", "--runs-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    err = " ".join(result.stderr.split())
    assert result.returncode == 2 and "There is no chat session 'chat-nope'" in err and "Recent sessions: chat-real" in err
    assert not (tmp_path / "sessions" / "chat-nope").exists()


@pytest.mark.slow
def test_a_scene_in_the_users_words_with_the_embedded_model(tmp_path: Path) -> None:
    """The real SmolLM2 writes the action and camera of 'add a scene where …'; the event is the user's sentence."""
    from tests.fixtures.scripts import write_script
    from tests.fixtures.settings import small_settings
    from videodrafter.run_inputs import load_script_file
    from videodrafter.graph.runner import start_run
    from videodrafter.text import content_words

    settings = small_settings(tmp_path, critique=False)
    script = load_script_file(write_script(tmp_path / "script.json", "Beach", ["left", "right"]))
    start_run("", settings, script=script, run_id="embedded-1")
    conversation = ChatSession(settings, "embedded")
    try:
        conversation.graph.update_state(conversation.config, {"run_id": "embedded-1", "videos": 1})
        reply = conversation.send("add a scene where the dog wins a trophy")
        assert reply.startswith("Done: scene 3 added: The dog wins a trophy."), reply
        assert "added 'trophy' to the cast; it appears in scene 3" in reply, reply
        added = conversation.script().scenes[2]
        assert added.foreground == ["dog", "trophy"]  # the trophy it names is drawn too
        assert added.action == "wins a trophy" or content_words(added.action) & {"wins", "trophy", "win"}, added.action
        assert conversation.context.usage.calls >= 1  # the LLM was asked
    finally:
        conversation.close()


@pytest.mark.parametrize(
    ("message", "music"),
    [("add music", "auto"), ("add some background music", "auto"), ("music on", "auto"), ("no music", "none"),
     ("turn off the music", "none"), ("remove the music", "none")],
)
def test_music_is_asked_for_in_plain_words(message: str, music: str) -> None:
    from videodrafter.agent.edits import SetMusic

    assert parse_with_grammar(message, None) == SetMusic(music=music)


def test_add_music_remakes_only_the_mix_and_no_music_takes_it_away(session: ChatSession) -> None:
    session.send("make me a video about a dog's day at the beach")
    run_dir = session.settings.runs_dir / "s1-1"
    made = {folder: _files(run_dir, folder) for folder in ("entities", "scenes", "clips")}
    assert json.loads((run_dir / "manifest.json").read_text()).get("music") is None
    reply = session.send("add music")
    assert reply.startswith("Done: the video now has music") and session.script().music == "auto"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["music"]["source"].startswith("auto:"), manifest.get("music")
    assert {folder: _files(run_dir, folder) for folder in made} == made, "pictures and clips are kept"
    session.send("no music")
    assert json.loads((run_dir / "manifest.json").read_text()).get("music") is None
