"""Edits a conversation can make to a draft, and how each one changes the script.

Every edit is a typed command; the chat agent gets them from a small grammar, from the LLM's
JSON answer, or from a tool-calling model's tool calls. Applying one never touches files: the
runner then regenerates exactly the artifacts whose inputs changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from videodrafter.colours import COLOR_WORDS
from videodrafter.errors import InputError
from videodrafter.planning.narration import spoken_sentence
from videodrafter.script import (
    CameraDirection,
    CameraMove,
    CameraSpeed,
    Entity,
    EntityKind,
    NARRATION_MAX_CHARS,
    Scene,
    VideoScript,
    entity_id_from_name,
)
from videodrafter.text import content_words


class MakeVideo(BaseModel):
    """Start a new video about a topic."""

    command: Literal["make_video"] = "make_video"
    prompt: str = Field(min_length=1, description="What the video is about.")


class ChangeEntity(BaseModel):
    """Change how a character, object or place looks (e.g. 'make the dog brown')."""

    command: Literal["change_entity"] = "change_entity"
    entity: str = Field(description="The entity's name as used in the script.")
    change: str = Field(min_length=1, description="The new trait, e.g. 'brown' or 'wearing a hat'.")


class AddScene(BaseModel):
    """Add a scene at the end (or after a given scene)."""

    command: Literal["add_scene"] = "add_scene"
    request: str = Field(min_length=1, description="What the new scene shows, in the user's words.")
    event: str = Field(default="", description="One sentence for the scene's event (filled in if empty).")
    action: str = Field(default="", description="The scene's single action (filled in if empty).")
    after: int | None = Field(default=None, ge=0, description="Insert after this scene number (None: at the end).")


class SwapScenes(BaseModel):
    """Swap two scenes (1-based numbers)."""

    command: Literal["swap_scenes"] = "swap_scenes"
    first: int = Field(ge=1)
    second: int = Field(ge=1)


class RemoveScene(BaseModel):
    """Remove one scene (1-based number)."""

    command: Literal["remove_scene"] = "remove_scene"
    scene: int = Field(ge=1)


class SetCamera(BaseModel):
    """Change a scene's camera move."""

    command: Literal["set_camera"] = "set_camera"
    scene: int = Field(ge=1)
    direction: CameraDirection
    speed: CameraSpeed = CameraSpeed.MEDIUM


class SetNarration(BaseModel):
    """Change what the narrator says over one scene (only that scene's speech is made again)."""

    command: Literal["set_narration"] = "set_narration"
    scene: int = Field(ge=1)
    narration: str = Field(max_length=NARRATION_MAX_CHARS, description="The new line, one or two sentences; empty: the event is read.")


class UsePhoto(BaseModel):
    """Use a real photo as an entity's reference."""

    command: Literal["use_photo"] = "use_photo"
    entity: str
    path: Path


class ShowScript(BaseModel):
    """Describe the current draft."""

    command: Literal["show_script"] = "show_script"


class ShowHelp(BaseModel):
    """What can be asked, with examples (answered without the LLM)."""

    command: Literal["show_help"] = "show_help"


class Undo(BaseModel):
    """Go back to the video before the last change (answered without the LLM)."""

    command: Literal["undo"] = "undo"


class Clarify(BaseModel):
    """A request too vague to act on: ask back, with concrete proposals the user can pick by number."""

    command: Literal["clarify"] = "clarify"
    request: str
    proposals: list[str] = Field(min_length=1, max_length=3)


EditCommand = Annotated[
    MakeVideo | ChangeEntity | AddScene | SwapScenes | RemoveScene | SetCamera | SetNarration | UsePhoto | ShowScript,
    Field(discriminator="command"),
]
EDIT_TYPES = [MakeVideo, ChangeEntity, AddScene, SwapScenes, RemoveScene, SetCamera, SetNarration, UsePhoto, ShowScript]


class ParsedCommand(BaseModel):
    """The LLM's reading of a message that the grammar did not understand."""

    edit: EditCommand


def find_entity(script: VideoScript, name: str) -> Entity:
    """The entity a user means by ``name`` ('the dog' → 'brown dog'), or a clear error."""
    wanted = content_words(name)
    best, best_score = None, 0
    for entity in script.entities:
        score = len(wanted & (content_words(entity.name) | {entity.id}))
        if score > best_score:
            best, best_score = entity, score
    if best is None:
        names = ", ".join(entity.name for entity in script.entities)
        raise InputError(f"There is no '{name}' in this video.", f"The entities are: {names}.")
    return best


