"""Grounded planning for small models: the cast from the prompt, then scenes a grammar keeps honest.

Two constrained calls instead of one free one:
1. cast: the prompt's own cast (cast.py) is given; the model writes a title and how each member
   looks, and, only when the prompt names no place, one place (plain words, checked).
2. scenes: a JSON schema (a llama.cpp grammar for the embedded models) whose ``foreground`` and
   ``background`` are enums of the declared names, with one slot per scene whose event opens with
   its story beat's word (beginning … turn … ending), the characters together in the ending, and
   camera moves drawn from a different group in consecutive scenes, so moves vary.
   The event is the scene's one sentence: the narrator reads it and the subtitle shows it, and the
   clip's action is its verb phrase, cut by rule (``action_from_event``). The model writes no second
   and third free text per scene, which cost a third of the planning time and were where strangers,
   first person and cut sentences came from.
Near-duplicate events are sent back; what the grammar cannot say (a cast member no scene shows)
is mended and noted.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from videodrafter.llm.prompt_prefix import example_answer
from videodrafter.llm.structured import OutputProblem, extract_json_object, generate_structured, json_response_formats
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.cast import Cast, CastMember, CastRole, nearest_place
from videodrafter.planning.draft import ConvertedScript, ScriptDraft
from videodrafter.planning.grounding_checks import FIRST_PERSON, NEVER_LAST, STRANDABLE, is_meta_text, repeated_events, story_words, strangers, unfamiliar_word, user_asked_for_camera
from videodrafter.planning.narrator_lines import ground_script_narration
from videodrafter.planning.noun_phrases import PRONOUNS
from videodrafter.planning.shot_choice import choose_continued_shots
from videodrafter.planning.verb_phrases import agree, called, can_be_verb, is_plural, prompt_verb, starts_with_a_verb
from videodrafter.prompts import FewShotExample, PromptSet
from videodrafter.script import (
    CameraDirection,
    CameraMove,
    CameraSpeed,
    Entity,
    EntityKind,
    Scene,
    VideoScript,
)

logger = logging.getLogger(__name__)

CAMERA_GROUPS: tuple[tuple[CameraDirection, ...], ...] = (
    (CameraDirection.ZOOM_IN, CameraDirection.STATIC),
    (CameraDirection.LEFT, CameraDirection.RIGHT),
    (CameraDirection.ZOOM_OUT, CameraDirection.UP, CameraDirection.DOWN),
)
"""Disjoint groups taken in turn: any three scenes in a row use three different moves."""
BEAT_OPENINGS = {
    "beginning": ("One day", "At first", "In the beginning"),
    "middle": ("Then", "Next", "Soon", "Later"),
    "turn": ("Suddenly", "But then", "All at once"),
    "ending": ("Finally", "In the end", "At last"),
}
"""Each event opens with a word of its beat: the story moves on, and scenes cannot start as copies."""
EVENT_TEXT = "[A-Za-z0-9 ,;'-]{12,120}[.!]"
"""One sentence: no full stop inside, so the model ends it instead of being cut off mid-word."""
PREDICATE_TEXT = "[a-z][a-z ,;']{8,110}[a-z][.!]"
"""What the subject does, in lower case (no 'I', no invented Name), ending on a letter ('make-.' was cut)."""
LOOKS_MAX = 90
"""A short phrase per cast member: enrichment writes the long description later, for common entities."""
MAX_FOREGROUND = 3


class CastAnswer(BaseModel):
    """The cast step's answer."""

    title: str = Field(min_length=1, max_length=100)
    looks: dict[str, str]


class SceneAnswer(BaseModel):
    foreground: list[str] = Field(max_length=MAX_FOREGROUND)
    background: str
    event: str = Field(min_length=5, max_length=300)
    camera_direction: CameraDirection
    camera_speed: CameraSpeed


class ScenesAnswer(BaseModel):
    scenes: list[SceneAnswer] = Field(min_length=1)


