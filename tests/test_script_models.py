import pytest
from pydantic import ValidationError

from videodrafter.script import (
    CameraDirection,
    CameraMove,
    Entity,
    EntityKind,
    Scene,
    VideoScript,
    entity_id_from_name,
    normalize_entity_name,
)


def _script(scenes: list[Scene]) -> VideoScript:
    return VideoScript(
        prompt="a dog at the beach",
        entities=[
            Entity(id="dog", name="dog", kind=EntityKind.FOREGROUND),
            Entity(id="ball", name="ball", kind=EntityKind.FOREGROUND),
            Entity(id="beach", name="beach", kind=EntityKind.BACKGROUND),
        ],
        scenes=scenes,
    )


def test_names_normalize_to_the_same_id() -> None:
    assert normalize_entity_name("  The   Golden Retriever ") == "golden retriever"
    assert entity_id_from_name("The Golden Retriever") == "golden-retriever"
    assert entity_id_from_name("Grandma's  oven!") == "grandma-s-oven"


def test_common_entities_are_those_in_two_or_more_scenes() -> None:
    script = _script(
        [
            Scene(event="dog runs", action="runs", foreground=["dog"], background="beach"),
            Scene(event="dog catches ball", action="jumps", foreground=["dog", "ball"], background="beach"),
        ]
    )
    assert [entity.id for entity in script.common_entities] == ["dog", "beach"]
    assert script.scenes_with("ball") == [1]


@pytest.mark.parametrize(
    ("scene", "message"),
    [
        (Scene(event="e", action="a", foreground=["cat"], background="beach"), "'cat', which is not defined"),
        (Scene(event="e", action="a", foreground=["dog"], background="sea"), "background 'sea', which is not defined"),
        (Scene(event="e", action="a", foreground=["beach"], background="beach"), "uses background 'beach' as a foreground"),
        (Scene(event="e", action="a", foreground=["dog"], background="dog"), "uses foreground entity 'dog' as its background"),
        (Scene(event="e", action="a", foreground=["dog", "dog"], background="beach"), "same foreground entity twice"),
    ],
)
def test_broken_references_are_rejected_with_the_reason(scene: Scene, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _script([scene])


def test_a_script_needs_a_scene_and_valid_camera() -> None:
    with pytest.raises(ValidationError):
        _script([])
    with pytest.raises(ValidationError):
        CameraMove(direction="sideways")  # type: ignore[arg-type]
    assert CameraMove(direction=CameraDirection.ZOOM_IN, speed="fast").label() == "zoom in, fast"  # type: ignore[arg-type]
