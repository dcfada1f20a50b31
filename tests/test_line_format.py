import pytest

from videodrafter.llm.structured import OutputProblem
from videodrafter.planning.draft import ScriptDraft
from videodrafter.planning.line_format import (
    parse_camera,
    parse_line_script,
    render_line_script,
)
from videodrafter.prompts import load_prompt_set

MESSY = """Sure! Here is your script.
**Title:** Beach Day
Entities:
- Golden Retriever: a fluffy golden dog
* sandy beach — white sand and blue waves
Scene 1: The golden retriever runs along the sandy beach.
Action - runs
Foreground entities: golden retriever and red ball
Background: Sandy Beach.
Camera move: pan left, slowly but quick... fast
scene 2
event: The dog sleeps.
FOREGROUND: none
background: sandy beach
camera: Static
"""


def test_messy_line_answers_are_read_leniently() -> None:
    data = parse_line_script(MESSY)
    draft = ScriptDraft.model_validate(data)
    assert draft.title == "Beach Day"
    assert [entity.name for entity in draft.entities] == ["Golden Retriever", "sandy beach"]
    first, second = draft.scenes
    assert first.event.startswith("The golden retriever runs")
    assert first.foreground == ["golden retriever", "red ball"]
    assert first.background == "Sandy Beach"
    assert (first.camera_direction.value, first.camera_speed.value) == ("left", "fast")
    assert second.foreground == [] and second.action == "The dog sleeps."
    assert (second.camera_direction.value, second.camera_speed.value) == ("static", "slow")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zoom in, slow", ("zoom in", "slow")),
        ("push in quickly", ("zoom in", "medium")),
        ("pull back, fast", ("zoom out", "fast")),
        ("tilt up, moderate", ("up", "medium")),
        ("gibberish", ("static", "slow")),
    ],
)
def test_camera_words(text: str, expected: tuple[str, str]) -> None:
    assert parse_camera(text) == expected


def test_an_answer_without_scenes_is_a_problem_to_feed_back() -> None:
    with pytest.raises(OutputProblem, match="No scene was found"):
        parse_line_script("I cannot help with that.")


def test_rendering_and_parsing_round_trip_for_every_example() -> None:
    for example in load_prompt_set("v2").examples:
        draft = ScriptDraft.model_validate(example.draft)
        assert ScriptDraft.model_validate(parse_line_script(render_line_script(draft))) == draft
