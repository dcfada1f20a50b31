import pytest
from jinja2 import UndefinedError

from videodrafter.errors import InputError
from videodrafter.prompts import available_prompt_sets, load_prompt_set

TEMPLATE_VARIABLES = {
    "plan_system": {"min_scenes": 3, "max_scenes": 5},
    "plan_user": {"prompt": "a dog", "min_scenes": 4, "max_scenes": 4, "cast": [{"name": "dog", "role": "character"}]},
    "cast_system": {},
    "cast_user": {"prompt": "a dog", "cast": [{"name": "dog", "role": "character", "described_as": ""}]},
    "scenes_system": {},
    "scenes_user": {"prompt": "a dog", "foreground": [("dog", "a brown dog")], "places": [("beach", "white sand")], "scenes": 4, "instructions": ""},
    "plan_feedback": {"problem": "- too few scenes"},
    "plan_revision": {"prompt": "a dog", "min_scenes": 3, "max_scenes": 5, "previous_script": "{}", "instructions": "more"},
    "enrich_round1": {"name": "dog", "description": "a dog", "prompt": "a dog"},
    "enrich_round2": {"name": "dog", "description": "a dog", "prompt": "a dog"},
    "enrich_round3": {"name": "dog", "description": "a brown dog", "prompt": "a dog"},
    "critique_system": {},
    "critique_user": {"prompt": "a dog", "findings": ["scene 2 repeats scene 1"], "script_text": "..."},
}


def test_there_are_versioned_sets_with_both_output_formats() -> None:
    sets = available_prompt_sets()
    assert {"v1", "v2"} <= set(sets)
    assert {load_prompt_set(name).manifest.output_format for name in sets} == {"json", "lines"}


@pytest.mark.parametrize("name", ["v1", "v2"])
def test_every_template_renders(name: str) -> None:
    prompt_set = load_prompt_set(name)
    for template, variables in TEMPLATE_VARIABLES.items():
        assert prompt_set.render(template, **variables).strip()
    assert "exactly 4 scenes" in prompt_set.render("plan_user", prompt="x", min_scenes=4, max_scenes=4, cast=[])
    assert "between 3 and 5 scenes" in prompt_set.render("plan_system", min_scenes=3, max_scenes=5)
    assert "brown dog" in prompt_set.render("enrich_round3", name="dog", description="a brown dog", prompt="p")


def test_missing_variables_fail_loudly_and_unknown_sets_are_named() -> None:
    with pytest.raises(UndefinedError):
        load_prompt_set("v1").render("plan_user", prompt="x")
    with pytest.raises(InputError, match="Available prompt sets: v1, v2"):
        load_prompt_set("v9")
