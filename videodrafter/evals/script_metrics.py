"""Metrics of one scripted case: validity, retries, scene count, names, duplicates, camera, cost."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from pydantic import BaseModel

from videodrafter.planning.cast import extract_cast
from videodrafter.planning.draft import UNLISTED_NOTE
from videodrafter.planning.grounding_checks import (
    FIRST_PERSON,
    cast_coverage,
    characters_meet,
    invented_names,
    is_meta_text,
    near_duplicate_pairs,
    stops_mid_clause,
    story_words,
    strangers,
    unfamiliar_word,
)
from videodrafter.script import VideoScript
from videodrafter.text import content_words



class ScriptMetrics(BaseModel):
    valid: bool
    error: str = ""
    attempts: int = 0
    retries: int = 0
    scenes: int = 0
    scene_count_ok: bool = False
    name_repairs: int = 0
    entity_consistency: float = 0.0
    common_entities: int = 0
    expected_common_found: float | None = None
    max_event_similarity: float = 0.0
    near_duplicate_events: int = 0
    camera_valid: bool = False
    camera_distinct: int = 0
    camera_entropy: float = 0.0
    seconds: float = 0.0
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    coherence: float | None = None
    cast_found: float | None = None
    """Share of the characters, objects and places the prompt names that the scenes show."""
    grounded_names: float = 0.0
    """Share of entity names made only of the prompt's words or known English words."""
    characters_meet: float | None = None
    """1 when the prompt's two or three characters share a scene, 0 when they never do; None otherwise."""
    meta_text: float = 0.0
    """Share of entity descriptions about the photo or the writer instead of the thing."""
    stranger_lines: int = 0
    """Events, narration lines and actions of the kept script that tell of a character the story lacks."""
    first_person_lines: int = 0
    """Events, narration lines and actions in the first person ('I', 'we')."""
    cut_lines: int = 0
    """Events and narration lines that stop mid-sentence ('…with a', '…they are amazed at')."""
    invented_words: int = 0
    """Events, narration lines and actions with a word no lexicon knows or a name the story lacks ('keddle', 'Max')."""
    retold_lines: int = 0
    """The planner's lines the kept-script check retold or replaced (its notes): what the counts above were before it."""


def camera_entropy(labels: list[str]) -> float:
    """Shannon entropy (bits) of the camera moves: 0 when every scene uses the same move."""
    counts = Counter(labels)
    total = sum(counts.values())
    return -sum(count / total * math.log2(count / total) for count in counts.values()) if total else 0.0


def event_similarity(embeddings: np.ndarray) -> tuple[float, int]:
    """Highest pairwise cosine similarity of events and how many pairs are near-duplicates."""
    if len(embeddings) < 2:
        return 0.0, 0
    upper = (embeddings @ embeddings.T)[np.triu_indices(len(embeddings), k=1)]
    return float(upper.max()), len(near_duplicate_pairs(embeddings))


def expected_found(script: VideoScript, expected: list[str]) -> float | None:
    """Share of expected recurring entities that the script made common (matched by content words)."""
    if not expected:
        return None
    common = [content_words(entity.name) for entity in script.common_entities]
    found = 0
    for name in expected:
        words = content_words(name)
        if any(words & candidate for candidate in common):
            found += 1
    return found / len(expected)


class ViewerTextCounts(BaseModel):
    """How many of a kept script's texts break each rule the viewer would notice."""

    stranger_lines: int = 0
    first_person_lines: int = 0
    cut_lines: int = 0
    invented_words: int = 0


def viewer_text_counts(script: VideoScript) -> ViewerTextCounts:
    """The grounding rules counted over every event, narration line and action of the kept script."""
    known = story_words(script.entities, script.prompt)
    counts = ViewerTextCounts()
    for scene in script.scenes:
        for text, sentence in ((scene.event, True), (scene.narration, True), (scene.action, False)):
            if not text:
                continue
            counts.stranger_lines += bool(strangers(text, script.entities, script.prompt, acting_only=False))
            counts.first_person_lines += bool(FIRST_PERSON.search(text))
            counts.cut_lines += sentence and stops_mid_clause(text, known)
            counts.invented_words += unfamiliar_word(text, known) is not None
    return counts


def script_metrics(
    script: VideoScript,
    *,
    attempts: int,
    notes: list[str],
    min_scenes: int,
    max_scenes: int,
    event_embeddings: np.ndarray,
    expected_common: list[str],
    seconds: float,
    llm_calls: int,
    tokens_in: int,
    tokens_out: int,
) -> ScriptMetrics:
    references = sum(len(scene.foreground) + 1 for scene in script.scenes)
    repairs = sum(UNLISTED_NOTE in note for note in notes)
    labels = [scene.camera.label() for scene in script.scenes]
    max_similarity, duplicates = event_similarity(event_embeddings)
    cast = extract_cast(script.prompt)
    found, _ = cast_coverage(script, cast)
    invented = invented_names(script, script.prompt)
    meet = characters_meet(script, cast) if 2 <= len(cast.characters) <= 3 else None
    return ScriptMetrics(
        **viewer_text_counts(script).model_dump(),
        cast_found=len(found) / len(cast.members) if cast.members else None,
        grounded_names=1.0 - len(invented) / max(len(script.entities), 1),
        characters_meet=None if meet is None else float(meet),
        meta_text=sum(is_meta_text(entity.description, f"{entity.name} {script.prompt}") for entity in script.entities) / max(len(script.entities), 1),
        valid=True,
        attempts=attempts,
        retries=max(attempts - 1, 0),
        scenes=len(script.scenes),
        scene_count_ok=min_scenes <= len(script.scenes) <= max_scenes,
        name_repairs=repairs,
        entity_consistency=1.0 - min(repairs, references) / references,
        common_entities=len(script.common_entities),
        expected_common_found=expected_found(script, expected_common),
        max_event_similarity=max_similarity,
        near_duplicate_events=duplicates,
        camera_valid=all(scene.camera.direction is not None for scene in script.scenes),
        camera_distinct=len(set(labels)),
        camera_entropy=camera_entropy(labels),
        seconds=seconds,
        llm_calls=llm_calls,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
    )
