"""Edit commands: what the LLM is offered comes from the classes, and each command's apply does what its docstring says."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from videodrafter.agent import edits
from videodrafter.agent.edits import (
    EDIT_TYPES,
    AddScene,
    ChangeEntity,
    Clarify,
    EditCommand,
    MakeVideo,
    ParsedCommand,
    RemoveScene,
    SetCamera,
    SetNarration,
    ShowHelp,
    ShowScript,
    SwapScenes,
    Undo,
)
from videodrafter.errors import InputError
from videodrafter.prompts import available_prompt_sets, load_prompt_set
from videodrafter.script import CameraMove, VideoScript

GRAMMAR_ONLY = {ShowHelp, Undo, Clarify}


def _script() -> VideoScript:
    """The dog in scenes 1 and 2, the girl only in scene 3 (so removing scene 3 drops her)."""
    return VideoScript.model_validate(
        {
            "prompt": "a dog's day at the beach", "title": "Beach day",
            "entities": [
                {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
                {"id": "girl", "name": "girl", "kind": "foreground", "description": "a girl in a yellow dress"},
                {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach"},
            ],
            "scenes": [
                {"event": "The dog wakes up.", "action": "stretches", "foreground": ["dog"], "background": "beach"},
                {"event": "The dog chases a ball.", "action": "runs", "foreground": ["dog"], "background": "beach"},
                {"event": "The girl waves.", "action": "waves", "foreground": ["girl"], "background": "beach"},
            ],
        }
    )


class RecordingConversation:
    """The session side of a command (edits.Conversation), recording what the command asked of it."""

    def __init__(self, script: VideoScript | None) -> None:
        self.script = script
        self.asked: list[tuple] = []

    def draft(self) -> VideoScript:
        if self.script is None:
            raise InputError("There is no video to edit yet.", "Make one first.")
        return self.script

    def start_video(self, prompt: str) -> tuple[VideoScript, Path]:
        self.asked.append(("start_video", prompt))
        self.script = _script()
        return self.script, Path("runs/new/video.mp4")

    def replace_draft(self, script: VideoScript) -> Path:
        self.asked.append(("replace_draft", script))
        self.script = script
        return Path("runs/s-1/video.mp4")

    def go_back(self) -> str:
        self.asked.append(("go_back",))
        return "Undone."

    def ask(self, proposals: list[str]) -> None:
        self.asked.append(("ask", proposals))

    def write_scene(self, script: VideoScript, request: str) -> tuple[str, str, CameraMove | None]:
        self.asked.append(("write_scene", request))
        return "The dog digs a hole by the sea.", "digs", CameraMove(direction="up")


def test_every_command_is_registered_and_the_llm_is_offered_exactly_the_others() -> None:
    commands = [cls for cls in vars(edits).values() if isinstance(cls, type) and issubclass(cls, EditCommand) and "command" in cls.model_fields]
    assert set(edits._COMMANDS) == set(commands) and len(commands) == 15
    assert set(EDIT_TYPES) == set(commands) - GRAMMAR_ONLY
    tools = {tool["function"]["name"]: tool["function"] for tool in map(convert_to_openai_tool, EDIT_TYPES)}
    assert set(tools) == {cls.__name__ for cls in EDIT_TYPES}
    for cls in EDIT_TYPES:
        assert tools[cls.__name__]["description"] == cls.__doc__
        parsed = ParsedCommand.model_validate({"edit": {"command": cls.model_fields["command"].default, **_arguments(cls)}})
        assert type(parsed.edit) is cls
    for cls in GRAMMAR_ONLY:
        with pytest.raises(ValidationError):
            ParsedCommand.model_validate({"edit": {"command": cls.model_fields["command"].default}})


def _arguments(cls: type[EditCommand]) -> dict:
    """Valid arguments for each command the LLM is offered."""
    return {
        MakeVideo: {"prompt": "a robot"}, ChangeEntity: {"entity": "dog", "change": "black"}, AddScene: {"request": "at sunset"},
        SwapScenes: {"first": 1, "second": 2}, RemoveScene: {"scene": 1}, SetCamera: {"scene": 1, "direction": "left"},
        SetNarration: {"scene": 1, "narration": "Hello."}, edits.UsePhoto: {"entity": "dog", "path": "dog.png"}, ShowScript: {},
        edits.SetShot: {"scene": 2, "shot": "continue"}, edits.RedoScene: {"scene": 1}, edits.SetMusic: {"music": "auto"},
    }[cls]


def test_the_json_prompt_lists_every_offered_command_in_every_prompt_set() -> None:
    names = [cls.model_fields["command"].default for cls in EDIT_TYPES]
    for name in available_prompt_sets():
        assert ", ".join(names) in load_prompt_set(name).render("chat_command_system", commands=names)


def test_a_command_without_its_literal_or_its_description_is_refused_where_it_is_defined() -> None:
    with pytest.raises(TypeError, match="command: Literal\\['shout'\\]"):

        class Shout(EditCommand):
            """Say it louder."""

            command: Literal["yell"] = "yell"

            def apply(self, conversation: edits.Conversation) -> str:
                return "!"

    with pytest.raises(TypeError, match="needs a docstring"):

        class Whisper(EditCommand):
            command: Literal["whisper"] = "whisper"

            def apply(self, conversation: edits.Conversation) -> str:
                return "..."

    assert len(edits._COMMANDS) == 15


@pytest.mark.parametrize(
    ("command", "summary", "check"),
    [
        (SwapScenes(first=1, second=3), "scenes 1 and 3 swapped", lambda s: s.scenes[0].event == "The girl waves."),
        (RemoveScene(scene=3), "scene 3 removed", lambda s: len(s.scenes) == 2 and [e.id for e in s.entities] == ["dog", "beach"]),
        (SetCamera(scene=2, direction="zoom in", speed="fast"), "scene 2 now has camera: zoom in, fast", lambda s: s.scenes[1].camera.speed.value == "fast"),
        (SetNarration(scene=1, narration='"The dog  wakes."'), "scene 1 now says: The dog wakes.", lambda s: s.scenes[0].narration == "The dog wakes."),
        (ChangeEntity(entity="the dog", change="black"), "'black dog' is now: a small black dog", lambda s: s.entity("dog").name == "black dog"),
        (
            AddScene(request="at sunset", event="The dog watches the sun go down.", after=1),
            "scene 2 added: The dog watches the sun go down.",
            lambda s: s.entity(s.scenes[1].background).name == "beach at sunset",
        ),
    ],
)
def test_a_script_edit_changes_a_copy_and_the_session_applies_it(command: edits.ScriptEdit, summary: str, check) -> None:
    original = _script()
    edited, said = command.edit(original)
    assert said.startswith(summary) and check(edited)
    assert original == _script()  # the draft itself is untouched

    conversation = RecordingConversation(_script())
    reply = command.apply(conversation)
    assert reply == f"Done: {said}\nUpdated video: runs/s-1/video.mp4"
    assert [step for step, *_ in conversation.asked if step == "replace_draft"] == ["replace_draft"] and check(conversation.script)


def test_a_new_scene_in_the_users_words_asks_the_session_to_write_it_unless_the_event_is_given() -> None:
    conversation = RecordingConversation(_script())
    assert AddScene(request="the dog digs").apply(conversation).startswith("Done: scene 4 added: The dog digs a hole by the sea.")
    assert conversation.asked[0] == ("write_scene", "the dog digs") and conversation.script.scenes[3].camera.direction.value == "up"
    given = RecordingConversation(_script())
    AddScene(request="the dog digs", event="The dog digs for treasure.", action="digs").apply(given)
    assert [step for step, *_ in given.asked] == ["replace_draft"] and given.script.scenes[3].event == "The dog digs for treasure."


def test_the_conversation_commands_reply_ask_undo_and_start_videos() -> None:
    conversation = RecordingConversation(None)
    with pytest.raises(InputError, match="no video to edit yet"):
        ShowScript().apply(conversation)
    with pytest.raises(InputError, match="no video to edit yet"):
        RemoveScene(scene=1).apply(conversation)
    assert "undo" in ShowHelp().apply(conversation) and conversation.asked == []
    reply = MakeVideo(prompt="a dog at the beach").apply(conversation)
    assert reply.startswith("Here is your video (3 scenes): runs/new/video.mp4\n") and "The dog chases a ball." in reply
    assert "The girl waves." in ShowScript().apply(conversation)
    assert Undo().apply(conversation) == "Undone."
    reply = Clarify(request="more fun", proposals=["add a scene where the dog dances", "make the dog gold"]).apply(conversation)
    assert "  1. add a scene where the dog dances\n  2. make the dog gold\nAnswer with a number" in reply
    assert conversation.asked == [("start_video", "a dog at the beach"), ("go_back",), ("ask", ["add a scene where the dog dances", "make the dog gold"])]


def test_recolouring_swaps_colour_words_or_adds_the_change() -> None:
    assert edits.recolour("a small brown dog", "black") == "a small black dog"
    assert edits.recolour("dog", "golden") == "golden dog"
    assert edits.recolour("a dog with a long tail", "wearing a hat") == "a dog with a long tail, wearing a hat"


def _hedgehog_script() -> VideoScript:
    """The issue's story: a hedgehog and its painting in a meadow; no crow yet."""
    return VideoScript.model_validate(
        {
            "prompt": "a hedgehog paints a picture in a meadow", "title": "The painter",
            "entities": [
                {"id": "hedgehog", "name": "hedgehog", "kind": "foreground", "description": "a small hedgehog in a beret"},
                {"id": "painting", "name": "painting", "kind": "foreground", "description": "a painting of sunflowers"},
                {"id": "meadow", "name": "meadow", "kind": "background", "description": "a sunny meadow"},
            ],
            "scenes": [
                {"event": "The hedgehog paints sunflowers.", "action": "paints", "foreground": ["hedgehog", "painting"], "background": "meadow"},
                {"event": "The hedgehog admires the painting.", "action": "smiles", "foreground": ["hedgehog", "painting"], "background": "meadow"},
            ],
        }
    )


