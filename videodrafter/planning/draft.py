"""The script as the LLM writes it (names, not ids), and its conversion into a checked VideoScript."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    ShotKind,
    VideoScript,
    can_continue,
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
    shot: ShotKind = Field(
        default=ShotKind.CUT, description="'continue' when the scene carries on the one before (same place and cast, no time jump); else 'cut'.",
    )


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


@dataclass
class _Findings:
    """What the conversion found: problems sent back to the LLM, and notes on what was mended."""

    repair: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def complain(self, problem: str, mendable: bool, repaired_as: str) -> None:
        """A problem, or (with ``repair``, when it can be mended) a note of how it was mended."""
        if self.repair and mendable:
            self.notes.append(repaired_as)
        elif problem not in self.problems:
            self.problems.append(problem)


def draft_to_script(
    draft: ScriptDraft, prompt: str, min_scenes: int, max_scenes: int, *, repair: bool = False
) -> ConvertedScript:
    """Turn names into entity ids and check the draft.

    Without ``repair`` every problem raises OutputProblem (sent back to the LLM). With ``repair``
    (the last attempt) what can be mended is mended and recorded in ``notes``: extra scenes are
    cut, a place used as a foreground entity is dropped from that foreground, empty names are
    skipped. Too few scenes cannot be mended.
    """
    findings = _Findings(repair=repair)
    # 1. the scene count
    scenes_in = _scenes_within_count(list(draft.scenes), min_scenes, max_scenes, findings)
    # 2. scenes that refer to entities by id; each entity's kind from where the scenes use it
    described = {normalize_entity_name(entity.name): entity for entity in draft.entities}
    backgrounds = {normalize_entity_name(scene.background) for scene in scenes_in} - {""}
    kinds: dict[str, EntityKind] = {}
    scenes = [
        _scene_with_ids(scene, number, backgrounds, described, kinds, findings)
        for number, scene in enumerate(scenes_in, start=1)
    ]
    # 3. every problem at once, so the LLM can fix them in one go
    _check_distinct_ids(kinds, findings)
    if findings.problems:
        raise OutputProblem("\n".join(f"- {problem}" for problem in findings.problems))
    # 4. the entities the scenes use, then the narration held to the story's grounding rules
    entities = _used_entities(kinds, described)
    unused = [entity.name for key, entity in described.items() if key not in kinds]
    if unused:
        findings.notes.append(f"entities never used in a scene were dropped: {', '.join(unused)}")
    scenes = _shots_that_can_continue(scenes, findings)
    script = VideoScript(prompt=prompt, title=draft.title.strip(), entities=entities, scenes=scenes)
    script, narration_notes = ground_script_narration(script)
    return ConvertedScript(script=script, notes=[*findings.notes, *narration_notes])


def _scenes_within_count(scenes: list[SceneDraft], min_scenes: int, max_scenes: int, findings: _Findings) -> list[SceneDraft]:
    """The scenes, cut to ``max_scenes`` when there are too many; too few is a problem."""
    wanted = str(min_scenes) if min_scenes == max_scenes else f"between {min_scenes} and {max_scenes}"
    if len(scenes) < min_scenes:
        findings.problems.append(f"the script has {len(scenes)} scenes; write {wanted}")
    elif len(scenes) > max_scenes:
        findings.complain(
            f"the script has {len(scenes)} scenes; write {wanted}",
            True,
            f"cut the script from {len(scenes)} to {max_scenes} scenes",
        )
        return scenes[:max_scenes]
    return scenes


def _scene_with_ids(
    scene: SceneDraft,
    number: int,
    backgrounds: set[str],
    described: dict[str, EntityDraft],
    kinds: dict[str, EntityKind],
    findings: _Findings,
) -> Scene:
    """Scene ``number`` with entity ids for names; records each entity's kind in ``kinds``."""
    foreground = _foreground_keys(scene, number, backgrounds, findings)
    background = normalize_entity_name(scene.background)
    if not background:
        findings.problems.append(f"scene {number} has no background")
    for key in [*foreground, background]:
        if key and key not in described and key not in kinds:
            findings.notes.append(f"'{key}' (scene {number}) {UNLISTED_NOTE}; it was added with its name as its description")
    kinds.update(dict.fromkeys(foreground, EntityKind.FOREGROUND))
    kinds[background] = EntityKind.BACKGROUND
    return Scene(
        event=scene.event.strip(),
        action=scene.action.strip(),
        foreground=list(dict.fromkeys(entity_id_from_name(key) for key in foreground)),
        background=entity_id_from_name(background or "unknown"),
        camera=CameraMove(direction=scene.camera_direction, speed=scene.camera_speed),
        narration=scene.narration.strip(),
        shot=scene.shot,
    )


def _foreground_keys(scene: SceneDraft, number: int, backgrounds: set[str], findings: _Findings) -> list[str]:
    """The normalized foreground names; an empty name or a place is a problem (or is dropped)."""
    foreground: list[str] = []
    for name in scene.foreground:
        key = normalize_entity_name(name)
        if not key:
            findings.complain(f"scene {number} has an empty foreground name", True, f"skipped an empty name in scene {number}")
        elif key in backgrounds:
            findings.complain(
                f"'{name}' is used both as a foreground entity and as a background; a background "
                "is a place, foreground entities are characters or objects",
                True,
                f"dropped the place '{name}' from the foreground of scene {number}",
            )
        else:
            foreground.append(key)
    return foreground


def _check_distinct_ids(kinds: dict[str, EntityKind], findings: _Findings) -> None:
    """Two names that make the same id ('The Dog!' and 'the dog') would be one entity."""
    ids: dict[str, str] = {}
    for key in kinds:
        entity_id = entity_id_from_name(key)
        if entity_id in ids and ids[entity_id] != key:
            findings.problems.append(f"the names '{ids[entity_id]}' and '{key}' are too similar; use one name")
        ids[entity_id] = key


def _used_entities(kinds: dict[str, EntityKind], described: dict[str, EntityDraft]) -> list[Entity]:
    """An entity per name the scenes use; one the list lacked is described by its name."""
    return [
        Entity(
            id=entity_id_from_name(key),
            name=described[key].name.strip() if key in described else key,
            kind=kind,
            description=described[key].description.strip() if key in described else key,
        )
        for key, kind in kinds.items()
    ]


def _shots_that_can_continue(scenes: list[Scene], findings: _Findings) -> list[Scene]:
    """A 'continue' needs the scene before it in the same place with the same cast; otherwise it is a cut (noted)."""
    probe = VideoScript.model_construct(scenes=scenes)
    kept = []
    for index, scene in enumerate(scenes):
        if scene.continues and not can_continue(probe, index):
            findings.notes.append(f"scene {index + 1} was marked 'continue' but does not carry on the scene before it: it is a cut")
            scene = scene.model_copy(update={"shot": ShotKind.CUT})
        kept.append(scene)
    return kept


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
                shot=scene.shot,
            )
            for scene in script.scenes
        ],
    )
