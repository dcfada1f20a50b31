"""Checks that tie a script to its prompt: the cast is there under its own names, kinds make sense,
names are real words, characters meet, events move on and the camera varies.

Every check is worded as a finding an LLM (or a user) can act on. The same checks run for every
backend: the embedded models' grammar makes most of them hold by construction, remote models get
them fed back.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import cache

import numpy as np

from videodrafter.errors import VideoDrafterError
from videodrafter.planning.cast import Cast, CastMember, CastRole, character_likeness, classify
from videodrafter.planning.noun_phrases import NounPhrase, is_known_word, noun_phrases
from videodrafter.script import Entity, EntityKind, VideoScript
from videodrafter.text import content_words

logger = logging.getLogger(__name__)

DUPLICATE_EVENT_OVERLAP = 0.8
"""Word overlap (Jaccard) from which two events count as one, where the embedder is missing."""
NEAR_DUPLICATE = 0.9
"""Cosine similarity of two events' MiniLM embeddings from which they count as one event told twice."""
CAMERA_WORDS = re.compile(r"\b(camera|zoom(?:s|ing|ed)?|pan(?:s|ning|ned)?|tracking|dolly|close-?up|static shot|aerial)\b", re.IGNORECASE)
_META = re.compile(
    r"\b(photo\w*|picture|image|camera|lens|shot|aperture|bokeh|f/\d|composition|depth of field|"
    r"I|I'm|I've|my|me|we|our|you|your|describe|description)\b",
    re.IGNORECASE,
)


def word_overlap(first: str, second: str) -> float:
    a, b = content_words(first), content_words(second)
    return len(a & b) / len(a | b) if a | b else 1.0


FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|me|my|mine|myself|we|we're|our|ours|us)\b")
"""The story is told by a narrator about its cast, never by 'I' or 'we'."""
NEVER_LAST = frozenset(
    "a an the my your her its our their every and or but nor whereas because if of into onto via amid "
    "among between during until till than upon toward towards".split()
)
"""Words no English sentence ends on, so a line ending on one was cut off ('…with a', '…and').
Not every preposition or determiner: 'worth getting up for', 'in no hurry at all' and 'runs
outside' end well."""


STRANDABLE = frozenset("at to with from for about in on".split())
"""Prepositions a sentence may end on only when their object came earlier ('what it looks at')."""
_PARTICLES = frozenset("up down out off over away back around along by in on".split())


_REDUCED_RELATIVE = re.compile(r"\b(?:the|a|an|this|that|his|her|its|their)\s+[a-z]+\s+(?:it|he|she|they|we|you)\b", re.IGNORECASE)
"""'the toy it was looking for': a noun, then the clause about it without 'that'."""


def _strands_well(words: list[str], line: str) -> bool:
    """Whether a sentence's last preposition has its object earlier: after a question or relative
    word ('the toy it was looking for', 'what it is afraid of'), an infinitive ('a friend to play
    with') or a particle ('worth getting up for'). Otherwise it was cut ('they are amazed at')."""
    lowered = [word.lower() for word in words]
    if lowered[-1] in ("in", "on"):
        return True  # adverbs as well: 'the dog jumps in', 'the show goes on'
    if len(lowered) > 1 and lowered[-2] in _PARTICLES:
        return True
    if "to" in lowered[-4:-1]:
        return True
    if _REDUCED_RELATIVE.search(line):
        return True
    return any(word in ("what", "which", "who", "whom", "that", "where", "thing", "things", "one", "ones") for word in lowered[:-1])


def stops_mid_clause(text: str, known: set[str] | frozenset[str] = frozenset()) -> bool:
    """A sentence that was cut off: no closing stop, a last word that is no word ('veryl'; the
    story's own words in ``known`` are words), or one no sentence ends on ('…with a', '…and')."""
    line = " ".join(text.split())
    if not line:
        return False
    words = re.findall(r"[A-Za-z][A-Za-z']*", line)
    if line[-1] not in ".!?\"'" or not words or re.search(r"(?:\s|[,;:\-–])[.!?]$", line):
        return True  # no closing stop, or one after a space, a comma or a hyphen: the words before it were dropped
    last = words[-1].lower()
    if last in STRANDABLE and not _strands_well(words, line):
        return True
    return last in NEVER_LAST or not (is_known_word(last) or words[-1][0].isupper() or last in known)


_WORDS_OF_ANY_STORY = frozenset(
    "every each all its it's not no yes too very more most much many own there here how what where why".split()
)


