"""Between the script and the editable tables of the web UI (pure functions, tested without a browser)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from videodrafter.errors import InputError
from videodrafter.script import CameraDirection, CameraSpeed, ShotKind, VideoScript

SCENE_HEADERS = ["event", "action", "foreground", "background", "narration", "shot"]
"""The scene table's columns; each scene's camera move is chosen in dropdowns beside the table. An
edited narration is spoken again for that scene only (its audio is keyed by its text). ``shot``:
'cut', or 'continue' to start the scene's clip where the one before ends."""
ENTITY_HEADERS = ["id", "name", "kind", "description"]
ENTITY_READ_ONLY = [ENTITY_HEADERS.index("id"), ENTITY_HEADERS.index("kind")]
"""The id ties scenes to entities and the kind decides how an entity is drawn: neither is edited."""
CAMERA_DIRECTIONS = [direction.value for direction in CameraDirection]
CAMERA_SPEEDS = [speed.value for speed in CameraSpeed]


def scene_rows(script: VideoScript) -> list[list[str]]:
    return [
        [
            scene.event, scene.action, ", ".join(script.entity(e).name for e in scene.foreground), script.entity(scene.background).name,
            scene.narration, scene.shot.value,
        ]
        for scene in script.scenes
    ]


def scene_cameras(script: VideoScript) -> list[tuple[str, str]]:
    return [(scene.camera.direction.value, scene.camera.speed.value) for scene in script.scenes]


def entity_rows(script: VideoScript) -> list[list[str]]:
    return [[entity.id, entity.name, entity.kind.value, entity.description] for entity in script.entities]


def _rows(table) -> list[list[str]]:
    if table is None:
        return []
    if hasattr(table, "values") and hasattr(table, "columns"):  # a pandas DataFrame
        table = table.values.tolist()
    return [["" if cell is None else str(cell).strip() for cell in row] for row in table if any(str(cell).strip() for cell in row if cell is not None)]


def _scene_from_row(row: list[str], number: int, cameras: list[tuple[str, str]], lookup) -> dict:
    """One scene of the table as script JSON; a row without a camera of its own is static (a new row)."""
    cells = dict(zip(SCENE_HEADERS, row + [""] * len(SCENE_HEADERS), strict=False))
    event, action, foreground, background, narration, shot = (cells[name] for name in SCENE_HEADERS)
    camera, speed = cameras[number - 1] if number <= len(cameras) else ("static", "medium")
    if camera not in {direction.value for direction in CameraDirection}:
        raise InputError(f"Scene {number} has an unknown camera move '{camera}'.", f"Use one of: {', '.join(d.value for d in CameraDirection)}.")
    if speed not in {value.value for value in CameraSpeed}:
        raise InputError(f"Scene {number} has an unknown speed '{speed}'.", "Use slow, medium or fast.")
    shot = shot.lower() or ShotKind.CUT.value
    if shot not in {kind.value for kind in ShotKind}:
        raise InputError(f"Scene {number} has an unknown shot '{shot}'.", "Use 'cut' (a new shot) or 'continue' (carries on the scene before).")
    return {
        "event": event, "action": action or "moves",
        "foreground": [lookup(name, number) for name in foreground.split(",") if name.strip()],
        "background": lookup(background, number), "camera": {"direction": camera, "speed": speed},
        "narration": narration, "shot": shot,
    }


def script_from_tables(
    base: VideoScript, scenes_table, entities_table, photos: dict[str, str], cameras: list[tuple[str, str]] | None = None
) -> VideoScript:
    """The approved script: edited scenes and descriptions, camera moves, user photos attached; clear errors for bad cells.

    ``cameras``: (direction, speed) per scene row; a row without one keeps its scene's move (a new row: static).
    """
    entities = {entity.id: entity.model_copy() for entity in base.entities}
    for number, row in enumerate(_rows(entities_table), start=1):
        entity_id, name, _kind, description = (row + [""] * 4)[:4]
        if entity_id not in entities:
            raise InputError(f"Entity row {number} has an unknown id '{entity_id}'.", "Leave the id column as it was; edit names and descriptions.")
        if not name:
            raise InputError(f"Entity row {number} has no name.", "Give every entity a name.")
        entities[entity_id] = entities[entity_id].model_copy(update={"name": name, "description": description})
    by_name = {entity.name.lower(): entity_id for entity_id, entity in entities.items()}

    def lookup(name: str, number: int) -> str:
        key = name.strip().lower()
        if key in by_name:
            return by_name[key]
        if key in entities:
            return key
        raise InputError(
            f"Scene {number} names '{name}', which is not an entity.",
            f"Use one of: {', '.join(entity.name for entity in entities.values())}.",
        )

    rows = _rows(scenes_table)
    if not rows:
        raise InputError("The script has no scenes.", "Keep at least one scene row.")
    known = cameras if cameras is not None else scene_cameras(base)
    scenes = [_scene_from_row(row, number, known, lookup) for number, row in enumerate(rows, start=1)]
    for entity_id, path in photos.items():
        if entity_id in entities:
            entities[entity_id] = entities[entity_id].model_copy(update={"reference_image": Path(path)})
    try:
        return VideoScript.model_validate(
            {"prompt": base.prompt, "title": base.title, "entities": [e.model_dump() for e in entities.values()], "scenes": scenes}
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(f"The edited script is not valid: {first['msg']} ({'.'.join(map(str, first['loc']))}).", "Fix that cell and approve again.") from error
