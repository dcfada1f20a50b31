"""Verbs of the embedded models' sentences, by lexicon: whether a scene's sentence goes on from its
subject with a verb, the verb made to agree with its subject, and the prompt's own verb.

A 135M model under a grammar still wrote 'Soon, the red fox that night at the snowy forest.' and
'the friends plays at the market': a sentence without a verb and a verb that does not agree. The
parts of speech are lemminflect's (shipped with the package), as in ``noun_phrases``.
"""

from __future__ import annotations

import re

from videodrafter.planning.noun_phrases import _CLOSED_CLASS as _CLOSED
from videodrafter.planning.noun_phrases import AUXILIARIES, _lemmas
from videodrafter.script import Entity, EntityKind

_NOT_VERBS = frozenset("the a an his her its their this that these those some every each no".split())
_HELPERS = frozenset("is are was were be been being am has have had do does did will would can could should may might must shall".split())
"""Verbs that only help another ('is', 'can'): not what a character does."""


def called(name: str) -> str:
    """How a sentence names a cast member: 'the fox', but 'Luna'."""
    return name if name[:1].isupper() else f"the {name}"


def can_be_verb(word: str) -> bool:
    """Whether the lexicon lets ``word`` be a verb ('hunts', 'is'; not 'that' or 'night')."""
    lowered = word.lower().strip(",;'")
    if not lowered or lowered in _NOT_VERBS:
        return False
    lemmas = _lemmas(lowered)
    return "VERB" in lemmas or "AUX" in lemmas or lowered in AUXILIARIES


def starts_with_a_verb(phrase: str) -> bool:
    """Whether a subject's predicate opens with a verb, perhaps after one adverb ('slowly digs')."""
    words = phrase.split()
    if not words:
        return False
    if can_be_verb(words[0]):
        return True
    return len(words) > 1 and "ADV" in _lemmas(words[0].lower()) and can_be_verb(words[1])


def is_plural(name: str) -> bool:
    """Whether a cast member's name is a plural noun ('ducklings', 'two robots'; not 'grass')."""
    head = name.split()[-1].lower() if name.split() else ""
    nouns = _lemmas(head).get("NOUN", ())
    return bool(nouns) and head not in nouns and head.endswith("s")


def agree(verb_phrase: str, plural: bool) -> str:
    """The phrase with its first word in the present tense of a singular or plural subject
    ('stops short' → 'stop short' for 'the ducklings')."""
    from lemminflect import getInflection

    words = verb_phrase.split()
    if not words:
        return verb_phrase
    verbs = _lemmas(words[0].lower()).get("VERB") or _lemmas(words[0].lower()).get("AUX")
    if not verbs:
        return verb_phrase
    lemma = verbs[0]
    if lemma == "be":
        form = "are" if plural else "is"
    else:
        inflected = getInflection(lemma, "VBP" if plural else "VBZ")
        form = inflected[0] if inflected else words[0]
    return " ".join([form, *words[1:]])


def prompt_verb(prompt: str, entities: list[Entity]) -> tuple[str, str] | None:
    """(the head of the prompt's first character, the verb the prompt gives it in the singular):
    'a red fox hunts in …' → ('fox', 'hunts'); 'a robot learns to paint' → ('robot', 'learns to
    paint'); 'a knight and a dragon become friends' → ('knight', 'becomes friends'); 'Luna the owl
    teaches Max …' → ('luna', 'teaches Max'), a cast member it acts on named as the story names it.
    None when the prompt gives its first character no verb ('a dog's day at the beach')."""
    foreground = [entity for entity in entities if entity.kind is EntityKind.FOREGROUND]
    by_head = {entity.name.split()[-1].lower(): called(entity.name) for entity in foreground}
    heads = list(by_head)
    words = re.findall(r"[a-z'-]+", prompt.lower())
    for index, word in enumerate(words):
        head = next((h for h in heads if word in (h, f"{h}s") or h == word.removesuffix("s")), None)
        if head is None:
            continue
        following = words[index + 1 :]
        if following[:1] == ["and"]:  # 'a grandmother and her grandson plant …': the verb follows the company
            following = following[3:] if len(following) > 3 and following[1] in _NOT_VERBS else following[2:]
        elif following[:1] in (["the"], ["a"], ["an"]) and len(following) > 2 and can_be_verb(following[2]):
            following = following[2:]  # 'Luna the owl teaches …': past the apposition
        if not following or not can_be_verb(following[0]) or following[0] in _HELPERS:
            return None
        verb = [following[0]]
        if following[1:2] == ["to"] and len(following) > 2 and can_be_verb(following[2]):
            verb += following[1:3]  # 'learns to paint'
        else:  # its complement up to the next phrase: 'becomes friends', but 'hunts | in a forest'
            rest = following[1:3]
            if rest[:1] and rest[0] in _NOT_VERBS and rest[1:2] and rest[1] in by_head:
                rest = rest[1:]  # 'follow their mother' → 'follows the mother'
            for extra in rest:
                if extra in by_head:
                    verb.append(by_head[extra])
                    break
                if extra in _CLOSED or not _lemmas(extra):
                    break
                verb.append(extra)
        return head, agree(" ".join(verb), plural=False)
    return None
