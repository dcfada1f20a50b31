"""The planning loop with a scripted model: feedback, bounded retries, usage, formats."""

import json

import pytest

from tests.fixtures.models import ScriptedChatModel
from videodrafter.config import Settings
from videodrafter.errors import InputError, PlanningError
from videodrafter.planning.inputs import scene_bounds, validate_prompt
from videodrafter.graph.review import write_script
from videodrafter.planning.planner import plan_script


def _answer(scene_count: int, fg: str = "dog", bg: str = "beach") -> str:
    events = [
        "The dog wakes up on the beach.",
        "The dog digs a deep hole in the sand.",
        "A seagull steals the dog's ball and flies over the waves.",
        "The dog falls asleep under a striped umbrella.",
    ]
    scenes = [
        {
            "event": events[number],
            "action": "runs",
            "foreground": [fg],
            "background": bg,
            "camera_direction": "right",
            "camera_speed": "slow",
        }
        for number in range(scene_count)
    ]
    entities = [{"name": "dog", "description": "a brown dog"}, {"name": "beach", "description": "white sand"}]
    return json.dumps({"title": "Beach", "entities": entities, "scenes": scenes})


def test_rejected_answers_are_fed_back_until_one_validates() -> None:
    model = ScriptedChatModel(replies=["no json here", _answer(2), _answer(3)])
    result = plan_script("a dog", model, Settings(plan_max_attempts=3), min_scenes=3, max_scenes=3)
    assert result.attempts == 3
    assert "no JSON object" in result.problems[0]
    assert "has 2 scenes; write 3" in result.problems[1]
    assert len(result.script.scenes) == 3
    assert result.usage.calls == 3 and result.usage.input_tokens == 30 and result.usage.output_tokens == 15
    # the second request carries the first answer and the problem, not the whole history
    second_request = model.seen[1][0]
    assert second_request[-2].content == "no json here"
    assert "no JSON object" in second_request[-1].content
    third_request = model.seen[2][0]
    assert len(third_request) == len(second_request)


def test_the_request_carries_system_rules_few_shot_dialogue_and_a_schema() -> None:
    model = ScriptedChatModel(replies=[_answer(4)])
    plan_script("a dog", model, Settings(), min_scenes=4, max_scenes=4)
    messages, kwargs = model.seen[0]
    assert messages[0].type == "system" and "exactly 4" in messages[0].content
    assert [message.type for message in messages[1:7]] == ["human", "ai"] * 3
    assert messages[-1].content.startswith("Make a video script about: a dog")
    schema = kwargs["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["scenes"]["minItems"] == 4


def test_a_cut_off_answer_is_retried_and_attempts_are_bounded() -> None:
    model = ScriptedChatModel(replies=[_answer(3)[:50], "{}"], finish_reasons=["length", "stop"])
    with pytest.raises(PlanningError, match="no usable script in 2 attempts") as caught:
        plan_script("a dog", model, Settings(plan_max_attempts=2), min_scenes=3, max_scenes=3)
    assert caught.value.hint
    assert "cut off" in model.seen[1][0][-1].content


def test_the_line_format_prompt_set_sends_no_schema() -> None:
    reply = "Title: Beach\nScene 1\nEvent: The dog runs on the beach.\nAction: runs\nForeground: dog\nBackground: beach\nCamera: zoom in, fast"
    model = ScriptedChatModel(replies=[reply])
    result = plan_script("a dog", model, Settings(), min_scenes=1, max_scenes=1, prompt_set_name="v2")
    assert "response_format" not in model.seen[0][1]
    assert result.script.scenes[0].camera.label() == "zoom in, fast"
    assert "Foreground:" in model.seen[0][0][2].content  # few-shot answers are in line format


def test_write_script_enriches_common_entities_and_keeps_traits() -> None:
    model = ScriptedChatModel(
        replies=[
            _answer(2),
            "appearance, fur colour",
            "50mm lens, soft light",
            '{"description": "The dog is a playful brown dog with a wet coat. I shot it with a 50mm lens in soft light."}',
            "colours",
            "wide lens",
            '{"description": "The beach glows in golden hour light over the sea."}',
        ]
    )
    report = write_script("a dog at the beach", Settings(critique=False), scenes=2, model=model)
    dog = report.script.entity("dog")
    beach = report.script.entity("beach")
    # the sentence about the photographer's lens is not a description of the dog
    assert dog.description == "The dog is a playful brown dog with a wet coat."
    # the enriched beach text lost "white sand", so the original traits are kept in front
    assert beach.description == "white sand. The beach glows in golden hour light over the sea."
    assert report.usage.calls == 7


def test_prompt_and_scene_count_are_checked_before_any_call() -> None:
    settings = Settings()
    with pytest.raises(InputError, match="empty"):
        validate_prompt("   \n ", settings)
    with pytest.raises(InputError, match="50,000 characters"):
        validate_prompt("x" * 50_000, settings)
    assert validate_prompt("  a   dog \n", settings) == "a dog"
    with pytest.raises(InputError, match="0 scenes"):
        scene_bounds(0, settings)
    assert scene_bounds(None, settings) == (3, 6)


def test_enrichment_keeps_only_sentences_that_describe_the_thing() -> None:
    """The embedded model wrote 'this is one of the most popular animal stories' and 'a fluffy keddle'
    as descriptions; a remote model's real proper adjective ('Dalmatian') stays."""
    from videodrafter.planning.enrich import without_meta_text

    text = (
        "The dog is a small brown dog with floppy ears. This is one of the most popular animal stories. "
        "My dog loves the sea. It has a fluffy keddle on its back. It wears a Dalmatian collar."
    )
    assert without_meta_text(text, "dog a dog at the beach", known_words_only=True) == "The dog is a small brown dog with floppy ears."
    assert without_meta_text(text, "dog a dog at the beach") == (
        "The dog is a small brown dog with floppy ears. It has a fluffy keddle on its back. It wears a Dalmatian collar."
    )
