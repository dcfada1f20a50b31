"""Old runs still resume after the house changed: types that moved, artifacts made before records existed."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.graph.checkpoints import CHECKPOINT_TYPES, MOVED_TYPES
from videodrafter.graph.runner import edit_run, start_run
from videodrafter.graph.state import ReviewState
from videodrafter.planning.script_critique import Critique
from videodrafter.run_inputs import load_script_file


def test_a_type_at_its_old_place_comes_back_as_the_new_type_without_a_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    old_place = ("videodrafter.planning.critique", "Critique")
    assert old_place in MOVED_TYPES
    monkeypatch.setattr(Critique, "__module__", old_place[0])  # as an older version wrote it
    saved = JsonPlusSerializer().dumps_typed(Critique(is_satisfactory=False, improvement_instructions="more beach"))
    monkeypatch.undo()
    with caplog.at_level(logging.WARNING):
        value = JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES + MOVED_TYPES).loads_typed(saved)
        unlisted = JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES).loads_typed(saved)
    state = ReviewState(prompt="a dog", critique=value)
    assert isinstance(state.critique, Critique) and state.critique.improvement_instructions == "more beach"
    assert unlisted == value
    assert sum("Blocked deserialization" in record.getMessage() for record in caplog.records) == 1, "only the unlisted place warns"


def test_a_run_made_before_artifact_records_existed_keeps_its_pictures_and_clips(settings: Settings, tmp_path: Path) -> None:
    script = load_script_file(write_script(tmp_path / "s.json", "old", ["left", "right", "up"], duration_s=0.5))
    first = start_run("", settings, script=script, run_id="old")
    records = [path for folder in ("entities", "scenes", "clips") for path in (first.run_dir / folder).glob("*.json")]
    assert {path.parent.name for path in records} == {"entities", "scenes", "clips"}
    for path in records:  # what an older version left: the pictures and clips, no records
        path.unlink()
    made = {path: os.stat(path).st_mtime_ns for folder in ("entities", "scenes", "clips") for path in (first.run_dir / folder).glob("*.*") if ".last." not in path.name}
    edited = script.model_copy(deep=True)
    edited.scenes[0].event = "old scene 1, now at dusk"
    outcome = edit_run("old", settings.runs_dir, edited)
    now = {
        path: os.stat(path).st_mtime_ns for folder in ("entities", "scenes", "clips") for path in (outcome.run_dir / folder).glob("*.*")
        if path.suffix != ".json" and ".last." not in path.name  # a clip's last frame goes with its clip
    }
    assert {path: stamp for path, stamp in now.items() if path in made} == made, "a finished picture or clip was made again"
    assert sorted(path.name.split("-")[0] for path in set(now) - set(made)) == ["clip", "scene"], "only the edited scene is new"
    assert all(path.with_suffix(".json").is_file() for path in set(now) - set(made)), "what is made now is recorded"


def _types_in(annotation, found: set[type], *, top: bool) -> None:
    """Enums anywhere (pydantic's model_dump keeps them as enum objects, which LangGraph encodes by type)
    and models held directly in a state field (nested models are dumped to plain dicts)."""
    import enum
    import typing

    from pydantic import BaseModel

    for argument in typing.get_args(annotation):
        _types_in(argument, found, top=top)
    if not (isinstance(annotation, type) and annotation.__module__.startswith("videodrafter")):
        return
    if issubclass(annotation, enum.Enum):
        found.add(annotation)
    elif issubclass(annotation, BaseModel):
        if top:
            found.add(annotation)
        for field in annotation.model_fields.values():
            _types_in(field.annotation, found, top=False)


def test_every_type_the_states_hold_may_come_back_out_of_a_checkpoint() -> None:
    """A type missing from CHECKPOINT_TYPES comes back as a dict with a 'Blocked deserialization' warning."""
    from videodrafter.graph.state import EnrichTask, InputState, ReviewInput, ReviewState, State

    found: set[type] = {InputState, ReviewInput, EnrichTask}  # the first checkpoints hold the inputs, Send holds tasks
    for state in (State, ReviewState):
        for field in state.model_fields.values():
            _types_in(field.annotation, found, top=True)
    allowed = set(CHECKPOINT_TYPES)
    missing = sorted(f"{kind.__module__}.{kind.__name__}" for kind in found if (kind.__module__, kind.__name__) not in allowed)
    assert not missing, f"add to CHECKPOINT_TYPES: {missing}"
    assert ("videodrafter.script", "ShotKind") in allowed and len(found) > 15
