"""Noun phrases of a prompt, found with a word lexicon and a few rules of English word order.

Prompts are short and regular ("a fox and a crow race across a snowy forest"), so a lexicon of
each word's possible parts of speech (lemminflect's, shipped with the package) plus word order is
enough: function words end a phrase; in a run of content words before the clause's first verb,
the verb is the first word that can be a verb and agrees with the words before it in number
("a paper boat sails", "two robots build", "a girl flies kites").
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, Field

DETERMINERS = frozenset(
    "a an the this that these those my your his her its our their some any every each no another "
    "all both several many few".split()
)
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "pair": 2, "couple": 2}
PRONOUNS = frozenset(
    "i you he she it we they me him us them who whom whose which what myself yourself himself herself "
    "itself ourselves themselves someone something everyone everything nobody nothing other others".split()
)
RELATIVES = frozenset({"who", "which", "that", "whose"})
PREPOSITIONS = frozenset(
    "in on at to from with without through across around over under into onto during before after behind "
    "beside besides between among along near by for of about up down out off past toward towards inside "
    "outside above below beneath upon via within underneath amid against like than until till".split()
)
CONJUNCTIONS = frozenset("and or but while when as because so then if whereas nor yet".split())
AUXILIARIES = frozenset(
    "is are was were be been being am has have had do does did will would can could should may might must "
    "shall gets get got becomes become became".split()
)
ADVERBS = frozenset(
    "very together away again back later finally suddenly slowly quickly soon also too just then "
    "there here not never always once still even only ever forward".split()
)
NAMING = frozenset({"named", "called"})
COPULAS = frozenset("is are was were be become becomes became".split())
DESTINATIONS = frozenset("school bed town work church market sea camp court sleep shore space".split())
"""Nouns that also read as verbs but, after 'to', are where someone goes."""

_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:(?:make|create|generate|produce|show|render|give)\s+(?:me\s+|us\s+)?)?"
    r"(?:an?\s+|the\s+)?(?:(?:short|little|quick|fun|funny|cute|animated|\d+[- ]scene)\s+)*"
    r"(?:video|film|movie|clip|animation|cartoon|story|storyboard)\s+(?:about|of|where|in which|showing|with)\s+",
    re.IGNORECASE,
)
"""'make me a video about …': the request around the story, not part of it."""

_TOKEN = re.compile(r"[^\W\d_][\w\-]*(?:'s|’s|')?|\d+|[.,;:!?]")


class NounPhrase(BaseModel):
    """A noun phrase of the prompt in the prompt's own words."""

    words: list[str] = Field(description="Modifiers and head, lower-cased, as written.")
    head_lemma: str = Field(description="The head noun in the singular.")
    plural: bool = False
    count: int | None = Field(default=None, description="A number word in front of it ('two robots' → 2).")
    possessor: bool = Field(default=False, description="Written as an owner ('a dog's day').")
    proper: bool = Field(default=False, description="Capitalised in the prompt (a character's name).")
    preposition: str | None = Field(default=None, description="The preposition it follows ('across a forest').")
    subject: bool = Field(default=False, description="Stands before its clause's verb (who or what acts).")
    predicate: bool = Field(default=False, description="Says what something is or becomes ('become friends').")
    start: int = Field(default=0, description="Index of its first token in the prompt.")
    end: int = Field(default=0, description="Index after its last token.")
    written: str = Field(default="", description="As written, with the prompt's capitals.")
    names_previous: bool = Field(default=False, description="The name of the phrase before ('a boy named Leo').")

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def singular_text(self) -> str:
        """The phrase with its head in the singular ('two robots' → 'robot')."""
        return " ".join([*self.words[:-1], self.head_lemma])


@cache
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllLemmas

    return dict(getAllLemmas(word))


def is_known_word(word: str) -> bool:
    """Whether an English lexicon knows the word (invented or truncated names are not known)."""
    lowered = word.lower()
    return bool(_lemmas(lowered)) or bool(_lemmas(lowered.rstrip("s"))) or lowered in NUMBERS


def _can(word: str, pos: str) -> bool:
    return pos in _lemmas(word)


