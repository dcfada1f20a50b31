"""The cast of a prompt: every character, object and place it names, in its own words.

The embedded models are too small to be trusted with the cast (they drop, rename and invent
characters), so the cast is read off the prompt deterministically: its noun phrases
(noun_phrases.py), each classified as a character, an object, a place, a setting (weather or time
of day) or an abstract word, by its nearest example words (MiniLM) and where it stands in the
sentence. Places become backgrounds; settings colour the places (or become the backdrop when the
prompt names no place); abstract words ("a story", "an adventure") are not drawn.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from functools import cache
from importlib import resources

import numpy as np
import yaml
from pydantic import BaseModel, Field

from videodrafter.errors import VideoDrafterError
from videodrafter.planning.noun_phrases import NounPhrase, english_share, is_noun_modifier, noun_phrases
from videodrafter.script import EntityKind, entity_id_from_name

logger = logging.getLogger(__name__)


class CastRole(StrEnum):
    CHARACTER = "character"
    OBJECT = "object"
    PLACE = "place"
    SETTING = "setting"
    ABSTRACT = "abstract"


SPATIAL = frozenset("in at on across through around into onto inside near under over along beside behind to toward towards underneath within".split())
TEMPORAL = frozenset("during before after until till".split())
ORDINALS = ("first", "second", "third", "fourth")
SYNTAX_BONUS = 0.08
"""How much where a phrase stands counts against word similarity (cosine units)."""


class CastMember(BaseModel):
    """One entity the prompt names."""

    name: str = Field(description="In the prompt's own words ('snowy forest', 'lighthouse keeper').")
    role: CastRole
    source: str = Field(description="The prompt's phrase it comes from.")
    described_as: str = Field(default="", description="What the prompt says it is ('Luna the owl' → 'owl').")

    @property
    def id(self) -> str:
        return entity_id_from_name(self.name)

    @property
    def kind(self) -> EntityKind:
        return EntityKind.BACKGROUND if self.role in (CastRole.PLACE, CastRole.SETTING) else EntityKind.FOREGROUND


class Cast(BaseModel):
    """What the prompt names, ready to become the script's entities."""

    members: list[CastMember] = Field(default_factory=list)
    settings: list[str] = Field(default_factory=list, description="Weather and time of day ('storm', 'night').")

    def with_role(self, *roles: CastRole) -> list[CastMember]:
        return [member for member in self.members if member.role in roles]

    @property
    def characters(self) -> list[CastMember]:
        return self.with_role(CastRole.CHARACTER)

    @property
    def foreground(self) -> list[CastMember]:
        return [member for member in self.members if member.kind is EntityKind.FOREGROUND]

    @property
    def backgrounds(self) -> list[CastMember]:
        return [member for member in self.members if member.kind is EntityKind.BACKGROUND]


@cache
def _examples() -> tuple[list[str], np.ndarray, np.ndarray]:
    """(roles, example words, their embeddings), embedded once per process."""
    from videodrafter.text_embedding import embed_texts

    data = yaml.safe_load((resources.files(__package__) / "cast_kinds.yaml").read_text())
    roles: list[str] = []
    words: list[str] = []
    for role, text in data.items():
        entries = [entry.strip() for entry in text.replace("each other", "each-other").split()]
        words += [entry.replace("-", " ") for entry in entries]
        roles += [role] * len(entries)
    return roles, np.array(words), embed_texts(words)


def _similarities(texts: list[str]) -> list[dict[CastRole, float]]:
    """Per text, the mean cosine similarity of its three nearest examples of each role.

    Without the sentence embedder (an install without torch) every role scores 0 and the
    sentence position alone decides.
    """
    from videodrafter.text_embedding import embed_texts

    try:
        roles, words, examples = _examples()
    except (ImportError, VideoDrafterError) as error:
        logger.warning("cast kinds from word order only: %s", error)
        return [dict.fromkeys(CastRole, 0.0) for _ in texts]
    role_array = np.array(roles)
    scores = []
    for vector, text in zip(embed_texts(texts), texts, strict=True):
        similarity = examples @ vector
        similarity[words == text] = 1.0  # an example word is its own kind
        scores.append({CastRole(role): float(np.sort(similarity[role_array == role])[-3:].mean()) for role in CastRole})
    return scores


def character_likeness(words: list[str]) -> list[float]:
    """How much each word reads as a character by meaning alone (its three nearest character examples;
    'cat' 0.82, 'girl' 0.73, 'seagull' 0.52 against 'now' 0.45, 'tail' 0.45, 'thing' 0.42)."""
    return [scores[CastRole.CHARACTER] for scores in _similarities(words)] if words else []


def _is_agent_noun(word: str) -> bool:
    """'keeper', 'surfer', 'sailor', 'florist': someone who does something."""
    from videodrafter.planning.noun_phrases import _lemmas

    for suffix, stems in (("er", ("", "e")), ("or", ("", "e")), ("ist", ("", "y")), ("man", ("",)), ("woman", ("",))):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            root = word[: -len(suffix)]
            candidates = [root + stem for stem in stems]
            if root[-1:] == root[-2:-1]:
                candidates.append(root[:-1])  # 'runner' -> 'run'
            if any("VERB" in _lemmas(candidate) or "NOUN" in _lemmas(candidate) for candidate in candidates):
                return True
    return False