def _scene_index(script: VideoScript, number: int) -> int:
    if not 1 <= number <= len(script.scenes):
        raise InputError(
            f"There is no scene {number}; the video has {len(script.scenes)} scenes.",
            f"Use a number from 1 to {len(script.scenes)}.",
        )
    return number - 1


def recolour(text: str, change: str) -> str:
    """Swap colour words in ``text`` for the colour in ``change``; otherwise append the change."""
    new_colours = [word for word in re.findall(r"[a-z]+", change.lower()) if word in COLOR_WORDS]
    if new_colours:
        replaced, count = re.subn(r"\b(" + "|".join(sorted(COLOR_WORDS, key=len, reverse=True)) + r")\b", new_colours[0], text, flags=re.IGNORECASE)
        if count:
            return replaced
        return f"{new_colours[0]} {text}".strip() if len(text.split()) <= 3 else f"{text}, {change}".strip(", ")
    return f"{text}, {change}".strip(", ")


def similar_entities(script: VideoScript, entity: Entity, asked: str) -> list[Entity]:
    """Other entities the user may also have meant: they share a noun with the name asked for
    ('the cat' → 'jumping cat' beside 'cream cat'); colour words do not make two entities alike."""
    wanted = (content_words(asked) | content_words(entity.name)) - set(COLOR_WORDS)
    return [other for other in script.entities if other.id != entity.id and wanted & (content_words(other.name) - set(COLOR_WORDS))]


def apply_edit(script: VideoScript, edit, *, new_scene: Scene | None = None) -> tuple[VideoScript, str]:
    """The edited script and a summary of what changed (and of what a user may think changed but did not)."""
    script = script.model_copy(deep=True)
    if isinstance(edit, ChangeEntity):
        entity = find_entity(script, edit.entity)
        others = similar_entities(script, entity, edit.entity)
        old_name = entity.name
        entity.description = recolour(entity.description or entity.name, edit.change)
        if any(word in COLOR_WORDS for word in content_words(entity.name)):
            entity.name = recolour(entity.name, edit.change)
        scenes = [str(index + 1) for index in script.scenes_with(entity.id)]
        summary = f"'{entity.name}' is now: {entity.description} (changed: '{old_name}', in scene(s) {', '.join(scenes) or 'none'})"
        for other in others:
            where = ", ".join(str(index + 1) for index in script.scenes_with(other.id)) or "none"
            summary += (
                f"\nNot changed: '{other.name}' (scene(s) {where}) is a different entity; "
                f"say \"make the {other.name} {edit.change}\" to change it too."
            )
        return VideoScript.model_validate(script.model_dump()), summary
    if isinstance(edit, SwapScenes):
        first, second = _scene_index(script, edit.first), _scene_index(script, edit.second)
        script.scenes[first], script.scenes[second] = script.scenes[second], script.scenes[first]
        return script, f"scenes {edit.first} and {edit.second} swapped"
    if isinstance(edit, RemoveScene):
        index = _scene_index(script, edit.scene)
        if len(script.scenes) == 1:
            raise InputError("A video needs at least one scene.", "Add another scene before removing this one.")
        del script.scenes[index]
        used = {entity_id for scene in script.scenes for entity_id in [*scene.foreground, scene.background]}
        script.entities = [entity for entity in script.entities if entity.id in used]
        return script, f"scene {edit.scene} removed"
    if isinstance(edit, SetCamera):
        index = _scene_index(script, edit.scene)
        script.scenes[index].camera = CameraMove(direction=edit.direction, speed=edit.speed)
        return script, f"scene {edit.scene} now has camera: {script.scenes[index].camera.label()}"
    if isinstance(edit, SetNarration):
        index = _scene_index(script, edit.scene)
        line = spoken_sentence(" ".join(edit.narration.split()).strip("\"'“”"))
        script.scenes[index].narration = line
        return script, f"scene {edit.scene} now says: {line or '(its event)'}"
    if isinstance(edit, UsePhoto):
        from videodrafter.media.images import load_user_photo

        entity = find_entity(script, edit.entity)
        load_user_photo(edit.path)  # refuse unreadable or oversized files before anything changes
        entity.reference_image = edit.path
        return script, f"'{entity.name}' now uses your photo {edit.path.name}"
    if isinstance(edit, AddScene):
        if new_scene is None:
            raise ValueError("add_scene needs the scene to add")
        if edit.after is None:
            position = len(script.scenes)
        elif edit.after == 0:
            position = 0
        else:
            position = _scene_index(script, edit.after) + 1
        script.scenes.insert(position, new_scene)
        return VideoScript.model_validate(script.model_dump()), f"scene {position + 1} added: {new_scene.event}"
    raise TypeError(f"apply_edit does not handle {type(edit).__name__}")