def story_beats(count: int) -> list[str]:
    """A beat per scene: a beginning, middles, a turn and an ending."""
    if count == 1:
        return ["the whole story"]
    if count == 2:
        return ["beginning", "ending"]
    return ["beginning", *["middle"] * (count - 3), "turn", "ending"]


def camera_choices(count: int, *, free: bool) -> list[list[str]]:
    every = [direction.value for direction in CameraDirection]
    if free:
        return [every] * count
    return [[direction.value for direction in CAMERA_GROUPS[index % len(CAMERA_GROUPS)]] for index in range(count)]


def scene_count(min_scenes: int, max_scenes: int, cast: Cast) -> int:
    """The grammar fixes the count: four by default, more for a larger cast, within the bounds."""
    wanted = max(4, len(cast.foreground) + 1)
    return min(max(wanted, min_scenes), max_scenes)


def cast_schema(names: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": {"type": "string", "minLength": 3, "maxLength": 60},
        "looks": {
            "type": "object",
            "properties": {name: {"type": "string", "minLength": 3, "maxLength": LOOKS_MAX} for name in names},
            "required": names,
            "additionalProperties": False,
        },
    }
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _literal(text: str) -> str:
    """``text`` as a pattern that matches itself, in the subset llama.cpp's schema converter reads:
    it keeps an escape such as Python's escaped space or '\\.' in the grammar, which llama.cpp then
    cannot parse, so a special character is written as a class of its own ('Mr[.] Toad')."""
    return "".join(f"[{char}]" if char in ".^$*+?(){}|" else ("" if char in "[]\\" else char) for char in text)


def _event_schema(beat: str, subjects: list[str]) -> dict[str, Any]:
    """The event opens with its beat's word, then names one or two of the cast as its subject
    ('Then, the fox and the crow …'), then what they do: the sentence cannot start elsewhere ('All at
    once of what was built …') or tell of 'he', and a lower-case predicate names no one new."""
    openings = BEAT_OPENINGS.get(beat)
    if not openings:
        return {"type": "string", "minLength": 15, "maxLength": 200}
    if not subjects:  # scenery: the sentence is the place's
        return {"type": "string", "pattern": f"^({'|'.join(openings)}),? {EVENT_TEXT}$"}
    who = "|".join(map(_literal, subjects))
    predicate = PREDICATE_TEXT
    names = [subject for subject in subjects if subject[:1].isupper()]
    if names:  # 'Luna' may be named again inside the sentence
        predicate = f"[a-z]([a-z ,;']|{'|'.join(map(_literal, names))}){{8,110}}[a-z][.!]"
    return {"type": "string", "pattern": f"^({'|'.join(openings)}),? ({who})( and ({who}))? {predicate}$"}


def _with_opening(event: str, beat: str, number: int) -> str:
    """An example event rewritten the way the grammar asks ('Then, the cat …')."""
    openings = BEAT_OPENINGS.get(beat)
    if not openings:
        return event
    return f"{openings[number % len(openings)]}, {event[:1].lower()}{event[1:]}"


