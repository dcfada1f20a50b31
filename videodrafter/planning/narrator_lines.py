"""The narrator's line per scene, held to the events' grounding rules: no names the story does not
have, nothing about the photo or the viewer. A line that breaks them is replaced by the event."""

from __future__ import annotations

from videodrafter.planning.grounding_checks import (
    FIRST_PERSON,
    invented_count,
    is_meta_text,
    stops_mid_clause,
    story_words,
    strangers,
    unfamiliar_word,
)
from videodrafter.script import NARRATION_MAX_CHARS, Entity, Scene, VideoScript

NARRATION_MAX = 200
"""Characters the planner may write per line: one short sentence, a few seconds of speech."""


def spoken_sentence(text: str) -> str:
    """``text`` as a narrator's line: one line of single spaces, ending in a full stop (empty stays empty)."""
    line = " ".join(text.split())
    if line and line[-1] not in ".!?":
        line += "."
    return line[:NARRATION_MAX_CHARS]


def narration_from_event(event: str) -> str:
    """A line for a scene written without one: its event, as one spoken sentence."""
    return spoken_sentence(event)


def narration_problem(text: str, entities: list[Entity], prompt: str) -> str | None:
    """What makes a planned line unusable, worded for a note; None when it is fine."""
    known = story_words(entities, prompt)
    if is_meta_text(text, " ".join(known)):
        return "it talks about the picture or the viewer"
    others = strangers(text, entities, prompt, acting_only=False)  # the viewer hears every name in it
    if others:
        return f"it tells of '{others[0]}', who is not in the story"
    if FIRST_PERSON.search(text):
        return "it speaks in the first person"
    word = unfamiliar_word(text, known)
    if word:
        return f"it names '{word}', which is not in the story"
    counted = invented_count(text, entities)
    if counted:
        return f"it tells of '{counted}', a count the story does not have"
    if stops_mid_clause(text, known):
        return "it stops mid-sentence"
    return None


def grounded_narration(text: str, event: str, entities: list[Entity], prompt: str) -> tuple[str, str | None]:
    """(line, note): the planner's line, or the event read instead (with the reason) when it breaks the rules."""
    line = " ".join(text.split())
    if not line:
        return narration_from_event(event), None
    problem = narration_problem(line, entities, prompt)
    if problem:
        return narration_from_event(event), problem
    return line, None


def ground_script_narration(script: VideoScript) -> tuple[VideoScript, list[str]]:
    """Every scene's line checked (see ``grounded_narration``); notes say which were replaced."""
    scenes: list[Scene] = []
    notes: list[str] = []
    for number, scene in enumerate(script.scenes, start=1):
        line, problem = grounded_narration(scene.narration, scene.event, script.entities, script.prompt)
        if problem:
            notes.append(f"the narration of scene {number} was replaced by its event: {problem}")
        scenes.append(scene.model_copy(update={"narration": line}))
    return script.model_copy(update={"scenes": scenes}), notes
