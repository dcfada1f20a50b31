import pytest

from videodrafter.llm.structured import OutputProblem
from videodrafter.planning.draft import (
    ScriptDraft,
    draft_json_schema,
    draft_to_script,
    script_to_draft,
)
from videodrafter.prompts import available_prompt_sets, load_prompt_set


def _draft(scenes: list[dict], entities: list[dict] | None = None) -> ScriptDraft:
    return ScriptDraft.model_validate({"title": "t", "entities": entities or [], "scenes": scenes})


def _scene(fg: list[str], bg: str, event: str = "something happens") -> dict:
    return {"event": event, "action": "moves", "foreground": fg, "background": bg, "camera_direction": "left", "camera_speed": "slow"}


def test_names_become_ids_and_descriptions_are_matched_by_normalized_name() -> None:
    draft = _draft(
        [_scene(["The Dog"], "beach"), _scene(["dog", "ball"], "Beach")],
        [{"name": "dog", "description": "a brown dog"}, {"name": "beach", "description": "white sand"}],
    )
    converted = draft_to_script(draft, "p", 2, 2)
    script = converted.script
    assert [scene.foreground for scene in script.scenes] == [["dog"], ["dog", "ball"]]
    assert script.entity("dog").description == "a brown dog"
    assert script.entity("ball").description == "ball"
    # the note describes the final script: 'ball' is listed now, with its name as description
    assert any("'ball' (scene 2) had no entry in the entities list; it was added" in note for note in converted.notes)
    assert [entity.id for entity in script.common_entities] == ["dog", "beach"]


def test_strict_conversion_lists_every_problem() -> None:
    draft = _draft([_scene(["beach"], "beach")])
    with pytest.raises(OutputProblem) as caught:
        draft_to_script(draft, "p", 2, 3)
    text = str(caught.value)
    assert "has 1 scenes; write between 2 and 3" in text
    assert "'beach' is used both as a foreground entity and as a background" in text


def test_last_attempt_mends_what_it_can_and_says_so() -> None:
    draft = _draft([_scene(["beach", "dog"], "beach"), _scene(["dog"], "beach"), _scene(["dog"], "park")])
    converted = draft_to_script(draft, "p", 1, 2, repair=True)
    assert len(converted.script.scenes) == 2
    assert converted.script.scenes[0].foreground == ["dog"]
    assert "cut the script from 3 to 2 scenes" in converted.notes
    assert any("dropped the place 'beach'" in note for note in converted.notes)
    with pytest.raises(OutputProblem, match="has 3 scenes; write between 4 and 5"):
        draft_to_script(draft, "p", 4, 5, repair=True)  # too few scenes cannot be mended


def test_scene_count_is_pinned_in_the_schema() -> None:
    schema = draft_json_schema(4, 4)
    assert schema["properties"]["scenes"]["minItems"] == 4 == schema["properties"]["scenes"]["maxItems"]
    assert set(schema["$defs"]["SceneDraft"]["properties"]["camera_direction"]["$ref"].split("/")) >= {"CameraDirection"}


def test_few_shot_examples_are_valid_consistent_scripts() -> None:
    for name in available_prompt_sets():
        for example in load_prompt_set(name).examples:
            draft = ScriptDraft.model_validate(example.draft)
            count = example.scenes_requested
            converted = draft_to_script(draft, example.prompt, count, count)
            assert converted.notes == [], (example.prompt, converted.notes)
            assert converted.script.common_entities, example.prompt
            assert script_to_draft(converted.script) == draft


def test_the_planner_may_continue_a_shot_only_where_the_scene_carries_on_the_one_before() -> None:
    from videodrafter.planning.draft import ScriptDraft, draft_to_script, script_to_draft

    def scene(event: str, place: str, shot: str) -> dict:
        return {"event": event, "action": "runs", "foreground": ["dog"], "background": place, "camera_direction": "left", "camera_speed": "slow", "shot": shot}

    draft = ScriptDraft.model_validate({
        "title": "t", "entities": [{"name": "dog", "description": "a dog"}, {"name": "beach", "description": "sand"}, {"name": "park", "description": "grass"}],
        "scenes": [scene("The dog runs on the beach.", "beach", "continue"), scene("The dog keeps running on.", "beach", "continue"),
                   scene("The dog naps in the park.", "park", "continue")],
    })
    converted = draft_to_script(draft, "a dog", 3, 3)
    assert [s.shot.value for s in converted.script.scenes] == ["cut", "continue", "cut"]
    assert sum("marked 'continue'" in note for note in converted.notes) == 2
    assert [s.shot.value for s in script_to_draft(converted.script).scenes] == ["cut", "continue", "cut"], "shown back to the LLM as it is"
    plain = ScriptDraft.model_validate({**draft.model_dump(mode="json"), "scenes": [{k: v for k, v in s.items() if k != "shot"} for s in draft.model_dump(mode="json")["scenes"]]})
    assert all(s.shot.value == "cut" for s in draft_to_script(plain, "a dog", 3, 3).script.scenes), "a draft without shots is all cuts"