def scenes_schema(
    foreground: list[str], places: list[str], beats: list[str], cameras: list[list[str]], together: list[str]
) -> dict[str, Any]:
    """One object per scene, in order; names can only be the declared ones."""
    slots = []
    for beat, camera in zip(beats, cameras, strict=True):
        cast_in_scene: dict[str, Any] = {
            "type": "array", "items": {"enum": foreground}, "minItems": 1, "maxItems": min(MAX_FOREGROUND, len(foreground)),
        }
        if not foreground:
            cast_in_scene = {"const": []}  # 'a sunset over the ocean': scenery only
        elif beat == "ending" and together:
            cast_in_scene = {"const": together}
        properties = {
            "foreground": cast_in_scene,
            "background": {"enum": places},
            "event": _event_schema(beat, [called(name) for name in foreground]),
            "camera_direction": {"enum": camera},
            "camera_speed": {"enum": [speed.value for speed in CameraSpeed]},
        }
        slots.append({"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False})
    count = len(beats)
    return {
        "type": "object",
        "properties": {"scenes": {"type": "array", "prefixItems": slots, "minItems": count, "maxItems": count}},
        "required": ["scenes"],
        "additionalProperties": False,
    }


def _example_cast(example: FewShotExample) -> tuple[Cast, ScriptDraft]:
    draft = ScriptDraft.model_validate(example.draft)
    places = {scene.background for scene in draft.scenes}
    members = [
        CastMember(name=entity.name, role=CastRole.PLACE if entity.name in places else CastRole.CHARACTER, source=entity.name)
        for entity in draft.entities
    ]
    return Cast(members=members), draft


def _cast_messages(prompt: str, cast: Cast, prompt_set: PromptSet) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage(content=prompt_set.render("cast_system"))]
    for example in prompt_set.examples[:1]:  # the grammar holds the format; one example shows the style
        example_cast, draft = _example_cast(example)
        messages.append(HumanMessage(content=prompt_set.render("cast_user", prompt=example.prompt, cast=example_cast.members)))
        answer = CastAnswer(title=draft.title, looks={entity.name: entity.description for entity in draft.entities})
        messages.append(example_answer(answer.model_dump_json()))
    messages.append(HumanMessage(content=prompt_set.render("cast_user", prompt=prompt, cast=cast.members)))
    return messages


def _scenes_messages(
    prompt: str, entities: list[Entity], count: int, prompt_set: PromptSet, instructions: str
) -> list[BaseMessage]:
    def user(idea: str, listed: list[tuple[str, str, EntityKind]], scenes: int, asked: str = "") -> HumanMessage:
        return HumanMessage(
            content=prompt_set.render(
                "scenes_user",
                prompt=idea,
                foreground=[(name, looks) for name, looks, kind in listed if kind is EntityKind.FOREGROUND],
                places=[(name, looks) for name, looks, kind in listed if kind is EntityKind.BACKGROUND],
                scenes=scenes,
                instructions=asked,
            )
        )

    messages: list[BaseMessage] = [SystemMessage(content=prompt_set.render("scenes_system"))]
    for example in prompt_set.examples:
        example_cast, draft = _example_cast(example)
        looks = {entity.name: entity.description for entity in draft.entities}
        messages.append(user(example.prompt, [(m.name, looks[m.name], m.kind) for m in example_cast.members], len(draft.scenes)))
        beats = story_beats(len(draft.scenes))
        answer = {
            "scenes": [
                {
                    "foreground": scene.foreground, "background": scene.background,
                    "event": _with_opening(scene.event, beat, number), "camera_direction": scene.camera_direction.value, "camera_speed": scene.camera_speed.value,
                }
                for number, (beat, scene) in enumerate(zip(beats, draft.scenes, strict=True))
            ]
        }
        messages.append(example_answer(ScenesAnswer.model_validate(answer).model_dump_json()))
    messages.append(user(prompt, [(entity.name, entity.description, entity.kind) for entity in entities], count, instructions))
    return messages


def write_cast(
    prompt: str, cast: Cast, model: BaseChatModel, prompt_set: PromptSet, *, max_attempts: int, usage: TokenUsage
) -> tuple[str, list[Entity], list[str]]:
    """(title, entities, notes): the cast step."""
    notes: list[str] = []
    members = list(cast.members)
    if not any(member.role is CastRole.PLACE for member in members):
        # A place the prompt implies ('robots build a sandcastle' happen on a beach); a small model's
        # own suggestions were invented words or a character's name.
        place = nearest_place(prompt)
        members = [member for member in members if member.role is not CastRole.SETTING]
        members.append(CastMember(name=place, role=CastRole.PLACE, source=prompt))
        notes.append(f"the prompt names no place; the story is set in the nearest place to its words, '{place}'")
    names = [member.name for member in members]
    answer = generate_structured(
        model,
        _cast_messages(prompt, Cast(members=members, settings=cast.settings), prompt_set),
        lambda text, _last: CastAnswer.model_validate(extract_json_object(text)),
        max_attempts=max_attempts,
        usage=usage,
        feedback=lambda problem: prompt_set.render("plan_feedback", problem=problem),
        response_formats=json_response_formats("Cast", cast_schema(names)),
        stage="cast",
    ).value
    entities = []
    known = story_words([], " ".join([prompt, *names]))  # the prompt's words and the cast's names
    for member in members:
        looks = " ".join(answer.looks.get(member.name, "").split()).strip(" .")
        if is_meta_text(looks, f"{member.name} {prompt}") or FIRST_PERSON.search(looks) or unfamiliar_word(looks, known):
            looks = ""  # 'the photographer chose…', 'my kite', 'a fluffy keddle': not a look of the thing
        description = looks or (f"a {member.described_as}" if member.described_as else member.name)
        if member.described_as and member.described_as not in description.lower():
            description = f"a {member.described_as}: {description}"
        entities.append(Entity(id=member.id, name=member.name, kind=member.kind, description=description))
    if cast.settings:
        # Weather and time of day belong to every place of the story ('a rainy city at night').
        when = ", ".join(cast.settings)
        entities = [
            entity.model_copy(update={"description": f"{entity.description}, {when}"})
            if entity.kind is EntityKind.BACKGROUND and when not in entity.description else entity
            for entity in entities
        ]
    return " ".join(answer.title.split()) or prompt[:100], entities, notes


BEAT_ACTIONS = {"beginning": "arrives", "middle": "plays", "turn": "stops short", "ending": "rests", "the whole story": "plays"}
"""What a retold scene's cast does when the model's action cannot be kept (see ``told_by_the_cast``)."""
TOLD_ACTION_WORDS = 6
SCENERY_ACTION = "the light changes slowly"
"""The motion of a scene without a cast whose sentence gives none."""


_OPENING = re.compile(rf"^(?:{'|'.join(o for openings in BEAT_OPENINGS.values() for o in openings)}),?\s+", re.IGNORECASE)
_WANTS_MORE = frozenset("begins starts decides tries wants needs likes loves hates continues begin start decide try want need like continue".split())
"""Verbs a phrase cannot end on: what comes next was cut ('comes over and begins')."""
_PHRASE_STARTS = frozenset("into onto across along through over under near behind toward towards past around and or".split())
_CLAUSE_END = re.compile(r"[,;:.!?]|\s(?:and then|while|because|before|after|until|so that|as soon as)\s", re.IGNORECASE)


def action_from_event(event: str, subject: str, entities: list[Entity], prompt: str, beat: str) -> str:
    """The clip's action from the scene's sentence: its first clause without the beat's opening and
    the subject ('Then, the dog digs a hole in the sand, …' → 'digs a hole in the sand'), at most
    ``TOLD_ACTION_WORDS`` words ending on a word a phrase can end on; the beat's verb when nothing
    usable is left (see ``own_action``)."""
    text = _OPENING.sub("", " ".join(event.split()))
    after_subject = re.search(rf"\b{re.escape(subject)}\s+", text, re.IGNORECASE) if subject else None
    if after_subject:  # 'Later that night, the dog digs …': the verb phrase follows the subject
        text = text[after_subject.end() :]
    words = _CLAUSE_END.split(text, maxsplit=1)[0].split()
    if after_subject and words and words[0].lower() == "and":  # 'the dog and the girl build …': past the company too
        heads = {entity.name.split()[-1].lower() for entity in entities}
        ends = [index for index, word in enumerate(words[:5]) if word.lower().removesuffix("'s") in heads]
        words = words[ends[0] + 1 :] if ends else []
    if len(words) > TOLD_ACTION_WORDS:  # cut before a phrase rather than inside one ('meets the crow | in the snowy')
        words = words[:TOLD_ACTION_WORDS]
        cuts = [index for index, word in enumerate(words) if index > 1 and word.lower() in STRANDABLE | _PHRASE_STARTS]
        words = words[: cuts[-1]] if cuts else words
    while words and words[-1].lower().strip("'") in NEVER_LAST | STRANDABLE | _WANTS_MORE:
        words.pop()  # 'digs a hole in the' → 'digs a hole', 'comes over and begins' → 'comes over'
    if not subject:  # scenery: 'the waves roll onto the shore' is the motion
        return " ".join(words) if words and not strangers(" ".join(words), entities, prompt) else SCENERY_ACTION
    return own_action(" ".join(words), subject, entities, prompt, beat)


def own_action(action: str, subject: str, entities: list[Entity], prompt: str, beat: str) -> str:
    """The model's action as a verb phrase for ``subject`` ('nuzzles the towel'), or the beat's own verb
    (a middle beat: the prompt's verb, when the prompt gives it to this subject) when it is a sentence
    of its own ('It ate half of the pizza…'), has no verb ('that night') or tells of anyone but the
    cast, even as what is acted on ('runs into a friend')."""
    text = " ".join(action.split()).rstrip(".!")
    if text.lower().startswith(f"{subject.lower()} "):
        text = text[len(subject) + 1 :]  # 'the dog nuzzles the towel': the subject is said once
    words = text.split()
    plural = is_plural(subject)
    if (
        words and words[0].lower() not in PRONOUNS and len(words) <= TOLD_ACTION_WORDS and starts_with_a_verb(text)
        and not strangers(f"{subject} {text}.", entities, prompt, acting_only=False) and not FIRST_PERSON.search(text)
        and not unfamiliar_word(text, story_words(entities, prompt))
    ):
        return text  # as the model wrote it for the sentence's subject ('the crow and the fox cross …')
    return agree(beat_action(subject, entities, prompt, beat), plural)


def beat_action(subject: str, entities: list[Entity], prompt: str, beat: str) -> str:
    """What a scene's subject does when nothing the model wrote can be kept: the prompt's own verb in
    the story's middle ('the red fox hunts'), else the beat's ('arrives', 'stops short', 'rests')."""
    if beat in ("middle", "the whole story"):
        given = prompt_verb(prompt, entities)
        if given and subject.lower().split()[-1:] == [given[0]]:
            return given[1]
    return BEAT_ACTIONS.get(beat, "plays")


def told_by_the_cast(scene: Scene, entities: list[Entity], beat: str, number: int, prompt: str) -> Scene:
    """The scene retold with only its own cast ('Then, the dog nuzzles the towel with the girl at the
    beach.'): the model's event told of someone the story does not have. The embedded models do not
    act on that feedback, so the scene is retold at once instead of asked for again. The scene shows
    someone (a place-only scene keeps its event)."""
    by_id = {entity.id: entity for entity in entities}
    names = [called(by_id[entity_id].name) for entity_id in scene.foreground]
    who = names[0]
    action = own_action(scene.action, who, entities, prompt, beat)
    if action.split()[:1] and can_be_verb(action.split()[0]):
        action = agree(action, is_plural(who))  # the retold sentence's subject is one: 'the crow crosses … with the fox'
    # 'dares the fox', 'follows footprints': named already
    others = [name for name in names[1:] if not re.search(rf"\b{re.escape(name.split()[-1])}\b", action, re.IGNORECASE)]
    company = f" with {' and '.join(others)}" if others else ""
    place = by_id[scene.background].name
    where = "" if re.search(rf"\b{re.escape(place.split()[-1])}\b", action, re.IGNORECASE) else f" at the {place}"  # 'around the kitchen'
    told = f"{who} {action}{company}{where}."
    openings = BEAT_OPENINGS.get(beat)
    event = f"{openings[number % len(openings)]}, {told}" if openings else told[:1].upper() + told[1:]
    return scene.model_copy(update={"event": event, "action": action})


def sentence_subject(event: str, entities: list[Entity]) -> tuple[list[str], str] | None:
    """(the ids of the cast the event opens with, the rest of the sentence) for an event the grammar
    wrote ('Then, the fox and the crow race …' → (['fox', 'crow'], 'race …')); None when it does not
    open with the cast."""
    text = _OPENING.sub("", event)
    callings = sorted(((called(entity.name), entity.id) for entity in entities if entity.kind is EntityKind.FOREGROUND), key=lambda c: -len(c[0]))
    ids: list[str] = []
    while True:
        bare = [(called.removeprefix("the "), entity_id) for called, entity_id in callings] if ids else []  # 'the cat and mouse'
        match = next(((called, entity_id) for called, entity_id in [*callings, *bare] if text.lower().startswith(f"{called.lower()} ")), None)
        if match is None:
            if ids:  # 'the girl and the dog …' for a 'brown dog': a subject of other words, not read here
                return None
            break
        ids.append(match[1])
        text = text[len(match[0]) + 1 :]
        if not text.lower().startswith("and "):
            break
        text = text[4:]
    return (list(dict.fromkeys(ids)), text) if ids else None


def _scene_parser(entities: list[Entity], beats: list[str], prompt: str):
    by_name = {entity.name: entity for entity in entities}
    by_id = {entity.id: entity for entity in entities}

    def parse(text: str, last_attempt: bool) -> tuple[list[Scene], list[str]]:
        answer = ScenesAnswer.model_validate(extract_json_object(text))
        without_verb: list[int] = []
        if len(answer.scenes) != len(beats):
            raise OutputProblem(f"write exactly {len(beats)} scenes")
        scenes = []
        for number, scene in enumerate(answer.scenes, start=1):
            unknown = [name for name in [*scene.foreground, scene.background] if name not in by_name]
            if unknown:
                raise OutputProblem(f"scene {number} names {', '.join(map(repr, unknown))}, which is not in the cast")
            event = " ".join(scene.event.split())
            foreground = list(dict.fromkeys(by_name[name].id for name in scene.foreground))
            opened = sentence_subject(event, entities) if foreground else None
            if opened:  # the sentence's subject is who the scene is about: first in the picture, and shown
                foreground = list(dict.fromkeys([*opened[0], *foreground]))[:MAX_FOREGROUND]
            subject = called(by_id[foreground[0]].name) if foreground else ""
            scenes.append(
                Scene(
                    event=event,
                    action=action_from_event(event, subject, entities, prompt, beats[number - 1]),
                    foreground=foreground,
                    background=by_name[scene.background].id,
                    camera=CameraMove(direction=scene.camera_direction, speed=scene.camera_speed),
                )
            )
            if foreground and (opened is None or not starts_with_a_verb(opened[1])):
                without_verb.append(number)
        notes = []
        probe = VideoScript(prompt="-", entities=entities, scenes=scenes)
        duplicates = repeated_events(probe)  # MiniLM, or word overlap without the embedder
        if duplicates:
            problem = "; ".join(f"scene {later + 1} tells the same event as scene {earlier + 1}" for earlier, later in duplicates)
            if not last_attempt:
                raise OutputProblem(f"{problem}. Make every scene a new step of the story.")
            notes.append(f"kept although {problem}")
        # after the duplicate check: two plain retold scenes are not the model's repetition
        told = {number: strangers(f"{scene.event} {scene.action}", entities, prompt, acting_only=False) for number, scene in enumerate(scenes, start=1)}
        for number in without_verb:  # 'Soon, the red fox that night at the snowy forest.'
            if not told[number]:
                scenes[number - 1] = told_by_the_cast(scenes[number - 1], entities, beats[number - 1], number, prompt)
                notes.append(f"scene {number} did not say what its cast does; it was retold with its own cast")
        for number, others in told.items():
            others = list(dict.fromkeys(others))
            if others and scenes[number - 1].foreground:
                scenes[number - 1] = told_by_the_cast(scenes[number - 1], entities, beats[number - 1], number, prompt)
                who = ", ".join(map(repr, others))
                notes.append(f"scene {number} told of {who}, who {'is' if len(others) == 1 else 'are'} not in the story; it was retold with its own cast")
        return scenes, notes

    return parse


def _names(entity: Entity, text: str) -> bool:
    return re.search(rf"\b{re.escape(entity.name.split()[-1].lower())}s?\b", text.lower()) is not None


def show_every_member(scenes: list[Scene], entities: list[Entity]) -> tuple[list[Scene], list[str]]:
    """Show who an event names, and put each foreground entity no scene shows where it is told.

    The picture follows the text: 'the fox and the crow hop across' shows both. An entity in no
    scene joins the scene whose event names it, else the emptiest.
    """
    notes = []
    scenes = [scene.model_copy(deep=True) for scene in scenes]
    for scene in scenes:
        for entity in entities:
            if entity.kind is EntityKind.FOREGROUND and entity.id not in scene.foreground and len(scene.foreground) < MAX_FOREGROUND and _names(entity, scene.event):
                scene.foreground.append(entity.id)
                notes.append(f"scene {scenes.index(scene) + 1} tells of '{entity.name}', so it shows it too")
    for entity in entities:
        if entity.kind is EntityKind.BACKGROUND and not any(scene.background == entity.id for scene in scenes):
            # a place the prompt names ('from the forest to the river'): the scene that tells of it, else
            # the last scene of the most used place (the story travels there)
            crowded = Counter(scene.background for scene in scenes).most_common(1)[0][0]
            target = next((scene for scene in scenes if _names(entity, scene.event)), None) or [s for s in scenes if s.background == crowded][-1]
            if Counter(scene.background for scene in scenes)[target.background] > 1:
                target.background = entity.id
                notes.append(f"'{entity.name}' was in no scene; scene {scenes.index(target) + 1} is set there")
            continue
        if entity.kind is not EntityKind.FOREGROUND or any(entity.id in scene.foreground for scene in scenes):
            continue
        room = [scene for scene in scenes if len(scene.foreground) < MAX_FOREGROUND]
        if not room:
            continue
        target = min(room, key=lambda scene: len(scene.foreground))
        target.foreground.append(entity.id)
        notes.append(f"'{entity.name}' was in no scene; it was added to scene {scenes.index(target) + 1}")
    return scenes, notes


def plan_grounded(
    prompt: str,
    cast: Cast,
    model: BaseChatModel,
    prompt_set: PromptSet,
    *,
    min_scenes: int,
    max_scenes: int,
    max_attempts: int,
    usage: TokenUsage,
    instructions: str = "",
) -> tuple[ConvertedScript, int, list[str]]:
    """(script with notes, attempts of the scene step, problems fed back) for one prompt."""
    title, entities, notes = write_cast(prompt, cast, model, prompt_set, max_attempts=max_attempts, usage=usage)
    count = scene_count(min_scenes, max_scenes, cast)
    beats = story_beats(count)
    foreground = [entity.name for entity in entities if entity.kind is EntityKind.FOREGROUND]
    places = [entity.name for entity in entities if entity.kind is EntityKind.BACKGROUND]
    characters = [member.name for member in cast.characters if member.name in foreground]
    together = characters if 2 <= len(characters) <= MAX_FOREGROUND else []
    schema = scenes_schema(foreground, places, beats, camera_choices(count, free=user_asked_for_camera(prompt)), together)
    result = generate_structured(
        model,
        _scenes_messages(prompt, entities, count, prompt_set, instructions),
        _scene_parser(entities, beats, prompt),
        max_attempts=max_attempts,
        usage=usage,
        feedback=lambda problem: prompt_set.render("plan_feedback", problem=problem),
        response_formats=json_response_formats("Scenes", schema),
        stage="script",
    )
    scenes, scene_notes = result.value
    scenes, mended = show_every_member(scenes, entities)
    used = {entity_id for scene in scenes for entity_id in [*scene.foreground, scene.background]}
    unused = [entity.name for entity in entities if entity.id not in used]
    if unused:
        mended.append(f"entities no scene uses were left out: {', '.join(unused)}")
    script = VideoScript(prompt=prompt, title=title, entities=[e for e in entities if e.id in used], scenes=scenes)
    script, narration_notes = ground_script_narration(script)  # the grammar cannot know which words are names
    script, shot_notes = choose_continued_shots(script)  # the grammar has no 'shot': chosen from place, cast and time
    notes = [*notes, *scene_notes, *mended, *narration_notes, *shot_notes]
    return ConvertedScript(script=script, notes=notes), result.attempts, result.problems
