from videodrafter.planning.checks import script_findings
from videodrafter.planning.grounding_checks import word_overlap
from videodrafter.script import CameraMove, Entity, EntityKind, Scene, VideoScript


def _script(events: list[str], names: list[str], cameras: list[CameraMove] | None = None) -> VideoScript:
    cameras = cameras or [CameraMove(direction="left"), CameraMove(direction="right"), CameraMove(direction="up")]  # type: ignore[arg-type]
    entities = [Entity(id=f"e{i}", name=name, kind=EntityKind.FOREGROUND) for i, name in enumerate(names)]
    entities.append(Entity(id="beach", name="beach", kind=EntityKind.BACKGROUND))
    scenes = [
        Scene(event=event, action="acts", foreground=[f"e{i % len(names)}"], background="beach", camera=cameras[i % len(cameras)])
        for i, event in enumerate(events)
    ]
    return VideoScript(prompt="p", entities=entities, scenes=scenes)


def test_a_good_script_has_no_findings() -> None:
    script = _script(["The dog runs into the sea.", "The dog digs a hole.", "The dog sleeps under an umbrella."], ["dog", "crab"])
    assert script_findings(script, 3, 6) == []


def test_repeats_split_names_dull_camera_and_count_are_found() -> None:
    static = [CameraMove()]
    script = _script(["The dog runs on the beach.", "The dog runs on the beach!", "A crab waves."], ["dog", "brown dog"], static)
    findings = script_findings(script, 4, 6)
    assert "the script has 3 scenes; it needs between 4 and 6" in findings
    assert "scene 2 tells the same event as scene 1; make it a new step of the story" in findings
    assert any("'dog' and 'brown dog' look like one entity" in finding for finding in findings)
    assert "3 of 3 scenes use the camera move 'static'; vary the moves" in findings


def test_word_overlap() -> None:
    assert word_overlap("The dog runs", "the DOG runs.") == 1.0
    assert word_overlap("dog runs", "cat sleeps") == 0.0
