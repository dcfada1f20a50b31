"""Deterministic checks of a script, worded as findings an LLM (or a user) can act on."""

from __future__ import annotations

from videodrafter.planning.cast import extract_cast
from videodrafter.planning.grounding_checks import grounding_findings
from videodrafter.script import VideoScript
from videodrafter.text import content_words


def script_findings(script: VideoScript, min_scenes: int, max_scenes: int) -> list[str]:
    """Everything a reviewer should fix: scene count, the prompt's cast, repeated events, split names, dull camera."""
    findings: list[str] = []
    count = len(script.scenes)
    if not min_scenes <= count <= max_scenes:
        findings.append(f"the script has {count} scenes; it needs between {min_scenes} and {max_scenes}")
    names = [(entity.name, content_words(entity.name)) for entity in script.entities]
    for index, (name, words) in enumerate(names):
        for other, other_words in names[index + 1 :]:
            if words and other_words and (words <= other_words or other_words <= words):
                findings.append(f"'{name}' and '{other}' look like one entity with two names; use one name in every scene")
    return findings + grounding_findings(script, extract_cast(script.prompt))
