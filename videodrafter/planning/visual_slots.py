"""Descriptions for the embedded models, built from visual slots instead of free prose.

A 135M model's enrichment dialogue wrote about the story ("one of the most popular animal stories"),
the viewer, or words that do not exist, and "dog" often stayed "dog"; the engine only used its colour
words. Here one short grammar-constrained call per entity fills the slots the engine draws (colour,
size, age, what it wears, what it is made of, the light of a place) from closed word lists, plus one
short distinguishing feature checked word by word; the description is a sentence built from them by
rule. Remote LLMs keep the paper's three-round dialogue (``enrich.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from videodrafter.errors import PlanningError
from videodrafter.llm.structured import OutputProblem, extract_json_object, generate_structured, json_response_formats
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.cast import CastRole, classify
from videodrafter.planning.grounding_checks import FIRST_PERSON, is_meta_text, unfamiliar_word
from videodrafter.planning.noun_phrases import names_a_thing, noun_phrases
from videodrafter.prompts import PromptSet
from videodrafter.script import Entity, EntityKind
from videodrafter.text import content_words

COLOURS = (
    "white", "black", "grey", "brown", "golden", "red", "orange", "yellow", "green", "blue", "purple", "pink",
    "silver", "beige", "ginger", "dark", "pale",
)
SIZES = ("tiny", "small", "medium-sized", "large", "huge")
AGES = ("young", "grown-up", "old")
WEARING = (
    "nothing", "a hat", "a scarf", "a coat", "a dress", "an apron", "a jacket", "a t-shirt", "a sweater", "a collar",
    "boots", "glasses", "a backpack", "a uniform", "a cape", "a helmet",
)
MATERIALS = ("wooden", "metal", "paper", "plastic", "glass", "cloth", "stone", "leather", "rubber", "clay", "woollen", "shiny")
LIGHTS = ("bright sunlight", "soft morning light", "golden evening light", "moonlight", "grey overcast light", "warm lamplight")
FEATURE = "^[a-z]+( [a-z]+){0,3}$"
"""One to four plain words ('floppy ears', 'a long tail'), each checked against the lexicon."""

SlotKind = Literal["character", "object", "place"]


class VisualSlots(BaseModel):
    """What the model chose; every slot but the feature is a word from a closed list."""

    colour: str = Field(description="Its main colour.")
    size: str | None = Field(default=None, description="How big it is (characters and objects).")
    age: str | None = Field(default=None, description="How old it looks (characters).")
    wearing: str | None = Field(default=None, description="What it wears (characters), or 'nothing'.")
    material: str | None = Field(default=None, description="What it is made of (objects).")
    light: str | None = Field(default=None, description="The light of the place (places).")
    feature: str = Field(default="", description="One short distinguishing feature, in plain words.")


def slot_kind(entity: Entity) -> SlotKind:
    """Which slots an entity gets: a place's, a character's or an object's (by what its name means)."""
    if entity.kind is EntityKind.BACKGROUND:
        return "place"
    phrases = noun_phrases(entity.name) or noun_phrases(f"the {entity.name}")
    if phrases and classify(phrases[-1:])[0] is CastRole.CHARACTER:
        return "character"
    return "object"


def slots_schema(kind: SlotKind) -> dict:
    """The JSON schema (a llama.cpp grammar for the embedded model) of one entity's slots."""
    properties: dict[str, dict] = {"colour": {"enum": list(COLOURS)}}
    if kind == "character":
        properties |= {"size": {"enum": list(SIZES)}, "age": {"enum": list(AGES)}, "wearing": {"enum": list(WEARING)}}
    elif kind == "object":
        properties |= {"size": {"enum": list(SIZES)}, "material": {"enum": list(MATERIALS)}}
    else:
        properties |= {"light": {"enum": list(LIGHTS)}}
    properties["feature"] = {"type": "string", "pattern": FEATURE, "maxLength": 32}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _article(phrase: str) -> str:
    return f"{'An' if phrase[:1].lower() in 'aeiou' else 'A'} {phrase}"


def describe(entity: Entity, kind: SlotKind, slots: VisualSlots) -> str:
    """The description sentence, built by rule from the slots ('A small red paper kite with a long tail.').
    A colour or material the name or the planner's description already gives is not contradicted."""
    name = entity.name
    named = set(re.findall(r"[a-z]+", f"{name} {entity.description}".lower()))  # what the planner said stays said
    colour = "" if named & set(COLOURS) else slots.colour  # 'ginger cat' is ginger already
    material = "" if named & set(MATERIALS) else slots.material  # so is a 'paper boat' paper
    feature = f" with {slots.feature}" if slots.feature else ""
    if kind == "place":
        tint = f", mostly {colour}" if colour else ""
        return f"The {name} in {slots.light}{tint}{feature}."
    if kind == "object":
        words = " ".join(word for word in (slots.size, colour, material) if word)
        return f"{_article(f'{words} {name}'.strip())}{feature}."
    looks = " ".join(word for word in (slots.size, slots.age) if word)
    tint = f", mostly {colour}" if colour else ""  # the whole figure's colour: the animatic tints by it
    worn = f", wearing {slots.wearing}" if slots.wearing and slots.wearing != "nothing" else ""
    return f"{_article(f'{looks} {name}')}{tint}{worn}{feature}."


def _checked_feature(feature: str, known: set[str]) -> str:
    """The feature as the model wrote it, or nothing when it is not a plain look ('my friend', 'a keddle')."""
    feature = " ".join(feature.split()).strip(" .").lower()
    if not re.fullmatch(FEATURE.strip("^$"), feature) or FIRST_PERSON.search(feature) or is_meta_text(feature):
        return ""
    if unfamiliar_word(feature, known) or not names_a_thing(feature):
        return ""  # 'a keddle', and 'nothing' or 'beautiful': no thing to draw
    if not content_words(feature) - known:
        return ""  # 'beach day' for the beach of 'a dog's day at the beach' says nothing new
    return feature


def _read_slots(kind: SlotKind) -> Callable[[str, bool], VisualSlots]:
    schema = slots_schema(kind)

    def parse(text: str, _last_attempt: bool) -> VisualSlots:
        answer = extract_json_object(text)
        for slot, rule in schema["properties"].items():
            if "enum" in rule and answer.get(slot) not in rule["enum"]:
                raise OutputProblem(f"'{slot}' must be one of: {', '.join(rule['enum'])}")
        return VisualSlots.model_validate(answer)

    return parse


def describe_with_slots(
    entity: Entity, prompt: str, model: BaseChatModel, prompt_set: PromptSet, *, usage: TokenUsage
) -> str | None:
    """One constrained call that fills the entity's slots, and the sentence built from them; None when
    the model gave no usable answer (the planner's description stays)."""
    kind = slot_kind(entity)
    messages = [
        SystemMessage(content=prompt_set.render("describe_slots_system")),
        HumanMessage(content=prompt_set.render("describe_slots_user", name=entity.name, description=entity.description, prompt=prompt, kind=kind)),
    ]
    try:
        slots = generate_structured(
            model, messages, _read_slots(kind), max_attempts=1, usage=usage, feedback=lambda problem: problem,
            response_formats=json_response_formats("Looks", slots_schema(kind)), stage="description",
        ).value
    except (PlanningError, ValidationError):
        return None
    known = set(re.findall(r"[a-z']+", f"{entity.name} {prompt}".lower()))
    return describe(entity, kind, slots.model_copy(update={"feature": _checked_feature(slots.feature, known)}))