def _can_be_noun(word: str) -> bool:
    lemmas = _lemmas(word)
    # Unknown words (names, compounds such as 'sandcastle') are taken as nouns.
    return not lemmas or "NOUN" in lemmas or "PROPN" in lemmas


def _is_participle(word: str) -> bool:
    """'lost', 'abandoned', 'sleeping': verb forms used as modifiers, not part of a name.

    '-ing' words the lexicon also knows as nouns stay ('fishing boat', 'swimming pool').
    """
    verbs = _lemmas(word).get("VERB", ())
    if not verbs or word in verbs or _can(word, "ADJ"):
        return False
    return not (word.endswith("ing") and _can(word, "NOUN"))


def _noun_lemma(word: str) -> str:
    nouns = _lemmas(word).get("NOUN") or _lemmas(word).get("PROPN")
    if nouns:
        return nouns[0]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _is_plural(word: str) -> bool:
    return _noun_lemma(word) != word


def _agrees(verb: str, subject_plural: bool) -> bool:
    """A present-tense verb agrees with its subject: 'a fox runs', 'two foxes run'."""
    lemmas = _lemmas(verb).get("VERB", ())
    if not lemmas:
        return False
    third_person = verb not in lemmas and verb.endswith("s")
    bare = verb in lemmas
    if not (third_person or bare):
        return True  # past tense agrees with anything
    return third_person != subject_plural


def _tokens(prompt: str) -> list[tuple[str, bool, bool, str]]:
    """(lower-cased word, possessive, capitalised mid-sentence, as written) for each token."""
    tokens: list[tuple[str, bool, bool, str]] = []
    sentence_start = True
    for match in _TOKEN.finditer(prompt):
        raw = match.group(0)
        possessive = raw.endswith(("'s", "’s")) or (raw.endswith("'") and len(raw) > 1)
        word = re.sub(r"('s|’s|')$", "", raw)
        # A capital mid-sentence marks a name; at the start only a word no lexicon knows ('Luna').
        proper = word[:1].isupper() and word.lower() not in PRONOUNS and (not sentence_start or not _lemmas(word.lower()))
        tokens.append((word.lower(), possessive, proper, word))
        sentence_start = word in ".!?"
    return tokens


def english_share(prompt: str) -> float:
    """Share of the prompt's words an English lexicon knows (the cast is read only from English)."""
    words = [word for word, *_ in _tokens(prompt) if word[:1].isalpha()]
    if not words:
        return 0.0
    known = [word for word in words if is_known_word(word) or word in DETERMINERS or word in PREPOSITIONS or word in CONJUNCTIONS]
    return len(known) / len(words)


