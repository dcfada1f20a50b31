"""Enrichment for the embedded models: one grammar-constrained call fills visual slots, and the
description is a sentence built from them by rule (no free prose reaches the engine)."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.models import ScriptedChatModel
from videodrafter.config import Settings
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.enrich import enrich_entity, fills_slots
from videodrafter.planning.visual_slots import COLOURS, MATERIALS, WEARING, slot_kind
from videodrafter.script import Entity, EntityKind

SLOTS = Settings(enrichment="slots")


def _entity(name: str, kind: EntityKind = EntityKind.FOREGROUND, description: str = "") -> Entity:
    return Entity(id=name.replace(" ", "-"), name=name, kind=kind, description=description or name)


def _enrich(entity: Entity, prompt: str, answer: dict) -> tuple[str, ScriptedChatModel, TokenUsage]:
    model = ScriptedChatModel(replies=[json.dumps(answer)])
    usage = TokenUsage()
    return enrich_entity(entity, prompt, model, SLOTS, usage=usage).description, model, usage


def test_a_character_an_object_and_a_place_get_their_own_slots_in_one_call_each() -> None:
    dog, model, usage = _enrich(_entity("dog"), "a dog's day at the beach",
                                {"colour": "brown", "size": "small", "age": "young", "wearing": "a collar", "feature": "floppy ears"})
    assert dog == "A small young dog, mostly brown, wearing a collar with floppy ears."
    assert usage.calls == 1
    schema = model.seen[0][1]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["colour"]["enum"] == list(COLOURS) and schema["properties"]["wearing"]["enum"] == list(WEARING)
    assert "material" not in schema["properties"], "a character is not made of anything"

    kite, model, _ = _enrich(_entity("kite"), "a kite festival", {"colour": "red", "size": "small", "material": "paper", "feature": "a long tail"})
    assert kite == "A small red paper kite with a long tail."
    assert model.seen[0][1]["response_format"]["json_schema"]["schema"]["properties"]["material"]["enum"] == list(MATERIALS)

    beach, _, _ = _enrich(_entity("beach", EntityKind.BACKGROUND, "a sandy beach"), "a dog's day at the beach",
                          {"colour": "golden", "light": "bright sunlight", "feature": "tall palm trees"})
    assert beach.startswith("The beach in bright sunlight, mostly golden with tall palm trees.")
    assert "sandy" in beach, "the planner's traits are kept"


def test_what_the_name_says_is_not_said_twice_and_a_feature_must_name_a_thing() -> None:
    boat, _, _ = _enrich(_entity("paper boat"), "a paper boat sails down a river", {"colour": "white", "size": "small", "material": "wooden", "feature": "nothing"})
    assert boat == "A small white paper boat.", "a paper boat is paper; 'nothing' is no feature"
    cat, _, _ = _enrich(_entity("ginger cat"), "a ginger cat naps", {"colour": "blue", "size": "large", "age": "old", "wearing": "nothing", "feature": "my keddle"})
    assert cat == "A large old ginger cat."
    beach, _, _ = _enrich(_entity("beach", EntityKind.BACKGROUND), "a dog's day at the beach", {"colour": "blue", "light": "moonlight", "feature": "beach day"})
    assert beach == "The beach in moonlight, mostly blue.", "a feature of the prompt's own words says nothing new"


def test_an_answer_outside_the_lists_keeps_the_planners_description() -> None:
    kept, _, _ = _enrich(_entity("robot", description="a silver robot"), "a robot on the moon", {"colour": "plaid", "size": "small"})
    assert kept == "a silver robot"


@pytest.mark.parametrize(("name", "kind"), [("grandmother", "character"), ("fox", "character"), ("bicycle", "object"), ("bread", "object")])
def test_the_slots_follow_what_the_name_means(name: str, kind: str) -> None:
    assert slot_kind(_entity(name)) == kind


def test_auto_fills_slots_for_the_embedded_model_only() -> None:
    from videodrafter.llm.local_chat import LlamaCppChatModel

    assert not fills_slots(ScriptedChatModel(replies=[]), Settings())
    assert fills_slots(LlamaCppChatModel.model_construct(), Settings())
    assert not fills_slots(LlamaCppChatModel.model_construct(), Settings(enrichment="dialogue"))


def test_the_animatic_tints_a_figure_by_the_colour_slot() -> None:
    from videodrafter.animatic.pictograms import EntityPicture, tint_word

    dog, _, _ = _enrich(_entity("dog"), "a dog's day at the beach",
                        {"colour": "brown", "size": "small", "age": "young", "wearing": "a collar", "feature": "floppy ears"})
    assert tint_word(EntityPicture(id="dog", name="dog", kind="foreground", description=dog)) == "brown"
