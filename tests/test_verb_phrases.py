"""Verbs by lexicon: a sentence goes on from its subject with a verb, a verb agrees with its subject,
and the prompt's own verb is what its first character does in the story's middle."""

from videodrafter.planning.verb_phrases import agree, can_be_verb, is_plural, prompt_verb, starts_with_a_verb
from videodrafter.script import Entity


def _cast(*names: str) -> list[Entity]:
    return [Entity(id=name.lower().replace(" ", "-"), name=name, kind="foreground") for name in names]


def test_a_predicate_opens_with_a_verb_perhaps_after_an_adverb() -> None:
    assert starts_with_a_verb("hunts in the snow") and starts_with_a_verb("slowly digs a hole") and starts_with_a_verb("is running")
    assert not starts_with_a_verb("that night at the snowy forest") and not starts_with_a_verb("the two of them decide")
    assert not starts_with_a_verb("") and not can_be_verb("night") and can_be_verb("stirs")


def test_verbs_agree_with_a_plural_or_a_singular_subject() -> None:
    assert agree("stops short", plural=True) == "stop short" and agree("rest", plural=False) == "rests"
    assert agree("is running", plural=True) == "are running" and agree("the end", plural=True) == "the end"
    assert is_plural("ducklings") and is_plural("two robots") and not is_plural("dog") and not is_plural("grass")


def test_the_prompts_verb_belongs_to_its_first_character() -> None:
    assert prompt_verb("a red fox hunts in a snowy forest through one winter day", _cast("red fox")) == ("fox", "hunts")
    assert prompt_verb("a small robot learns to paint in an abandoned city", _cast("small robot")) == ("robot", "learns to paint")
    assert prompt_verb("a young knight and a dragon become friends", _cast("young knight", "dragon")) == ("knight", "becomes friends")
    assert prompt_verb("a grandmother and her grandson plant a tree", _cast("grandmother", "grandson")) == ("grandmother", "plants")
    assert prompt_verb("a dog's day at the beach", _cast("dog")) is None
    assert prompt_verb("Luna the owl teaches Max the mouse to read", _cast("Luna", "Max")) == ("luna", "teaches Max"), "past the apposition, to whom it acts on"
    assert prompt_verb("three ducklings follow their mother across a pond", _cast("first duckling", "mother")) == ("duckling", "follows the mother")
