"""Checks on what the user typed, before any model is touched."""

from __future__ import annotations

import re
import unicodedata

from videodrafter.config import Settings
from videodrafter.errors import InputError

# Terminal escape sequences (colours, cursor moves, window titles) pasted from a shell: the whole
# sequence goes, not only its ESC byte, or "[31m" would be left in the prompt.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")

# Format characters (Unicode category Cf) that emoji and scripts need: the zero-width joiner and
# non-joiner build emoji sequences and Persian/Indic words, tag characters spell subdivision flags.
_KEPT_FORMAT = {"\u200c", "\u200d"}


def _kept_format(char: str) -> bool:
    return char in _KEPT_FORMAT or "\U000e0020" <= char <= "\U000e007f"


def clean_text(text: str | None) -> str:
    """``text`` without control characters, escape sequences and invisible format characters,
    whitespace runs (any Unicode space) collapsed to one space. Emoji and every script are kept.

    For anything typed by a user or sent to an LLM: a BEL or an ANSI colour code is invisible in a
    terminal but makes a JSON answer that quotes it malformed.
    """
    text = _ANSI.sub("", text or "")
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":  # a tab, newline or BEL still separates words
            kept.append(" ")
        elif category in ("Cs", "Co", "Cn") or (category == "Cf" and not _kept_format(char)):
            continue  # lone surrogates (undecodable bytes), private-use and unassigned code points, zero-width spaces
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


def is_blank(text: str | None) -> bool:
    """True when nothing visible is left: only spaces (of any kind), controls or zero-width characters."""
    return not clean_text(text).replace("\u200c", "").replace("\u200d", "").strip()


def validate_prompt(prompt: str | None, settings: Settings) -> str:
    """The prompt, cleaned (see ``clean_text``); or an InputError saying what is wrong with it."""
    text = clean_text(prompt)
    if is_blank(text):
        shown = "empty" if not (prompt or "").strip() else "empty: it has only invisible characters (spaces, zero-width or control characters)"
        raise InputError(
            f"The prompt is {shown}.",
            "Describe the video in a sentence, e.g. \"a dog's day at the beach\".",
        )
    if len(text) > settings.max_prompt_chars:
        raise InputError(
            f"The prompt is {len(text):,} characters long; the limit is {settings.max_prompt_chars:,}.",
            "Shorten it to the story's essentials, or raise VIDEODRAFTER_MAX_PROMPT_CHARS.",
        )
    return text


def scene_bounds(scenes: int | None, settings: Settings) -> tuple[int, int]:
    """The allowed scene count: exactly ``scenes`` when given, else the configured range."""
    if scenes is None:
        return settings.min_scenes, settings.max_scenes
    if not 1 <= scenes <= 20:
        raise InputError(f"{scenes} scenes were asked for.", "Ask for between 1 and 20 scenes.")
    return scenes, scenes


_ENGLISH = frozenset("the an and of on at with to is are his her their who that for from by about into over under while after before".split())
_OTHER_LANGUAGES = frozenset(
    "el la los las un una y del en con por para que al su "  # Spanish
    "le les une et des du avec pour au aux sur dans "  # French
    "der die das ein eine und mit von im zu auf für dem den ist "  # German
    "il lo gli uno di da nel sul "  # Italian
    "os um uma do da em no na".split()  # Portuguese
)
"""Function words: a prompt of another language shows several of these and few English ones."""


def looks_english(text: str) -> bool:
    """Whether a prompt is English as far as its function words and its letters tell (a short prompt
    without any, 'dog beach', passes)."""
    letters = [char for char in text if char.isalpha()]
    if letters and sum(not ("a" <= char.lower() <= "z") and unicodedata.name(char, "").startswith(("CJK", "CYRILLIC", "ARABIC", "HEBREW", "GREEK", "HANGUL", "HIRAGANA", "KATAKANA", "DEVANAGARI", "THAI")) for char in letters) > 0.3 * len(letters):
        return False
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    english = sum(word in _ENGLISH for word in words)
    other = sum(word in _OTHER_LANGUAGES for word in words)
    return not (other >= 2 and other > english)


def check_prompt_language(text: str, settings: Settings) -> None:
    """The embedded models understand English only: another language is refused before any work."""
    if settings.llm_spec.is_embedded and not looks_english(text):
        raise InputError(
            f"The embedded model ({settings.llm}) only understands English, and this prompt does not look English.",
            "Write the prompt in English, or use an LLM that reads your language: --llm openai:gpt-4o or "
            "--llm vllm:THUDM/glm-4-9b-chat@http://host:8000/v1.",
        )


def check_prompt_subject(text: str, settings: Settings) -> None:
    """The embedded models plan from the characters and objects the prompt names (they cannot be
    trusted to invent a cast): a prompt that names none ('a birthday party', 'a long journey') is
    refused before any work, with what to write instead."""
    from videodrafter.planning.cast import extract_cast

    if settings.llm_spec.is_embedded and not extract_cast(text).foreground:
        raise InputError(
            f"The embedded model ({settings.llm}) plans from who or what the prompt names, and this prompt names "
            "no character or object it can draw.",
            "Say who or what the video is about, e.g. \"children fly kites at a festival\" or \"a girl's birthday "
            "party with her dog\"; or use an LLM that invents a cast: --llm openai:gpt-4o.",
        )


def check_prompt_for_llm(text: str, settings: Settings) -> None:
    """Everything the planning LLM needs of a prompt, before any model is touched: its language and
    (for the embedded models) a subject to draw."""
    check_prompt_language(text, settings)
    check_prompt_subject(text, settings)
