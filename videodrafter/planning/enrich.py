"""Entity enrichment as in the paper: a short dialogue that ends in one photographic paragraph."""

from __future__ import annotations

import re

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from videodrafter.config import Settings
from videodrafter.errors import PlanningError
from videodrafter.llm.calls import invoke_chat
from videodrafter.llm.local_chat import LlamaCppChatModel
from videodrafter.llm.structured import OutputProblem, extract_json_object, generate_structured, json_response_formats
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.grounding_checks import FIRST_PERSON, is_meta_text, unfamiliar_word
from videodrafter.planning.visual_slots import describe_with_slots
from videodrafter.prompts import load_prompt_set
from videodrafter.script import Entity, normalize_entity_name
from videodrafter.text import content_words

_ROUNDS = ("enrich_round1", "enrich_round2", "enrich_round3")
_ROUND_MAX_TOKENS = (120, 120, 160)
_MAX_WORDS = 80


class EnrichedEntity(BaseModel):
    """An entity's new description, and whether the LLM's answer had to be discarded."""

    entity_id: str
    description: str
    kept_original: bool = False


def clean_paragraph(text: str, name: str) -> str:
    """First paragraph of an answer, unquoted, at most _MAX_WORDS words, naming the entity."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    paragraph = " ".join((paragraphs[0] if paragraphs else "").split()).strip("\"' ")
    words = paragraph.split()
    if len(words) > _MAX_WORDS:
        paragraph = " ".join(words[:_MAX_WORDS]).rstrip(",;:") + "."
    if paragraph and normalize_entity_name(name) not in normalize_entity_name(paragraph):
        paragraph = f"{name}: {paragraph}"
    return paragraph


def enrich_entity(
    entity: Entity,
    prompt: str,
    model: BaseChatModel,
    settings: Settings,
    *,
    usage: TokenUsage,
    prompt_set_name: str | None = None,
) -> EnrichedEntity:
    """A new description for one entity: visual slots for the embedded models (``visual_slots``), else
    the paper's dialogue (the last ``settings.enrich_rounds`` rounds)."""
    prompt_set = load_prompt_set(prompt_set_name or settings.prompt_set)
    original = entity.description or entity.name
    if fills_slots(model, settings):
        sentence = describe_with_slots(entity, prompt, model, prompt_set, usage=usage)
        if not sentence:
            return EnrichedEntity(entity_id=entity.id, description=original, kept_original=True)
        if content_words(original) - content_words(sentence):  # the planner's looks are checked: keep every trait
            sentence = f"{sentence} {original[:1].upper()}{original[1:].rstrip('.')}."
        return EnrichedEntity(entity_id=entity.id, description=sentence)
    history: list[BaseMessage] = []
    reply_text = ""
    first_round = len(_ROUNDS) - settings.enrich_rounds
    rounds = list(zip(_ROUNDS, _ROUND_MAX_TOKENS))[first_round:]
    for number, (template, max_tokens) in enumerate(rounds, start=1):
        history.append(HumanMessage(content=prompt_set.render(template, name=entity.name, description=original, prompt=prompt)))
        if number == len(rounds):
            reply_text = _final_description(model, history, entity.name, usage, settings, max_tokens)
        else:
            reply_text = str(invoke_chat(model, history, usage, max_tokens=max_tokens).content)
        history.append(AIMessage(content=reply_text))
    paragraph = clean_paragraph(
        without_meta_text(reply_text, f"{entity.name} {prompt}", known_words_only=settings.llm_spec.is_embedded), entity.name
    )
    if len(paragraph.split()) < 4:
        return EnrichedEntity(entity_id=entity.id, description=original, kept_original=True)
    if not keeps_traits(original, paragraph, prompt):
        paragraph = f"{original.rstrip('.')}. {paragraph}"
    return EnrichedEntity(entity_id=entity.id, description=paragraph)


def fills_slots(model: BaseChatModel, settings: Settings) -> bool:
    """Whether enrichment fills visual slots (see ``Settings.enrichment``)."""
    if settings.enrichment == "auto":
        return isinstance(model, LlamaCppChatModel)
    return settings.enrichment == "slots"


class _Description(BaseModel):
    description: str


def _final_description(
    model: BaseChatModel, history: list[BaseMessage], name: str, usage: TokenUsage, settings: Settings, max_tokens: int
) -> str:
    """The last round's paragraph; the schema makes it start with the entity ('The red fox …')."""
    schema = {
        "type": "object",
        "properties": {"description": {"type": "string", "pattern": _description_pattern(name)}},
        "required": ["description"],
        "additionalProperties": False,
    }
    try:
        return generate_structured(
            model, history, _read_description,
            max_attempts=1, usage=usage, feedback=lambda problem: problem,
            response_formats=json_response_formats("Description", schema), stage="description",
        ).value
    except PlanningError:
        return ""  # the original description stays


def _read_description(text: str, _last_attempt: bool) -> str:
    """The JSON answer's description; a backend that ignored the schema answers in plain text."""
    try:
        return _Description.model_validate(extract_json_object(text)).description
    except (OutputProblem, ValidationError):
        return text


def _description_pattern(name: str) -> str:
    words = " ".join(re.findall(r"[A-Za-z0-9'-]+", name)) or "it"
    return f"^(The|A|An) {words} [A-Za-z0-9 ,;'.-]{{20,320}}$"  # words hold no regex syntax


_ABOUT_THE_STORY = re.compile(r"\b(popular|famous|favou?rite|loved?|stories|story|audiences?|viewers?|people around)\b", re.IGNORECASE)
"""'one of the most popular animal stories', 'many people around the world love this': not a look."""


def without_meta_text(text: str, subject: str = "", *, known_words_only: bool = False) -> str:
    """Only the sentences about the thing itself: not the photo, the photographer or the writer, not
    the story or its fame; with ``known_words_only`` (a small embedded model's text) none with a word
    no lexicon knows ('a fluffy keddle') either: a remote model's 'Victorian' or 'Dalmatian' is real."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    known = set(re.findall(r"[a-z']+", subject.lower()))
    return " ".join(
        sentence for sentence in sentences
        if sentence and not is_meta_text(sentence, subject) and not FIRST_PERSON.search(sentence)
        and not _ABOUT_THE_STORY.search(sentence) and not (known_words_only and unfamiliar_word(sentence, known))
    )


def keeps_traits(original: str, paragraph: str, prompt: str = "") -> bool:
    """Whether the paragraph keeps every trait the prompt gave ('storm', 'red') and half of the rest."""
    wanted = content_words(original)
    if not wanted:
        return True
    kept = wanted & content_words(paragraph)
    return (wanted & content_words(prompt)) <= kept and len(kept) * 2 >= len(wanted)
