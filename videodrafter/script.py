"""The video script: scenes, entities and camera moves, with referential integrity checks."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, model_validator

_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def without_control_characters(text: object) -> object:
    """Text with terminal escape codes removed, every other control character (NUL, a line break that
    would end a subtitle cue) made a space and runs of spaces made one: what reaches subtitles,
    captions and logs is one plain line."""
    if not isinstance(text, str):
        return text
    return " ".join(_CONTROL_CHARACTERS.sub(" ", _TERMINAL_CODES.sub("", text)).split())


PlainText = Annotated[str, BeforeValidator(without_control_characters)]
"""A text field of the script: no control characters, whatever the JSON or the LLM sent."""

MAX_ENTITIES = 50
MAX_SCENES = 50
"""Limits on any script (a file, the web, the API): a larger one is refused before it is stored."""

FilePath = Annotated[Path, PlainSerializer(str, return_type=str)]
"""A path that dumps as a string in every mode: checkpoints and LangGraph Server's JSON show
``"/runs/x/video.mp4"``, not a list of path parts."""


class CameraDirection(StrEnum):
    """Where the camera moves during a scene (the paper's seven moves)."""

    STATIC = "static"
    LEFT = "left"
    RIGHT = "right"
    UP = "up"
    DOWN = "down"
    ZOOM_IN = "zoom in"
    ZOOM_OUT = "zoom out"


class CameraSpeed(StrEnum):
    """How fast the camera moves."""

    SLOW = "slow"
    MEDIUM = "medium"
    FAST = "fast"


class CameraMove(BaseModel):
    """A camera move: direction x speed."""

    direction: CameraDirection = CameraDirection.STATIC
    speed: CameraSpeed = CameraSpeed.SLOW

    def label(self) -> str:
        if self.direction is CameraDirection.STATIC:
            return "static"
        return f"{self.direction.value}, {self.speed.value}"


class ShotKind(StrEnum):
    """How a scene joins the one before it."""

    CUT = "cut"
    CONTINUE = "continue"
    """The shot carries on the previous one (same place and cast, no time jump): its clip starts from
    the previous clip's last frame."""


class EntityKind(StrEnum):
    """Foreground entities are cut out of their reference; backgrounds keep only the scenery."""

    FOREGROUND = "foreground"
    BACKGROUND = "background"


_ARTICLES = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def normalize_entity_name(name: str) -> str:
    """Collapse whitespace and case so 'The  Golden Retriever' and 'golden retriever' match."""
    collapsed = " ".join(name.strip().split()).lower()
    return _ARTICLES.sub("", collapsed)


def entity_id_from_name(name: str) -> str:
    """A stable id for an entity name: 'The Golden Retriever' -> 'golden-retriever'."""
    slug = _NON_SLUG.sub("-", normalize_entity_name(name)).strip("-")
    return slug or "entity"


class Entity(BaseModel):
    """Something that appears in scenes: a character or object (foreground) or a place (background)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Stable id used by scenes.")
    name: PlainText = Field(min_length=1, max_length=120, description="The name used in every scene.")
    kind: EntityKind
    description: PlainText = Field(default="", max_length=2000, description="Enriched visual description.")
    reference_image: FilePath | None = Field(
        default=None, description="A user-supplied photo used instead of a generated reference."
    )


MAX_SCENE_S = 30.0
"""The longest a scene may last (its narration included)."""
NARRATION_MAX_CHARS = 300
"""The longest narration line a scene may have."""


class Scene(BaseModel):
    """One shot: one event, one action, its entities and a camera move."""

    event: PlainText = Field(min_length=1, max_length=600, description="What the scene shows.")
    action: PlainText = Field(min_length=1, max_length=300, description="The single action in the clip.")
    foreground: list[str] = Field(default_factory=list, description="Ids of foreground entities.")
    background: str = Field(description="Id of the background entity.")
    camera: CameraMove = Field(default_factory=CameraMove)
    duration_s: float = Field(default=3.0, gt=0, le=MAX_SCENE_S)
    narration: PlainText = Field(
        default="", max_length=NARRATION_MAX_CHARS,
        description="What a narrator says over the shot (one or two sentences). Empty: the event is read.",
    )
    shot: ShotKind = Field(
        default=ShotKind.CUT,
        description="'cut' (a new shot) or 'continue' (carries on the previous scene: same place and cast, no time jump).",
    )
    seed: int | None = Field(
        default=None, ge=0, lt=2**31 - 1,
        description="This scene's own seed for its picture and clip (`redo` draws a new one); empty: from the run's seed and the scene's content.",
    )

    @property
    def continues(self) -> bool:
        return self.shot is ShotKind.CONTINUE

    @property
    def spoken_line(self) -> str:
        """The scene's one sentence for the viewer: what the narrator reads, the subtitle shows and the
        contact sheet prints (its narration, or its event for a script written without one)."""
        return " ".join((self.narration or self.event).split())


class VideoScript(BaseModel):
    """A multi-scene script whose scenes only name entities that exist."""

    prompt: PlainText = Field(description="The user's original prompt.")
    title: PlainText = Field(default="", max_length=200)
    music: Literal["none", "auto"] | None = Field(
        default=None,
        description="This video's music bed: 'none', or 'auto' (synthesised offline from the story's mood); empty: the "
        "run's --music setting. A music file is a setting of the run, never part of a script.",
    )
    entities: list[Entity] = Field(max_length=MAX_ENTITIES)
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)

    @model_validator(mode="after")
    def _check_references(self) -> VideoScript:
        problems = script_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def entity(self, entity_id: str) -> Entity:
        for entity in self.entities:
            if entity.id == entity_id:
                return entity
        raise KeyError(entity_id)

    def scenes_with(self, entity_id: str) -> list[int]:
        """Indexes of the scenes an entity appears in."""
        return [
            index
            for index, scene in enumerate(self.scenes)
            if entity_id in scene.foreground or scene.background == entity_id
        ]

    @property
    def common_entities(self) -> list[Entity]:
        """Entities that appear in two or more scenes: they get a shared reference image."""
        return [entity for entity in self.entities if len(self.scenes_with(entity.id)) >= 2]


def script_problems(script: VideoScript) -> list[str]:
    """Every broken reference in a script, worded so an LLM or a user can fix it."""
    problems: list[str] = []
    kinds: dict[str, EntityKind] = {}
    for entity in script.entities:
        if entity.id in kinds:
            problems.append(f"entity id '{entity.id}' is defined twice")
        kinds[entity.id] = entity.kind
    for number, scene in enumerate(script.scenes, start=1):
        for entity_id in scene.foreground:
            kind = kinds.get(entity_id)
            if kind is None:
                problems.append(f"scene {number} names foreground entity '{entity_id}', which is not defined")
            elif kind is not EntityKind.FOREGROUND:
                problems.append(f"scene {number} uses background '{entity_id}' as a foreground entity")
        if len(set(scene.foreground)) != len(scene.foreground):
            problems.append(f"scene {number} lists the same foreground entity twice")
        kind = kinds.get(scene.background)
        if kind is None:
            problems.append(f"scene {number} names background '{scene.background}', which is not defined")
        elif kind is not EntityKind.BACKGROUND:
            problems.append(f"scene {number} uses foreground entity '{scene.background}' as its background")
    problems += continuity_problems(script)
    return problems


def can_continue(script: VideoScript, index: int) -> bool:
    """Scene ``index`` may continue the previous one: there is one, in the same place with the same cast."""
    if index == 0:
        return False
    scene, previous = script.scenes[index], script.scenes[index - 1]
    return scene.background == previous.background and set(scene.foreground) == set(previous.foreground)


def continuity_problems(script: VideoScript) -> list[str]:
    """A continued shot carries on the one before it: there must be one, in the same place with the same cast."""
    problems: list[str] = []
    for number, scene in enumerate(script.scenes, start=1):
        if not scene.continues:
            continue
        if number == 1:
            problems.append("scene 1 is marked 'continue' but there is no scene before it; make it a 'cut'")
        elif not can_continue(script, number - 1):
            problems.append(
                f"scene {number} continues scene {number - 1} but its place or cast differs; "
                "a continued shot keeps the same place and characters (make it a 'cut')"
            )
    return problems
