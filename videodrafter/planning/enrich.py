"""Entity enrichment as in the paper: a short dialogue that ends in one photographic paragraph."""

from __future__ import annotations

import re

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel

from videodrafter.config import Settings
from videodrafter.llm.calls import invoke_chat
from videodrafter.llm.usage import TokenUsage
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
    """Run the enrichment dialogue (the last ``settings.enrich_rounds`` rounds) for one entity."""
    prompt_set = load_prompt_set(prompt_set_name or settings.prompt_set)
    original = entity.description or entity.name
    history: list[BaseMessage] = []
    reply_text = ""
    first_round = len(_ROUNDS) - settings.enrich_rounds
    for template, max_tokens in list(zip(_ROUNDS, _ROUND_MAX_TOKENS))[first_round:]:
        history.append(HumanMessage(content=prompt_set.render(template, name=entity.name, description=original, prompt=prompt)))
        reply = invoke_chat(model, history, usage, max_tokens=max_tokens)
        reply_text = str(reply.content)
        history.append(AIMessage(content=reply_text))
    paragraph = clean_paragraph(reply_text, entity.name)
    if len(paragraph.split()) < 4:
        return EnrichedEntity(entity_id=entity.id, description=original, kept_original=True)
    if not keeps_traits(original, paragraph):
        paragraph = f"{original.rstrip('.')}. {paragraph}"
    return EnrichedEntity(entity_id=entity.id, description=paragraph)


def keeps_traits(original: str, paragraph: str) -> bool:
    """Whether at least half the content words of the original description survive."""
    wanted = content_words(original)
    if not wanted:
        return True
    kept = wanted & content_words(paragraph)
    return len(kept) * 2 >= len(wanted)
