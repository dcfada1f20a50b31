"""The script as the LLM writes it (names, not ids), and its conversion into a checked VideoScript."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from videodrafter.llm.structured import OutputProblem
from videodrafter.planning.narrator_lines import ground_script_narration
from videodrafter.script import (
    CameraDirection,
    CameraMove,
    CameraSpeed,
    Entity,
    EntityKind,
    Scene,
    VideoScript,
    entity_id_from_name,
    normalize_entity_name,
)

UNLISTED_NOTE = "had no entry in the entities list"
"""How a note says that a scene named an entity the list lacked (evals count these repairs)."""

EntityName = Annotated[str, Field(min_length=1, max_length=60)]


class EntityDraft(BaseModel):
    """A named character, object or place with a short visual description."""

    name: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=1, max_length=300)


class SceneDraft(BaseModel):
    """One scene as the LLM writes it: entities are referred to by name."""

    event: str = Field(min_length=5, max_length=300)
    narration: str = Field(default="", max_length=300, description="One sentence a narrator reads over the shot.")
    action: str = Field(min_length=3, max_length=160)
    foreground: list[EntityName] = Field(max_length=3)
    background: str = Field(min_length=1, max_length=60)
    camera_direction: CameraDirection
    camera_speed: CameraSpeed


class ScriptDraft(BaseModel):
    """The planner's answer: a title, named entities and the scenes in order."""

    title: str = Field(min_length=1, max_length=100)
    entities: list[EntityDraft] = Field(max_length=12)
    scenes: list[SceneDraft] = Field(min_length=1, max_length=20)


class ConvertedScript(BaseModel):
    """A checked script plus what was repaired on the way (fed to the critique)."""

    script: VideoScript
    notes: list[str] = []


def draft_json_schema(min_scenes: int, max_scenes: int) -> dict[str, Any]:
    """The draft's JSON schema with the scene count pinned, so a grammar can enforce it."""
    schema = ScriptDraft.model_json_schema()
    scenes = schema["properties"]["scenes"]
    scenes["minItems"] = min_scenes
    scenes["maxItems"] = max_scenes
    # A story needs few entities; a cap stops small models from listing the same one over and over.
    schema["properties"]["entities"]["maxItems"] = min(12, 2 * max_scenes + 2)
    return schema


def draft_to_script(
    draft: ScriptDraft, prompt: str, min_scenes: int, max_scenes: int, *, repair: bool = False
) -> ConvertedScript:
    """Turn names into entity ids and check the draft.

    Without ``repair`` every problem raises OutputProblem (sent back to the LLM). With ``repair``
    (the last attempt) what can be mended is mended and recorded in ``notes``: extra scenes are
    cut, a place used as a foreground entity is dropped from that foreground, empty names are
    skipped. Too few scenes cannot be mended.
    """
    problems: list[str] = []
    notes: list[str] = []

    def complain(problem: str, mendable: bool, repaired_as: str) -> None:
        if repair and mendable:
            notes.append(repaired_as)
        elif problem not in problems:
            problems.append(problem)

    scenes_in = list(draft.scenes)
    wanted = str(min_scenes) if min_scenes == max_scenes else f"between {min_scenes} and {max_scenes}"
    if len(scenes_in) < min_scenes:
        problems.append(f"the script has {len(scenes_in)} scenes; write {wanted}")
    elif len(scenes_in) > max_scenes:
        complain(
            f"the script has {len(scenes_in)} scenes; write {wanted}",
            True,
            f"cut the script from {len(scenes_in)} to {max_scenes} scenes",
        )
        scenes_in = scenes_in[:max_scenes]

    described = {normalize_entity_name(entity.name): entity for entity in draft.entities}
    backgrounds = {normalize_entity_name(scene.background) for scene in scenes_in} - {""}
    kinds: dict[str, EntityKind] = {}
    scenes: list[Scene] = []
    for number, scene in enumerate(scenes_in, start=1):
        foreground: list[str] = []
        for name in scene.foreground:
            key = normalize_entity_name(name)
            if not key:
                complain(f"scene {number} has an empty foreground name", True, f"skipped an empty name in scene {number}")
            elif key in backgrounds:
                complain(
                    f"'{name}' is used both as a foreground entity and as a background; a background "
                    "is a place, foreground entities are characters or objects",
                    True,
                    f"dropped the place '{name}' from the foreground of scene {number}",
                )
            else:
                foreground.append(key)
        background = normalize_entity_name(scene.background)
        if not background:
            problems.append(f"scene {number} has no background")
        for key in [*foreground, background]:
            if key and key not in described and key not in kinds:
                notes.append(f"'{key}' (scene {number}) {UNLISTED_NOTE}; it was added with its name as its description")
        kinds.update(dict.fromkeys(foreground, EntityKind.FOREGROUND))
        kinds[background] = EntityKind.BACKGROUND
        scenes.append(
            Scene(
                event=scene.event.strip(),
                action=scene.action.strip(),
                foreground=list(dict.fromkeys(entity_id_from_name(key) for key in foreground)),
                background=entity_id_from_name(background or "unknown"),
                camera=CameraMove(direction=scene.camera_direction, speed=scene.camera_speed),
                narration=scene.narration.strip(),
            )
        )
    ids: dict[str, str] = {}
    for key in kinds:
        entity_id = entity_id_from_name(key)
        if entity_id in ids and ids[entity_id] != key:
            problems.append(f"the names '{ids[entity_id]}' and '{key}' are too similar; use one name")
        ids[entity_id] = key
    if problems:
        raise OutputProblem("\n".join(f"- {problem}" for problem in problems))
    entities = [
        Entity(
            id=entity_id_from_name(key),
            name=described[key].name.strip() if key in described else key,
            kind=kind,
            description=described[key].description.strip() if key in described else key,
        )
        for key, kind in kinds.items()
    ]
    unused = [entity.name for key, entity in described.items() if key not in kinds]
    if unused:
        notes.append(f"entities never used in a scene were dropped: {', '.join(unused)}")
    script = VideoScript(prompt=prompt, title=draft.title.strip(), entities=entities, scenes=scenes)
    script, narration_notes = ground_script_narration(script)
    return ConvertedScript(script=script, notes=[*notes, *narration_notes])


def script_to_draft(script: VideoScript) -> ScriptDraft:
    """The inverse view, used to show a script back to the LLM (critique, edits)."""
    return ScriptDraft(
        title=script.title or script.prompt[:100],
        entities=[EntityDraft(name=entity.name, description=entity.description or entity.name) for entity in script.entities],
        scenes=[
            SceneDraft(
                event=scene.event,
                narration=scene.narration,
                action=scene.action,
                foreground=[script.entity(entity_id).name for entity_id in scene.foreground],
                background=script.entity(scene.background).name,
                camera_direction=scene.camera.direction,
                camera_speed=scene.camera.speed,
            )
            for scene in script.scenes
        ],
    )
