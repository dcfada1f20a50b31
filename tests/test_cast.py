"""The cast comes from the prompt's own words: noun phrases, kinds, counts, names."""

import pytest

from videodrafter.config import Settings
from videodrafter.planning.cast import CastRole, extract_cast, nearest_place
from videodrafter.planning.noun_phrases import is_known_word, noun_phrases

CASES = {
    # the prompts, where the embedded models dropped, renamed or swapped the cast
    "a lighthouse keeper rescues a lost kite during a storm": {
        "lighthouse keeper": CastRole.CHARACTER, "kite": CastRole.OBJECT, "storm": CastRole.SETTING,
    },
    "two robots build a sandcastle and the tide comes in": {
        "first robot": CastRole.CHARACTER, "second robot": CastRole.CHARACTER, "sandcastle": CastRole.OBJECT,
    },
    "a fox and a crow race across a snowy forest": {
        "fox": CastRole.CHARACTER, "crow": CastRole.CHARACTER, "snowy forest": CastRole.PLACE,
    },
    "a dog's day at the beach": {"dog": CastRole.CHARACTER, "beach": CastRole.PLACE},
    "a robot who learns to paint in a city park": {"robot": CastRole.CHARACTER, "city park": CastRole.PLACE},
    # others, none of them in a suite
    "a grandmother teaches her grandson to bake bread": {
        "grandmother": CastRole.CHARACTER, "grandson": CastRole.CHARACTER, "bread": CastRole.OBJECT,
    },
    "a paper boat sails down a river": {"paper boat": CastRole.OBJECT, "river": CastRole.PLACE},
    "a girl flies kites on a windy hill": {"girl": CastRole.CHARACTER, "kites": CastRole.OBJECT, "windy hill": CastRole.PLACE},
    "a mermaid finds a treasure chest in a coral reef": {
        "mermaid": CastRole.CHARACTER, "treasure chest": CastRole.OBJECT, "coral reef": CastRole.PLACE,
    },
    "a detective follows footprints through a rainy city at night": {
        "detective": CastRole.CHARACTER, "footprints": CastRole.OBJECT, "rainy city": CastRole.PLACE,
    },
    "Luna the owl delivers letters to the village": {"Luna": CastRole.CHARACTER, "letters": CastRole.OBJECT, "village": CastRole.PLACE},
    "make me a video about a penguin who slides down an icy hill": {"penguin": CastRole.CHARACTER, "icy hill": CastRole.PLACE},
    # a compound written with an apostrophe and hyphens was cut into 'jack-o' and 'lantern'
    "a jack-o'-lantern rolls down a hill on halloween night": {"jack-o'-lantern": CastRole.OBJECT, "hill": CastRole.PLACE},
}


@pytest.mark.parametrize("prompt", list(CASES))
def test_the_cast_is_the_prompts_own_phrases_with_sensible_kinds(prompt: str) -> None:
    cast = extract_cast(prompt)
    found = {member.name: member.role for member in cast.members if member.role is not CastRole.SETTING}
    expected = CASES[prompt]
    assert found == {name: role for name, role in expected.items() if role is not CastRole.SETTING}
    settings = {name for name, role in expected.items() if role is CastRole.SETTING}
    assert settings <= set(cast.settings)


def test_weather_and_time_are_never_characters_and_colour_places() -> None:
    cast = extract_cast("a surfer rides a huge wave at sunset")
    assert cast.settings == ["sunset"]
    assert "sunset" not in {member.name for member in cast.foreground}
    # with no place named, the weather is the backdrop rather than nothing
    storm = extract_cast("a lighthouse keeper rescues a lost kite during a storm")
    assert [member.name for member in storm.backgrounds] == ["storm"]


def test_request_words_and_verbs_are_not_cast() -> None:
    phrases = [phrase.text for phrase in noun_phrases("Please make a short video about a cat who chases a red ball")]
    assert phrases == ["cat", "red ball"]
    names = [member.name for member in extract_cast("a young knight and a dragon become friends in the mountains").members]
    assert names == ["young knight", "dragon", "mountains"]  # 'friends' says what they become


def test_a_named_character_keeps_its_name_and_kind() -> None:
    members = extract_cast("a boy named Leo finds a dragon egg in the attic").members
    assert [(member.name, member.described_as) for member in members][0] == ("Leo", "boy")


def test_invented_words_are_not_known_words() -> None:
    assert is_known_word("lighthouse") and is_known_word("kites")
    assert not is_known_word("boid") and not is_known_word("petunie")


def test_a_prompt_without_a_place_gets_the_nearest_one() -> None:
    assert nearest_place("two robots build a sandcastle and the tide comes in") == "beach"


@pytest.mark.parametrize(
    ("prompt", "names"),
    [
        ("Happy that summer is here, a girl runs to the sea", ["girl", "sea"]),  # a relative pronoun before any noun
        ("a boy finds a ring on the beach", ["boy", "ring", "beach"]),  # 'ring' is a noun, not a verb form
        ("a painting in a museum comes alive", ["painting", "museum"]),
        ("a turtle crossing a busy road", ["turtle", "busy road"]),
    ],
)
def test_tricky_word_order(prompt: str, names: list[str]) -> None:
    assert [member.name for member in extract_cast(prompt).members] == names


def test_a_prompt_in_another_language_leaves_the_cast_to_the_llm() -> None:
    assert extract_cast("un renard et un corbeau dans la forêt enneigée").members == []
    assert extract_cast("两只猫在厨房里").members == []
    assert extract_cast("").members == []


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a kite festival", [("kite", CastRole.OBJECT)]),
        ("a dragon story", [("dragon", CastRole.CHARACTER)]),
        ("a pirate adventure on an island", [("pirate", CastRole.CHARACTER), ("island", CastRole.PLACE)]),
    ],
)
def test_an_occasion_or_a_kind_of_story_is_about_its_modifier(prompt: str, expected: list[tuple[str, CastRole]]) -> None:
    """'a kite festival' named no one before, and the embedded model invented the cast ('kfte fjgfe')."""
    assert [(member.name, member.role) for member in extract_cast(prompt).members] == expected


def test_a_prompt_that_names_nothing_to_draw_is_refused_for_the_embedded_model_only() -> None:
    from videodrafter.errors import InputError
    from videodrafter.planning.inputs import check_prompt_for_llm

    for prompt in ("a birthday party", "a long journey", "a magical adventure"):
        with pytest.raises(InputError, match="names no character or object") as caught:
            check_prompt_for_llm(prompt, Settings(llm="local:smollm2"))
        assert "--llm openai:gpt-4o" in caught.value.hint
    check_prompt_for_llm("a birthday party", Settings(llm="openai:gpt-4o"))  # a remote model invents a cast
    check_prompt_for_llm("a kite festival", Settings(llm="local:smollm2"))


def test_a_question_word_ends_a_name() -> None:
    """'Luna teaches Max how to read' read 'Max how' as a stranger's name, and a good scene was retold."""
    assert [phrase.text for phrase in noun_phrases("Soon, Luna teaches Max how to read at the barn.")] == ["luna", "max", "barn"]
