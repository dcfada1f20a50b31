"""Noun phrases of a prompt, found with a word lexicon and a few rules of English word order.

Prompts are short and regular ("a fox and a crow race across a snowy forest"), so a lexicon of
each word's possible parts of speech (lemminflect's, shipped with the package) plus word order is
enough: function words end a phrase; in a run of content words before the clause's first verb,
the verb is the first word that can be a verb and agrees with the words before it in number
("a paper boat sails", "two robots build", "a girl flies kites").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
    "very together away again back later finally suddenly slowly quickly soon also too just then how why where "
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

_TOKEN = re.compile(r"[^\W\d_][\w\-]*(?:['’]-[\w\-]+)*(?:'s|’s|')?|\d+|[.,;:!?]")


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


_CLOSED_CLASS = DETERMINERS | PRONOUNS | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | ADVERBS


def is_known_word(word: str) -> bool:
    """Whether an English lexicon knows the word (invented or truncated names are not known)."""
    lowered = word.lower()
    if lowered in _CLOSED_CLASS:  # the lexicon holds open-class words only: 'for' and 'the' are words too
        return True
    if _lemmas(lowered) or _lemmas(lowered.rstrip("s")) or lowered in NUMBERS:
        return True
    return _is_compound(lowered.rstrip("s"))


def _is_compound(word: str) -> bool:
    """Two words the lexicon knows, written as one ('alleyway', 'sandcastle', 'fireplace')."""
    return len(word) >= 7 and any(
        bool(_lemmas(word[:split])) and bool(_lemmas(word[split:])) for split in range(3, len(word) - 2)
    )


def _can(word: str, pos: str) -> bool:
    return pos in _lemmas(word)


def _can_be_noun(word: str) -> bool:
    lemmas = _lemmas(word)
    # Unknown words (names, compounds such as 'sandcastle') are taken as nouns.
    return not lemmas or "NOUN" in lemmas or "PROPN" in lemmas


def names_a_thing(text: str) -> bool:
    """Whether a short phrase ends on a noun, so it names something to draw ('floppy ears', 'a long
    tail'), not a quality or nothing ('beautiful', 'nothing')."""
    words = text.lower().split()
    if not words or words[-1] in _CLOSED_CLASS:
        return False
    lemmas = _lemmas(words[-1])
    return "NOUN" in lemmas or (not lemmas and is_known_word(words[-1]))


def is_noun_modifier(phrase: "NounPhrase") -> bool:
    """Whether the word before the head is a noun of its own ('kite festival', 'dragon story'), not
    an adjective ('long journey') or a participle."""
    if len(phrase.words) < 2:
        return False
    word = phrase.words[-2]
    lemmas = _lemmas(word)
    return "NOUN" in lemmas and "ADJ" not in lemmas and not _is_participle(word)


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


_FUNCTION_WORDS = DETERMINERS | PRONOUNS | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | ADVERBS
"""Words that are never part of a noun phrase: each one ends the phrase before it."""


def noun_phrases(prompt: str) -> list[NounPhrase]:
    """The noun phrases of a prompt, in order (repeats included)."""
    reader = _PhraseReader(_tokens(_REQUEST.sub("", prompt)))
    for index in range(len(reader.tokens)):
        reader.read(index)
    reader.close()
    _verbless_clause_has_no_subject(reader.phrases, reader.clause_start, reader.verb_seen)
    return reader.phrases


@dataclass
class _PhraseReader:
    """Reads the tokens left to right: content words gather in ``run`` until a word that cannot be
    in a noun phrase closes it; the flags are what the clause so far says about the next word."""

    tokens: list[tuple[str, bool, bool, str]]
    phrases: list[NounPhrase] = field(default_factory=list)
    run: list[tuple[str, bool, int, str]] = field(default_factory=list)
    verb_seen: bool = False
    subject_plural: bool = False
    count: int | None = None
    after_to: bool = False
    previous_was_verb: bool = False
    preposition: str | None = None
    clause_start: int = 0
    after_copula: bool = False
    naming: bool = False
    after_relative: bool = False

    def read(self, index: int) -> None:
        word = self.tokens[index][0]
        if self._read_clause_marker(word):
            return
        if word in _FUNCTION_WORDS:
            self._read_function_word(word, self._word_at(index + 1))
        else:
            self._read_content_word(index)

    def _word_at(self, index: int) -> str:
        return self.tokens[index][0] if 0 <= index < len(self.tokens) else ""

    def close(self, possessive: bool = False) -> None:
        """End the run of content words; its last word that can be a noun heads a phrase."""
        words = [word for word, *_ in self.run]
        proper = any(flag for _, flag, *_ in self.run)
        first = self.run[0][2] if self.run else 0
        raw = {word: written for word, _, _, written in self.run}
        self.run = []
        while words and not _can_be_noun(words[-1]):
            words.pop()  # 'the dog is happy': no noun at the end
        modifiers = [word for word in words[:-1] if not _is_participle(word)]
        if words:
            head = words[-1]
            phrase = NounPhrase(
                words=[*modifiers, head], head_lemma=_noun_lemma(head), plural=_is_plural(head) or (self.count or 1) > 1,
                count=self.count, possessor=possessive, proper=proper, preposition=self.preposition, subject=not self.verb_seen,
                predicate=self.after_copula, start=first, end=first + len(words), names_previous=self.naming and proper,
                written=" ".join(raw.get(word, word) if proper else word for word in [*modifiers, head]),
            )
            self.phrases.append(phrase)
            if not self.verb_seen:
                self.subject_plural = self.subject_plural or phrase.plural
            self.preposition = None
            self.naming = False
        self.count = None
        self.after_copula = False

    def _read_clause_marker(self, word: str) -> bool:
        """Punctuation, numbers, 'named', relatives and a subject's 'and'; False for any other word."""
        if word in NAMING:
            self.close()
            self.naming = True  # 'a boy named Leo': the clause's verb is still to come
        elif word in ".!?;:":
            self.close()
            _verbless_clause_has_no_subject(self.phrases, self.clause_start, self.verb_seen)
            self.clause_start = len(self.phrases)
            self.verb_seen, self.subject_plural, self.after_to, self.previous_was_verb = False, False, False, False
        elif word == ",":
            self.close()
            if self.verb_seen:  # 'Happy that summer is here, a girl runs': a new clause
                self.verb_seen, self.subject_plural = False, False
        elif word in NUMBERS or word.isdigit():
            self.close()
            self.count = NUMBERS.get(word) or int(word)
        elif word in RELATIVES and (self.run or self.phrases):
            self.close()
            self.verb_seen, self.subject_plural = False, self.phrases[-1].plural if self.phrases else False
            self.after_relative = True  # 'a cat who chases': the next word that can be a verb is one
        elif word == "and" and not self.verb_seen and (self.phrases or self.run):
            self.close()
            self.subject_plural = True  # 'a fox and a crow' take a plural verb
        else:
            return False
        return True

    def _read_function_word(self, word: str, next_word: str) -> None:
        self.close()
        self.after_to = word == "to"
        if word in PREPOSITIONS:
            self.preposition = word
        elif word not in DETERMINERS:
            self.preposition = None
        if word in AUXILIARIES:
            self.verb_seen = True
            self.after_copula = word in COPULAS
        if word in CONJUNCTIONS and self.verb_seen:
            if next_word in DETERMINERS or next_word in PRONOUNS:
                self.verb_seen, self.subject_plural = False, False  # 'and the tide comes in': a new clause
            else:
                self.previous_was_verb = True  # 'buys vegetables and cooks dinner'
                return
        if word != "and":
            self.previous_was_verb = False

    def _read_content_word(self, index: int) -> None:
        word, possessive, proper, written = self.tokens[index]
        lemmas = _lemmas(word)
        verb_only = bool(lemmas) and not (_can_be_noun(word) or "ADJ" in lemmas)
        adverb_only = bool(lemmas) and set(lemmas) <= {"ADV"}
        next_word = self._word_at(index + 1)
        previous_token = self._word_at(index - 1)
        if verb_only and not self.run and (previous_token in DETERMINERS or previous_token in NUMBERS) and _can_be_noun(next_word):
            return  # 'a sleeping cat', 'an abandoned city': a participle describing the noun
        if verb_only or adverb_only:
            self.close()
            self.verb_seen = self.verb_seen or not adverb_only
            self.previous_was_verb = not adverb_only
            self.after_to = False
            return
        is_verb = self._acts_as_verb(word, lemmas, previous_token) or self._gerund_as_verb(word, lemmas, previous_token, next_word)
        self.after_relative = False
        if is_verb:
            self.close()
            self.verb_seen, self.previous_was_verb, self.after_to = True, True, False
            return
        self.after_to = False
        self.previous_was_verb = False
        self.run.append((word, proper, index, written))
        if possessive:
            self.close(possessive=True)

    def _acts_as_verb(self, word: str, lemmas: dict[str, tuple[str, ...]], previous_token: str) -> bool:
        """A word that can be a verb is one where the clause expects it ('to build', 'a fox runs')."""
        if "VERB" not in lemmas or word.endswith("ing"):
            return False
        if self.after_relative and not self.run:
            return True
        if self.after_to and word not in DESTINATIONS:
            return True
        if self.previous_was_verb and not self.run:
            return previous_token in CONJUNCTIONS  # 'runs and jumps'
        return not self.verb_seen and bool(self.run) and _agrees(word, self.subject_plural or _is_plural(self.run[-1][0]))

    def _gerund_as_verb(self, word: str, lemmas: dict[str, tuple[str, ...]], previous_token: str, next_word: str) -> bool:
        """'a girl flying a kite', 'a turtle crossing a road'; not 'a flying carpet' nor 'ring'."""
        gerund = word.endswith("ing") and word not in lemmas.get("VERB", (word,))
        after_determiner = previous_token in DETERMINERS or previous_token in NUMBERS
        return gerund and not after_determiner and (next_word in DETERMINERS or not _can_be_noun(next_word) or bool(self.run))


def _verbless_clause_has_no_subject(phrases: list[NounPhrase], start: int, verb_seen: bool) -> None:
    """'a dog's day at the beach' has no verb, so none of its phrases is a subject."""
    if not verb_seen:
        for phrase in phrases[start:]:
            phrase.subject = False
