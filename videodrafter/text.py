"""Small text helpers shared by the script checks and entity enrichment."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9']+")
STOP_WORDS = frozenset(
    {"the", "a", "an", "and", "of", "in", "on", "to", "is", "its", "with", "his", "her", "their", "at", "for"}
)


def content_words(text: str) -> set[str]:
    """The lower-cased words of a text that carry meaning (stop words removed)."""
    return set(_WORD.findall(text.lower())) - STOP_WORDS