def classify(phrases: list[NounPhrase]) -> list[CastRole]:
    """The role of each phrase: word similarity, nudged by syntax."""
    if not phrases:
        return []
    whole = _similarities([phrase.singular_text for phrase in phrases])
    heads = _similarities([phrase.head_lemma for phrase in phrases])
    roles = []
    for phrase, by_phrase, by_head in zip(phrases, whole, heads, strict=True):
        score = {role: (by_phrase[role] + 2 * by_head[role]) / 3 for role in CastRole}
        if phrase.proper:
            roles.append(CastRole.CHARACTER)
            continue
        if phrase.preposition in SPATIAL:
            score[CastRole.PLACE] += SYNTAX_BONUS
        if phrase.preposition in TEMPORAL:
            score[CastRole.SETTING] += SYNTAX_BONUS
        if phrase.subject or phrase.possessor or _is_agent_noun(phrase.head_lemma):
            score[CastRole.CHARACTER] += SYNTAX_BONUS
        if phrase.subject or phrase.possessor:
            score[CastRole.PLACE] -= SYNTAX_BONUS  # who acts is not where it happens
        roles.append(max(score, key=lambda role: score[role]))
    return roles


def _what_it_is_about(phrase: NounPhrase) -> tuple[NounPhrase, CastRole]:
    """An occasion or a kind of story named by a compound ('kite festival', 'dragon story', 'pirate
    adventure'): what can be drawn is its modifier, classified as a phrase of its own."""
    written = " ".join((phrase.written or phrase.text).split()[:-1])
    modifier = phrase.model_copy(update={"words": phrase.words[:-1], "head_lemma": phrase.words[-2], "plural": False, "written": written})
    return modifier, classify([modifier])[0]


ENGLISH_SHARE = 0.6
"""Below this share of known English words the prompt's cast is not read (the LLM plans it)."""


def extract_cast(prompt: str, *, max_members: int = 8) -> Cast:
    """The prompt's characters, objects and places, with weather and time of day set apart.

    Empty for a prompt in another language: its words are not in the lexicon.
    """
    if english_share(prompt) < ENGLISH_SHARE:
        logger.info("the prompt is not in English; its cast is left to the LLM")
        return Cast()
    phrases = noun_phrases(prompt)
    members: list[CastMember] = []
    settings: list[str] = []
    seen: set[str] = set()
    roles = classify(phrases)
    apposed: dict[int, str] = {}
    for index, phrase in enumerate(phrases[:-1]):
        following = phrases[index + 1]
        if phrase.proper and following.start == phrase.end + 1 and not following.proper:
            apposed[index] = following.text  # 'Luna the owl': one character called Luna
            roles[index + 1] = CastRole.ABSTRACT
        elif following.names_previous:
            apposed[index + 1] = phrase.text  # 'a boy named Leo'
            roles[index] = CastRole.ABSTRACT
    for index, (phrase, role) in enumerate(zip(phrases, roles, strict=True)):
        if role is CastRole.ABSTRACT and not phrase.predicate and is_noun_modifier(phrase):
            phrase, role = _what_it_is_about(phrase)  # 'a kite festival' is about kites
        key = phrase.singular_text
        if key in seen or role is CastRole.ABSTRACT or phrase.predicate:
            continue
        if index in apposed:
            seen.add(key)
            members.append(CastMember(name=phrase.written, role=CastRole.CHARACTER, source=phrase.written, described_as=apposed[index]))
            continue
        seen.add(key)
        if role is CastRole.SETTING:
            settings.append(phrase.text)
            continue
        count = phrase.count or 1
        if role in (CastRole.CHARACTER, CastRole.OBJECT) and 2 <= count <= len(ORDINALS):
            members += [CastMember(name=f"{ordinal} {key}", role=role, source=phrase.text) for ordinal in ORDINALS[:count]]
        else:
            members.append(CastMember(name=phrase.written or phrase.text, role=role, source=phrase.written or phrase.text))
    if not any(member.kind is EntityKind.BACKGROUND for member in members) and settings:
        # 'a keeper rescues a kite during a storm': with no place named, the storm is the backdrop.
        members.append(CastMember(name=settings[0], role=CastRole.SETTING, source=settings[0]))
    unique: dict[str, CastMember] = {}
    for member in members:
        unique.setdefault(member.id, member)
    kept = list(unique.values())
    backgrounds = [member for member in kept if member.kind is EntityKind.BACKGROUND][: max_members // 2]
    foreground = [member for member in kept if member.kind is EntityKind.FOREGROUND][: max_members - len(backgrounds)]
    return Cast(members=[member for member in kept if member in foreground or member in backgrounds], settings=settings)


def nearest_place(prompt: str) -> str:
    """The example place closest in meaning to the whole prompt ('robots build a sandcastle' → beach)."""
    from videodrafter.text_embedding import embed_texts

    try:
        roles, words, examples = _examples()
    except (ImportError, VideoDrafterError):
        return "open field"
    places = np.array(roles) == CastRole.PLACE.value
    similarity = examples[places] @ embed_texts([prompt])[0]
    return str(words[places][int(np.argmax(similarity))])