def test_a_new_scene_brings_the_newcomer_it_names_into_the_cast_and_the_scene() -> None:
    conversation = RecordingConversation(_hedgehog_script())
    reply = AddScene(request="where the hedgehog shows the painting to a crow").apply(conversation)
    assert "added 'crow' to the cast; it appears in scene 3" in reply, reply
    script = conversation.script
    assert script.scenes[2].event == "The hedgehog shows the painting to a crow."
    assert script.scenes[2].foreground == ["hedgehog", "painting", "crow"] and script.scenes[2].background == "meadow"
    crow = script.entity("crow")
    assert crow.kind.value == "foreground" and crow.description == "crow"
    assert [entity.id for entity in script.entities] == ["hedgehog", "painting", "meadow", "crow"]  # nothing else joined


@pytest.mark.parametrize(
    "request_",
    [
        "where she shows it to the puppy",  # pronouns, and another word for the dog
        "where the pup naps",
        "where the girl twirls her dress",  # part of the girl as the cast describes her
        "where the dog chases a bird",  # a word a story uses for its own cast
        "where the dog dreams of a castle",  # a place only mentioned: the scene stays at the beach
    ],
)
def test_pronouns_other_words_for_the_cast_and_mentioned_places_are_no_newcomers(request_: str) -> None:
    edited, summary = AddScene(request=request_).edit(_script())
    assert [entity.id for entity in edited.entities] == ["dog", "girl", "beach"], summary
    assert "to the cast" not in summary and edited.scenes[3].background == "beach"


def test_a_place_the_new_scene_is_set_in_becomes_its_background() -> None:
    edited, summary = AddScene(request="where the dog sleeps at the lighthouse at sunset").edit(_script())
    assert "added 'lighthouse' to the cast; scene 4 takes place there" in summary
    lighthouse = edited.entity(edited.scenes[3].background)
    assert lighthouse.id == "lighthouse" and lighthouse.kind.value == "background" and lighthouse.description == "lighthouse, sunset"
    assert [entity.id for entity in edited.entities] == ["dog", "girl", "beach", "lighthouse"]  # no unused 'beach at sunset'


def test_newcomers_join_a_scene_only_while_it_has_room() -> None:
    edited, summary = AddScene(request="where two crows circle the dog and the girl").edit(_script())
    assert edited.scenes[3].foreground == ["dog", "girl", "first-crow"]
    assert "added 'first crow' to the cast; it appears in scene 4" in summary
    assert "'second crow' was not added: scene 4 already shows 3 characters and objects" in summary
    assert "second-crow" not in {entity.id for entity in edited.entities}