def unfamiliar_word(text: str, known: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The first word of ``text`` that names what the story does not have, as written: a capitalised
    word inside the sentence (a name, 'Max') or a word no lexicon knows ('keddle'). The story's own
    words (``known``) are always fine."""
    for position, word in enumerate(re.findall(r"[A-Za-z][A-Za-z']*", text)):
        lowered = word.lower().removesuffix("'s")
        if lowered in known or lowered in _WORDS_OF_ANY_STORY:
            continue
        if (position and word[0].isupper() and lowered != "i") or not is_known_word(lowered):
            return word
    return None


def story_words(entities: list[Entity], prompt: str) -> set[str]:
    """The words of the prompt and the cast's names: the story's own, whatever a lexicon says."""
    return set(re.findall(r"[a-z']+", " ".join([prompt, *(entity.name for entity in entities)]).lower()))


def user_asked_for_camera(prompt: str) -> bool:
    """Whether the prompt itself talks about the camera (then its moves are the user's choice)."""
    return bool(CAMERA_WORDS.search(prompt))


def is_meta_text(text: str, subject: str = "") -> bool:
    """Text about the photo, the photographer or the writer instead of the thing itself.

    Words of ``subject`` (the entity's name, the prompt) are the thing: 'a photographer with a
    camera' or 'a painting in a picture frame' describe themselves.
    """
    own = set(re.findall(r"[a-z']+", subject.lower()))
    return any(match.group(0).lower() not in own for match in _META.finditer(text))


def member_in_script(member: CastMember, script: VideoScript) -> str | None:
    """The id of the script's entity that stands for a cast member (same id, or its head word)."""
    for entity in script.entities:
        if entity.id == member.id:
            return entity.id
    head = member.name.split()[-1].lower()
    for entity in script.entities:
        if head in content_words(entity.name) or head.rstrip("s") in content_words(entity.name):
            return entity.id
    return None


def cast_coverage(script: VideoScript, cast: Cast) -> tuple[list[CastMember], list[CastMember]]:
    """(found, missing) prompt-named entities that the script's scenes use."""
    used = {entity_id for scene in script.scenes for entity_id in [*scene.foreground, scene.background]}
    found, missing = [], []
    for member in cast.members:
        entity_id = member_in_script(member, script)
        if entity_id not in used and member.role is CastRole.SETTING:
            # Weather or time of day shows in the places: 'the lighthouse, storm'.
            entity_id = next((e.id for e in script.entities if e.kind is EntityKind.BACKGROUND and member.name in e.description), None)
        (found if entity_id in used else missing).append(member)
    return found, missing


def invented_names(script: VideoScript, prompt: str) -> list[str]:
    """Entity names with a word that is neither the prompt's nor a known English word ('boid', 'k')."""
    prompt_words = set(re.findall(r"[a-z]+", prompt.lower()))
    bad = []
    for entity in script.entities:
        words = re.findall(r"[A-Za-z]+", entity.name)
        if any(word.lower() not in prompt_words and (len(word) < 2 or not is_known_word(word)) for word in words):
            bad.append(entity.name)
    return bad


SAME_CHARACTER = 0.7
"""MiniLM cosine from which a word names a cast member in other words ('puppy' for the dog: 0.80,
'pup' 0.81, 'kid' for the boy 0.73); below it is someone else ('cat' for the dog: 0.66, 'girl' for the boy 0.62)."""


REFERRING_WORDS = frozenset(
    "animal creature beast bird pet critter friend companion buddy pal partner pair duo team hero heroine".split()
)
"""Words a story uses for its own cast ('the bird' for the crow, 'the two friends'): never strangers."""
COMPANY_WORDS = frozenset("friend companion buddy pal partner pair duo team".split())
"""Referring words that need two of the cast: in a story of one dog, 'the friends' it runs behind are
someone else."""


CLEAR_CHARACTER = 0.5
"""Character likeness (see ``cast.character_likeness``) from which an acting word is someone."""
COMPANY = frozenset({"with", "at", "to"})
"""Prepositions after which a character takes part ('plays with a girl', 'waves at a seagull')."""


def _acts(phrase: NounPhrase) -> bool:
    """Whether a character phrase takes part in the event: it acts, is named, owns, or keeps company.
    What is acted on is not someone the story tells of ('the bear catches a fish')."""
    return phrase.subject or phrase.proper or phrase.possessor or phrase.preposition in COMPANY


@cache
def _prompt_heads(prompt: str) -> frozenset[str]:
    """The prompt's noun heads in the singular (parsed once per prompt: every scene and line asks)."""
    return frozenset(phrase.head_lemma for phrase in noun_phrases(prompt))


def _known_words(entities: list[Entity], prompt: str) -> set[str]:
    words = set(re.findall(r"[a-z]+", " ".join([prompt, *(entity.name for entity in entities)]).lower()))
    return words | _prompt_heads(prompt)


def _someone(word: str, text: str) -> bool:
    """A company word used of a person ('behind the friends', 'a new friend'), not of a state ('become friends')."""
    return word in COMPANY_WORDS and re.search(rf"\b(?:a|an|the|his|her|its|their|some|two|three|other|new)\s+(?:[a-z]+\s+)?{word}s?\b", text.lower()) is not None


def strangers(text: str, entities: list[Entity], prompt: str, *, acting_only: bool = True) -> list[str]:
    """Characters ``text`` tells of that are neither in the cast nor in the prompt ('a cat watches'
    in a story of a dog and a girl), as written. Other words for a cast member ('the puppy') pass.

    ``acting_only`` (the planner's findings): only characters that act, are named, own or keep
    company count; what is acted on ('the bear catches a fish') does not. A line the viewer reads or
    hears is held stricter (False): 'the dog sits on top of the cat' tells of a cat all the same."""
    phrases = noun_phrases(text)
    if not phrases:
        return []
    known = _known_words(entities, prompt)
    alone = sum(entity.kind is EntityKind.FOREGROUND for entity in entities) < 2
    someone = {phrase.head_lemma for phrase in phrases if alone and _someone(phrase.head_lemma, text)}
    candidates = [
        phrase for phrase, role in zip(phrases, classify(phrases), strict=True)
        if (role is CastRole.CHARACTER or phrase.head_lemma in someone) and (_acts(phrase) or not acting_only)
        and phrase.head_lemma not in known and (phrase.head_lemma not in REFERRING_WORDS or phrase.head_lemma in someone)
    ]
    # the classifier leans to 'character' for whatever acts; a stranger must also mean one ('the cat', not 'now')
    likeness = character_likeness([phrase.head_lemma for phrase in candidates])
    candidates = [phrase for phrase, score in zip(candidates, likeness, strict=True) if phrase.proper or score >= CLEAR_CHARACTER]
    heads = sorted({entity.name.split()[-1].lower() for entity in entities if entity.kind is EntityKind.FOREGROUND})
    if not candidates or not heads:
        return [phrase.written or phrase.text for phrase in candidates]
    from videodrafter.text_embedding import embed_texts

    try:
        similarity = embed_texts([phrase.head_lemma for phrase in candidates]) @ embed_texts(heads).T
    except (ImportError, VideoDrafterError):
        return [phrase.written or phrase.text for phrase in candidates]
    return [phrase.written or phrase.text for phrase, row in zip(candidates, similarity, strict=True) if row.max() < SAME_CHARACTER]


SAME_KIND = 0.5
"""Cosine similarity of two head nouns from which a count of one is held against the other ('ship' and
'boat' 0.60): looser than SAME_CHARACTER, as a wrong count is retold, never kept."""


_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def invented_count(text: str, entities: list[Entity]) -> str | None:
    """A count the story does not have, as written ('two ships' for one paper boat); 'the two robots'
    of a first and a second robot is theirs. A count of the story's words for its cast ('the two
    friends') is held against the whole foreground. A counted noun unlike every cast member ('two
    cups', and 'two cubs' of a snow leopard, 0.20 apart) is left to the stranger check."""
    counted = [phrase for phrase in noun_phrases(text) if (phrase.count or 0) >= 2]
    if not counted:
        return None
    foreground = [entity for entity in entities if entity.kind is EntityKind.FOREGROUND]
    heads = [entity.name.split()[-1].lower() for entity in foreground]
    from videodrafter.text_embedding import embed_texts

    try:  # every counted noun against every cast head, in one embedding call
        similarity = embed_texts([phrase.head_lemma for phrase in counted]) @ embed_texts(heads).T if heads else None
    except (ImportError, VideoDrafterError):
        similarity = None
    for row, phrase in enumerate(counted):
        if phrase.head_lemma in REFERRING_WORDS:
            have = len(foreground)
        else:
            scores = similarity[row] if similarity is not None else [0.0] * len(heads)
            # the cast's own word counts alone ('two cats' of one cat, a mouse and a dog: the dog is no cat)
            have = heads.count(phrase.head_lemma) or sum(score >= SAME_KIND for score in scores)
            if not have:
                continue
        if phrase.count > have:
            return f"{_COUNT_WORDS.get(phrase.count, phrase.count)} {phrase.written or phrase.text}"
    return None


def stranger_findings(script: VideoScript) -> list[str]:
    """A finding per scene whose event or action tells of someone the story does not have."""
    cast = ", ".join(f"'{entity.name}'" for entity in script.entities if entity.kind is EntityKind.FOREGROUND)
    findings = []
    for number, scene in enumerate(script.scenes, start=1):
        others = list(dict.fromkeys(strangers(f"{scene.event} {scene.action}", script.entities, script.prompt)))
        if others:
            who = ", ".join(f"'{other}'" for other in others)
            findings.append(f"scene {number} tells of {who}, who {'is' if len(others) == 1 else 'are'} not in the story; tell only of {cast}")
    return findings


def characters_meet(script: VideoScript, cast: Cast) -> bool:
    """With two or three characters in the prompt, whether one scene shows them all."""
    ids = [member_in_script(member, script) for member in cast.characters]
    ids = [entity_id for entity_id in ids if entity_id]
    if not 2 <= len(ids) <= 3:
        return True
    return any(set(ids) <= set(scene.foreground) for scene in script.scenes)


def event_embeddings(script: VideoScript) -> np.ndarray | None:
    """MiniLM embeddings of the events, or None where the embedder is not installed."""
    from videodrafter.text_embedding import embed_texts

    try:
        return embed_texts([scene.event for scene in script.scenes])
    except (ImportError, VideoDrafterError) as error:
        logger.warning("near-duplicate events are not checked: %s", error)
        return None


def near_duplicate_pairs(embeddings: np.ndarray | None, threshold: float = NEAR_DUPLICATE) -> list[tuple[int, int, float]]:
    """(earlier, later, similarity) for each pair of events that tell the same thing."""
    if embeddings is None or len(embeddings) < 2:
        return []
    similarity = embeddings @ embeddings.T
    return [
        (earlier, later, float(similarity[earlier, later]))
        for later in range(len(embeddings))
        for earlier in range(later)
        if similarity[earlier, later] >= threshold
    ]


def camera_findings(script: VideoScript) -> list[str]:
    moves = Counter(scene.camera.label() for scene in script.scenes)
    count = len(script.scenes)
    findings = []
    if count >= 4 and len(moves) < 3:
        findings.append(f"the scenes use only {len(moves)} camera moves; use at least 3 different moves")
    move, times = moves.most_common(1)[0]
    if count >= 3 and times * 2 > count:
        findings.append(f"{times} of {count} scenes use the camera move '{move}'; vary the moves")
    return findings


def grounding_findings(
    script: VideoScript, cast: Cast, *, embeddings: np.ndarray | None = None, camera: bool = True, strangers: bool = True
) -> list[str]:
    """Everything that ties the script to the prompt, as findings."""
    findings: list[str] = []
    _, missing = cast_coverage(script, cast)
    for member in missing:
        findings.append(f"the prompt names '{member.name}', but no scene shows it; use '{member.name}' in a scene")
    for member in cast.members:
        entity_id = member_in_script(member, script)
        if entity_id is None:
            continue
        kind = script.entity(entity_id).kind
        if member.role is CastRole.CHARACTER and kind is EntityKind.BACKGROUND:
            findings.append(f"'{member.name}' is a character, not a place: put it in the foreground")
        if member.role is CastRole.PLACE and kind is EntityKind.FOREGROUND:
            findings.append(f"'{member.name}' is a place: use it as a background")
    for entity in script.entities:
        if entity.kind is EntityKind.FOREGROUND and entity.name.lower() in {setting.lower() for setting in cast.settings}:
            findings.append(f"'{entity.name}' is weather or a time of day, not a character: make it part of the background")
    for name in invented_names(script, script.prompt):
        findings.append(f"'{name}' is not a real name for anything in the story; use the prompt's words")
    if strangers:
        findings += stranger_findings(script)
    if not characters_meet(script, cast):
        names = " and ".join(f"'{member.name}'" for member in cast.characters)
        findings.append(f"{names} never appear in the same scene; show them together at least once")
    for earlier, later in repeated_events(script, embeddings):
        findings.append(f"scene {later + 1} tells the same event as scene {earlier + 1}; make it a new step of the story")
    if camera and not user_asked_for_camera(script.prompt):
        findings += camera_findings(script)
    return findings


def repeated_events(script: VideoScript, embeddings: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Pairs of scenes that tell one event: MiniLM near-duplicates, or word overlap without the embedder."""
    embeddings = embeddings if embeddings is not None else event_embeddings(script)
    if embeddings is not None:
        return [(earlier, later) for earlier, later, _ in near_duplicate_pairs(embeddings)]
    events = [scene.event for scene in script.scenes]
    return [
        (earlier, later) for later in range(len(events)) for earlier in range(later)
        if word_overlap(events[earlier], events[later]) >= DUPLICATE_EVENT_OVERLAP
    ]
