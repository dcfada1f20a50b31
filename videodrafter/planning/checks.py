"""Deterministic checks of a script, worded as findings an LLM (or a user) can act on."""

from __future__ import annotations

from videodrafter.planning.cast import extract_cast
from videodrafter.planning.grounding import camera_findings, grounding_findings, user_asked_for_camera
from videodrafter.script import VideoScript
from videodrafter.text import content_words

DUPLICATE_EVENT_OVERLAP = 0.8
"""Word overlap (Jaccard) above which two events count as the same event."""


def word_overlap(first: str, second: str) -> float:
    a, b = content_words(first), content_words(second)
    return len(a & b) / len(a | b) if a | b else 1.0


def script_findings(script: VideoScript, min_scenes: int, max_scenes: int) -> list[str]:
    """Everything a reviewer should fix: scene count, repeated events, split names, dull camera."""
    findings: list[str] = []
    count = len(script.scenes)
    if not min_scenes <= count <= max_scenes:
        findings.append(f"the script has {count} scenes; it needs between {min_scenes} and {max_scenes}")
    for later in range(count):
        for earlier in range(later):
            if word_overlap(script.scenes[earlier].event, script.scenes[later].event) >= DUPLICATE_EVENT_OVERLAP:
                findings.append(f"scene {later + 1} repeats the event of scene {earlier + 1}; make it move the story on")
                break
    findings += [
        finding for finding in grounding_findings(script, extract_cast(script.prompt))
        if "camera move" not in finding and "repeat" not in finding
    ]
    findings = list(dict.fromkeys(findings))
    names = [(entity.name, content_words(entity.name)) for entity in script.entities]
    for index, (name, words) in enumerate(names):
        for other, other_words in names[index + 1 :]:
            if words and other_words and (words <= other_words or other_words <= words):
                findings.append(f"'{name}' and '{other}' look like one entity with two names; use one name in every scene")
    if not user_asked_for_camera(script.prompt):
        findings += camera_findings(script)
    return findings