TIMES_OF_DAY = {"sunset", "sunrise", "night", "dawn", "dusk", "noon", "evening", "morning", "midnight"}


CLAUSE = re.compile(r"^(?:[:,-]\s*|(?:where|in which|in that|when|that shows|showing|so that)\s+)(?P<clause>\S.*)$", re.IGNORECASE)


def request_clause(request: str) -> str | None:
    """The sentence inside 'add a scene where the cat wins a trophy' ('the cat wins a trophy'), or None
    for a request that only sets the scene ('at sunset')."""
    match = CLAUSE.match(request.strip())
    return match["clause"].strip().rstrip(".!") if match else None


def clause_action(script: VideoScript, clause: str) -> str:
    """What the clause says its subject does: the words after the first cast member it names
    ('the cat wins a trophy' → 'wins a trophy'); the whole clause when it names nobody."""
    tokens = clause.split()
    cast_words = set().union(*(content_words(e.name) for e in script.entities if e.kind is EntityKind.FOREGROUND))
    for index, token in enumerate(tokens):
        if content_words(token) & cast_words and index + 1 < len(tokens):
            return " ".join(tokens[index + 1 :])[:120]
    return clause[:120]


def scene_for_request(
    script: VideoScript, request: str, event: str = "", action: str = "", camera: CameraMove | None = None
) -> tuple[VideoScript, Scene]:
    """A new scene for 'add a scene at sunset': mentioned entities, the usual cast, a place (maybe at a new time).

    A request that is a sentence ('where the cat wins a trophy') is the scene's event, word for word."""
    words = content_words(request)
    cast = [e for e in script.entities if e.kind is EntityKind.FOREGROUND]
    foreground: list[str] = []
    for word in re.findall(r"[a-z0-9'-]+", request.lower()):  # in the order the request names them
        matches = [e for e in cast if word in content_words(e.name)]
        if matches:  # 'the cat' beside 'cream cat' and 'jumping cat': the closer name, then the one in more scenes
            best = max(matches, key=lambda e: (len(words & content_words(e.name)), len(script.scenes_with(e.id))))
            if best.id not in foreground:
                foreground.append(best.id)
    if not foreground:
        counts = {e.id: len(script.scenes_with(e.id)) for e in script.entities if e.kind is EntityKind.FOREGROUND}
        foreground = [max(counts, key=counts.get)] if counts else []
    places = [e for e in script.entities if e.kind is EntityKind.BACKGROUND]
    mentioned = [e for e in places if words & content_words(e.name)]
    background = mentioned[0] if mentioned else next(e for e in places if e.id == script.scenes[-1].background)
    time_of_day = sorted(words & TIMES_OF_DAY)
    if time_of_day and time_of_day[0] not in content_words(background.name):
        name = f"{background.name} at {time_of_day[0]}"
        new_id = entity_id_from_name(name)
        if not any(e.id == new_id for e in script.entities):
            script = script.model_copy(deep=True)
            script.entities.append(
                Entity(id=new_id, name=name, kind=EntityKind.BACKGROUND, description=f"{background.description or background.name}, at {time_of_day[0]}")
            )
        background = script.entity(new_id)
    cast = " and ".join(script.entity(entity_id).name for entity_id in foreground) or "The scene"
    clause = request_clause(request)
    if clause:
        event = clause[0].upper() + clause[1:] + "."
        action = action or clause_action(script, clause)
    event = event or f"{cast} {request.strip().rstrip('.')}".replace("  ", " ") + "."
    scene = Scene(event=event[:600], action=(action or "moves")[:300], foreground=foreground, background=background.id)
    if camera is not None:
        scene.camera = camera
    return script, scene
