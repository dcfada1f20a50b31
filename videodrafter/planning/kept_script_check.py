"""The kept script checked last: whatever version the review kept, every text a viewer reads or hears
passes the grounding rules, and a line that fails is retold from the cast by rule.

The review compares versions by their findings, and those were counted before any retelling, so a
kept version could still tell of a stranger, speak in the first person or stop mid-sentence. This is
the last pass before the script is final (``graph/review.finalize_draft_node``), for every LLM.
"""

from __future__ import annotations

from videodrafter.planning.constrained_planner import BEAT_OPENINGS, own_action, sentence_subject, story_beats, told_by_the_cast
from videodrafter.planning.grounding_checks import (
    FIRST_PERSON,
    invented_count,
    is_meta_text,
    stops_mid_clause,
    story_words,
    strangers,
    unfamiliar_word,
)
from videodrafter.planning.verb_phrases import starts_with_a_verb
from videodrafter.planning.narrator_lines import ground_script_narration, spoken_sentence
from videodrafter.script import Scene, VideoScript


def text_problem(text: str, script: VideoScript, *, sentence: bool = True) -> str | None:
    """Why a scene's event (a ``sentence``) or action (a verb phrase) cannot be kept as written,
    worded for a note; None when it is fine."""
    others = list(dict.fromkeys(strangers(text, script.entities, script.prompt, acting_only=False)))  # what the viewer sees
    if others:
        return f"it told of {', '.join(map(repr, others))}, who {'is' if len(others) == 1 else 'are'} not in the story"
    if FIRST_PERSON.search(text):
        return "it spoke in the first person"
    known = story_words(script.entities, script.prompt)
    if is_meta_text(text, " ".join(known)):
        return "it talked about the picture or the viewer"
    word = unfamiliar_word(text, known)
    if word:
        return f"it named '{word}', which is not in the story"
    counted = invented_count(text, script.entities)
    if counted:
        return f"it told of '{counted}', a count the story does not have"
    if stops_mid_clause(text if sentence else f"{text.rstrip('.!?')}.", known):
        return "it stopped mid-sentence"
    return None


def _without_a_verb(event: str, script: VideoScript) -> str | None:
    """'Soon, the red fox that night at the snowy forest.': a sentence that opens with its cast and
    does not say what they do."""
    opened = sentence_subject(event, script.entities)
    if opened and not starts_with_a_verb(opened[1]):
        return "it did not say what its cast does"
    return None


def _beat(scene: Scene, index: int, count: int) -> str:
    """The scene's story beat: the one its event opens with, else the one of its place in the story."""
    for beat, openings in BEAT_OPENINGS.items():
        if any(scene.event.startswith(opening) for opening in openings):
            return beat
    return story_beats(count)[index]


def check_kept_script(script: VideoScript) -> tuple[VideoScript, list[str]]:
    """(the script with every failing event and action retold from its cast, a note per change);
    the narration is then held to its rules against the final events."""
    scenes: list[Scene] = []
    notes: list[str] = []
    for index, scene in enumerate(script.scenes):
        number = index + 1
        if scene.foreground:
            beat = _beat(scene, index, len(script.scenes))
            problem = text_problem(scene.event, script) or _without_a_verb(scene.event, script)
            if problem:
                reads_event = scene.narration == spoken_sentence(scene.event)
                scene = told_by_the_cast(scene, script.entities, beat, number, script.prompt)
                if text_problem(scene.event, script):  # its own verb phrase failed too: the beat's verb
                    scene = told_by_the_cast(scene.model_copy(update={"action": ""}), script.entities, beat, number, script.prompt)
                if reads_event:  # the line was the event (grounded planning): it is the retold event now
                    scene = scene.model_copy(update={"narration": spoken_sentence(scene.event)})
                notes.append(f"the event of scene {number} was retold with its own cast: {problem}")
            elif text_problem(scene.action, script, sentence=False):
                subject = script.entity(scene.foreground[0]).name
                scene = scene.model_copy(update={"action": own_action(scene.action, subject, script.entities, script.prompt, beat)})
                notes.append(f"the action of scene {number} was replaced by a verb phrase of its own cast")
        scenes.append(scene)
    checked, narration_notes = ground_script_narration(script.model_copy(update={"scenes": scenes}))
    return checked, [*notes, *narration_notes]