def noun_phrases(prompt: str) -> list[NounPhrase]:
    """The noun phrases of a prompt, in order (repeats included)."""
    phrases: list[NounPhrase] = []
    run: list[tuple[str, bool, int, str]] = []
    verb_seen = False
    subject_plural = False
    count: int | None = None
    after_to = False
    previous_was_verb = False
    preposition: str | None = None
    clause_start = 0
    after_copula = False
    naming = False
    after_relative = False

    def close(possessive: bool = False) -> None:
        nonlocal run, count, subject_plural, preposition, after_copula, naming
        words = [word for word, *_ in run]
        proper = any(flag for _, flag, *_ in run)
        first = run[0][2] if run else 0
        raw = {word: written for word, _, _, written in run}
        run = []
        while words and not _can_be_noun(words[-1]):
            words.pop()  # 'the dog is happy': no noun at the end
        modifiers = [word for word in words[:-1] if not _is_participle(word)]
        if words:
            head = words[-1]
            phrase = NounPhrase(
                words=[*modifiers, head], head_lemma=_noun_lemma(head), plural=_is_plural(head) or (count or 1) > 1,
                count=count, possessor=possessive, proper=proper, preposition=preposition, subject=not verb_seen,
                predicate=after_copula, start=first, end=first + len(words), names_previous=naming and proper,
                written=" ".join(raw.get(word, word) if proper else word for word in [*modifiers, head]),
            )
            phrases.append(phrase)
            if not verb_seen:
                subject_plural = subject_plural or phrase.plural
            preposition = None
            naming = False
        count = None
        after_copula = False

    tokens = _tokens(_REQUEST.sub("", prompt))
    for index, (word, possessive, proper, written) in enumerate(tokens):
        if word in NAMING:
            close()
            naming = True  # 'a boy named Leo': the clause's verb is still to come
            continue
        if word in ".!?;:":
            close()
            _verbless_clause_has_no_subject(phrases, clause_start, verb_seen)
            clause_start = len(phrases)
            verb_seen, subject_plural, after_to, previous_was_verb = False, False, False, False
            continue
        if word == ",":
            close()
            if verb_seen:  # 'Happy that summer is here, a girl runs': a new clause
                verb_seen, subject_plural = False, False
            continue
        if word in NUMBERS or word.isdigit():
            close()
            count = NUMBERS.get(word) or int(word)
            continue
        if word in RELATIVES and (run or phrases):
            close()
            verb_seen, subject_plural = False, phrases[-1].plural if phrases else False
            after_relative = True  # 'a cat who chases': the next word that can be a verb is one
            continue
        if word == "and" and not verb_seen and (phrases or run):
            close()
            subject_plural = True  # 'a fox and a crow' take a plural verb
            continue
        if word in DETERMINERS or word in PRONOUNS or word in PREPOSITIONS or word in CONJUNCTIONS or word in AUXILIARIES or word in ADVERBS:
            close()
            after_to = word == "to"
            if word in PREPOSITIONS:
                preposition = word
            elif word not in DETERMINERS:
                preposition = None
            if word in AUXILIARIES:
                verb_seen = True
                after_copula = word in COPULAS
            next_word = tokens[index + 1][0] if index + 1 < len(tokens) else ""
            if word in CONJUNCTIONS and verb_seen:
                if next_word in DETERMINERS or next_word in PRONOUNS:
                    verb_seen, subject_plural = False, False  # 'and the tide comes in': a new clause
                else:
                    previous_was_verb = True  # 'buys vegetables and cooks dinner'
                    continue
            if word != "and":
                previous_was_verb = False
            continue
        lemmas = _lemmas(word)
        verb_only = bool(lemmas) and not (_can_be_noun(word) or "ADJ" in lemmas)
        adverb_only = bool(lemmas) and set(lemmas) <= {"ADV"}
        next_word = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        previous_token = tokens[index - 1][0] if index else ""
        if verb_only and not run and (previous_token in DETERMINERS or previous_token in NUMBERS) and _can_be_noun(next_word):
            continue  # 'a sleeping cat', 'an abandoned city': a participle describing the noun
        if verb_only or adverb_only:
            close()
            verb_seen = verb_seen or not adverb_only
            previous_was_verb = not adverb_only
            after_to = False
            continue
        is_verb = False
        if "VERB" in lemmas and not word.endswith("ing"):
            if after_relative and not run:
                is_verb = True
            elif after_to and word not in DESTINATIONS:
                is_verb = True
            elif previous_was_verb and not run:
                is_verb = tokens[index - 1][0] in CONJUNCTIONS  # 'runs and jumps'
            elif not verb_seen and run and _agrees(word, subject_plural or _is_plural(run[-1][0])):
                is_verb = True
        gerund = word.endswith("ing") and word not in lemmas.get("VERB", (word,))  # 'flying', not 'ring'
        after_determiner = previous_token in DETERMINERS or previous_token in NUMBERS
        if gerund and not after_determiner and (next_word in DETERMINERS or not _can_be_noun(next_word) or run):
            is_verb = True  # 'a girl flying a kite', 'a turtle crossing a road'
        after_relative = False
        if is_verb:
            close()
            verb_seen, previous_was_verb, after_to = True, True, False
            continue
        after_to = False
        previous_was_verb = False
        run.append((word, proper, index, written))
        if possessive:
            close(possessive=True)
    close()
    _verbless_clause_has_no_subject(phrases, clause_start, verb_seen)
    return phrases


def _verbless_clause_has_no_subject(phrases: list[NounPhrase], start: int, verb_seen: bool) -> None:
    """'a dog's day at the beach' has no verb, so none of its phrases is a subject."""
    if not verb_seen:
        for phrase in phrases[start:]:
            phrase.subject = False
