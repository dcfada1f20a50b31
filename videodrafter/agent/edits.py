"""What a chat message can ask for: typed commands, each of which carries itself out.

The chat agent gets commands from a small grammar, from the LLM's JSON answer, or from a
tool-calling model's tool calls. A command class is its own description (the docstring, which a
tool-calling LLM reads), its typed arguments and its ``apply``; the tools and the JSON schema
offered to the LLM are derived from the classes, so a new command is one class in this module.
A script edit never touches files: the runner then regenerates exactly the artifacts whose inputs
changed.
"""

from __future__ import annotations

import inspect
import re
from abc import abstractmethod
from pathlib import Path
from typing import Annotated, ClassVar, Literal, NamedTuple, Protocol, Union

from pydantic import BaseModel, Field

from videodrafter.colours import COLOR_WORDS
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.planning.cast import SPATIAL, CastMember, CastRole, extract_cast
from videodrafter.planning.constrained_planner import MAX_FOREGROUND
from videodrafter.planning.grounding_checks import REFERRING_WORDS, SAME_CHARACTER, member_in_script
from videodrafter.planning.narrator_lines import spoken_sentence
from videodrafter.planning.noun_phrases import noun_phrases
from videodrafter.script import (
    CameraDirection,
    CameraMove,
    CameraSpeed,
    Entity,
    EntityKind,
    NARRATION_MAX_CHARS,
    Scene,
    ShotKind,
    VideoScript,
    can_continue,
    entity_id_from_name,
)
from videodrafter.text import content_words


class Conversation(Protocol):
    """What a command may do to the chat session it was asked in (``chat.ChatTurn`` is the session's side)."""

    def draft(self) -> VideoScript:
        """The script being edited; an InputError when no video has been made yet."""
        ...

    def start_video(self, prompt: str) -> tuple[VideoScript, Path]:
        """Make a new video about ``prompt`` and edit that one from now on: its script and its video file."""
        ...

    def replace_draft(self, script: VideoScript) -> Path:
        """Keep the current draft for `undo` and apply ``script`` to the run: the updated video file."""
        ...

    def go_back(self) -> str:
        """Return to the version before the last change; what happened, in words."""
        ...

    def ask(self, proposals: list[str]) -> None:
        """Remember the proposals of a question, so the next message can pick one by number."""
        ...

    def write_scene(self, script: VideoScript, request: str) -> tuple[str, str, CameraMove | None]:
        """Event, action and camera of a new scene in the user's words (the LLM's help; blank where it has none)."""
        ...


_COMMANDS: list[type[EditCommand]] = []


class EditCommand(BaseModel):
    """A request a chat message can make. Subclasses: a ``command`` literal (the class name in snake
    case), a docstring saying what it does, and ``apply``."""

    offered_to_llm: ClassVar[bool] = True
    """Whether an LLM may choose it (as a tool or in the JSON schema); otherwise only the grammar reads it."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if inspect.isabstract(cls):
            return
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
        field = cls.model_fields.get("command")
        if field is None or field.default != name:
            raise TypeError(f"{cls.__name__} needs the field command: Literal[{name!r}] = {name!r}")
        if not cls.__doc__:
            raise TypeError(f"{cls.__name__} needs a docstring: it is the description the LLM reads")
        _COMMANDS.append(cls)

    @abstractmethod
    def apply(self, conversation: Conversation) -> str:
        """Do what the command asks; the reply to the user."""


class EditedScript(NamedTuple):
    script: VideoScript
    summary: str
    """What changed, and what a user may think changed but did not."""


class ScriptEdit(EditCommand):
    """A change to the draft's script; the runner makes again only the artifacts whose inputs changed."""

    def edit(self, script: VideoScript, conversation: Conversation | None = None) -> EditedScript:
        """The edited script (``script`` itself is left as it was) and a summary of the change.

        Who and what a new or rewritten scene names that the cast lacks joins the cast and that scene
        (see ``welcome_newcomers``). A continued shot that the edit left without its scene before
        (moved, removed, a new place) becomes a cut. The summary says so."""
        edited = welcome_newcomers(script, self.rewrite(script.model_copy(deep=True), conversation))
        broken = [index for index, scene in enumerate(edited.script.scenes) if scene.continues and not can_continue(edited.script, index)]
        if not broken:
            return edited
        fixed = edited.script.model_copy(deep=True)
        for index in broken:
            fixed.scenes[index].shot = ShotKind.CUT
        numbers = ", ".join(str(index + 1) for index in broken)
        return EditedScript(fixed, f"{edited.summary}\nscene(s) {numbers} no longer continue the shot before them: now a cut")

    @abstractmethod
    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        """Change ``script``, a private copy, in place or into a new one."""

    def apply(self, conversation: Conversation) -> str:
        edited = self.edit(conversation.draft(), conversation)
        video = conversation.replace_draft(edited.script)
        return f"Done: {edited.summary}\nUpdated video: {video}"


class MakeVideo(EditCommand):
    """Start a new video about a topic."""

    command: Literal["make_video"] = "make_video"
    prompt: str = Field(min_length=1, description="What the video is about.")

    def apply(self, conversation: Conversation) -> str:
        script, video = conversation.start_video(self.prompt)
        return f"Here is your video ({len(script.scenes)} scenes): {video}\n{script_text(script)}"


class ChangeEntity(ScriptEdit):
    """Change how a character, object or place looks (e.g. 'make the dog brown')."""

    command: Literal["change_entity"] = "change_entity"
    entity: str = Field(description="The entity's name as used in the script.")
    change: str = Field(min_length=1, description="The new trait, e.g. 'brown' or 'wearing a hat'.")

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        entity = find_entity(script, self.entity)
        others = similar_entities(script, entity, self.entity)
        old_name = entity.name
        entity.description = recolour(entity.description or entity.name, self.change)
        if any(word in COLOR_WORDS for word in content_words(entity.name)):
            entity.name = recolour(entity.name, self.change)
        scenes = [str(index + 1) for index in script.scenes_with(entity.id)]
        summary = f"'{entity.name}' is now: {entity.description} (changed: '{old_name}', in scene(s) {', '.join(scenes) or 'none'})"
        for other in others:
            where = ", ".join(str(index + 1) for index in script.scenes_with(other.id)) or "none"
            summary += (
                f"\nNot changed: '{other.name}' (scene(s) {where}) is a different entity; "
                f"say \"make the {other.name} {self.change}\" to change it too."
            )
        return EditedScript(VideoScript.model_validate(script.model_dump()), summary)


class AddScene(ScriptEdit):
    """Add a scene at the end (or after a given scene)."""

    command: Literal["add_scene"] = "add_scene"
    request: str = Field(min_length=1, description="What the new scene shows, in the user's words.")
    event: str = Field(default="", description="One sentence for the scene's event (filled in if empty).")
    action: str = Field(default="", description="The scene's single action (filled in if empty).")
    after: int | None = Field(default=None, ge=0, description="Insert after this scene number (None: at the end).")

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        if self.event or conversation is None:
            event, action, camera = self.event, self.action, None
        else:
            event, action, camera = conversation.write_scene(script, self.request)
        script, new_scene = scene_for_request(script, self.request, event, action, camera)
        if self.after is None:
            position = len(script.scenes)
        elif self.after == 0:
            position = 0
        else:
            position = _scene_index(script, self.after) + 1
        script.scenes.insert(position, new_scene)
        return EditedScript(VideoScript.model_validate(script.model_dump()), f"scene {position + 1} added: {new_scene.event}")


class SwapScenes(ScriptEdit):
    """Swap two scenes (1-based numbers)."""

    command: Literal["swap_scenes"] = "swap_scenes"
    first: int = Field(ge=1)
    second: int = Field(ge=1)

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        first, second = _scene_index(script, self.first), _scene_index(script, self.second)
        script.scenes[first], script.scenes[second] = script.scenes[second], script.scenes[first]
        return EditedScript(script, f"scenes {self.first} and {self.second} swapped")


class RemoveScene(ScriptEdit):
    """Remove one scene (1-based number)."""

    command: Literal["remove_scene"] = "remove_scene"
    scene: int = Field(ge=1)

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        index = _scene_index(script, self.scene)
        if len(script.scenes) == 1:
            raise InputError("A video needs at least one scene.", "Add another scene before removing this one.")
        del script.scenes[index]
        used = {entity_id for scene in script.scenes for entity_id in [*scene.foreground, scene.background]}
        script.entities = [entity for entity in script.entities if entity.id in used]
        return EditedScript(script, f"scene {self.scene} removed")


class SetCamera(ScriptEdit):
    """Change a scene's camera move."""

    command: Literal["set_camera"] = "set_camera"
    scene: int = Field(ge=1)
    direction: CameraDirection
    speed: CameraSpeed = CameraSpeed.MEDIUM

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        index = _scene_index(script, self.scene)
        script.scenes[index].camera = CameraMove(direction=self.direction, speed=self.speed)
        return EditedScript(script, f"scene {self.scene} now has camera: {script.scenes[index].camera.label()}")


class SetNarration(ScriptEdit):
    """Change what the narrator says over one scene (only that scene's speech is made again)."""

    command: Literal["set_narration"] = "set_narration"
    scene: int = Field(ge=1)
    narration: str = Field(max_length=NARRATION_MAX_CHARS, description="The new line, one or two sentences; empty: the event is read.")

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        index = _scene_index(script, self.scene)
        line = spoken_sentence(" ".join(self.narration.split()).strip("\"'“”"))
        script.scenes[index].narration = line
        return EditedScript(script, f"scene {self.scene} now says: {line or '(its event)'}")


class SetShot(ScriptEdit):
    """Make a scene continue the shot before it (same place and cast: its clip starts where the previous one ends) or a cut."""

    command: Literal["set_shot"] = "set_shot"
    scene: int = Field(ge=1)
    shot: ShotKind

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        index = _scene_index(script, self.scene)
        if self.shot is ShotKind.CONTINUE and not can_continue(script, index):
            why = "it is the first scene" if index == 0 else f"its place or characters differ from scene {index}'s"
            raise InputError(
                f"Scene {self.scene} cannot continue the shot before it: {why}.",
                "A continued shot keeps the previous scene's place and characters; change them first, or keep it a cut.",
            )
        script.scenes[index].shot = self.shot
        what = f"continues scene {index}" if self.shot is ShotKind.CONTINUE else "is a cut (a new shot)"
        return EditedScript(script, f"scene {self.scene} now {what}")


class RedoScene(ScriptEdit):
    """Draw a scene's picture and clip again with a new seed (or a given one); the rest of the video is kept."""

    command: Literal["redo_scene"] = "redo_scene"
    scene: int = Field(ge=1)
    seed: int | None = Field(default=None, ge=0, lt=2**31 - 1, description="The seed to draw with; empty: a new one.")

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        import secrets

        index = _scene_index(script, self.scene)
        seed = self.seed if self.seed is not None else secrets.randbelow(2**31 - 1)
        script.scenes[index].seed = seed
        return EditedScript(script, f"scene {self.scene} is drawn again (seed {seed})")


class SetMusic(ScriptEdit):
    """Put a music bed under the video ('auto': made from the story's mood) or take it away ('none'); only the final mix is made again."""

    command: Literal["set_music"] = "set_music"
    music: Literal["none", "auto"]

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        script.music = self.music
        return EditedScript(script, "the video now has music made from the story's mood" if self.music == "auto" else "the video now has no music")


class UsePhoto(ScriptEdit):
    """Use a real photo as an entity's reference."""

    command: Literal["use_photo"] = "use_photo"
    entity: str
    path: Path

    def rewrite(self, script: VideoScript, conversation: Conversation | None) -> EditedScript:
        from videodrafter.media.images import load_user_photo

        entity = find_entity(script, self.entity)
        load_user_photo(self.path)  # refuse unreadable or oversized files before anything changes
        entity.reference_image = self.path
        return EditedScript(script, f"'{entity.name}' now uses your photo {self.path.name}")


class ShowScript(EditCommand):
    """Describe the current draft."""

    command: Literal["show_script"] = "show_script"

    def apply(self, conversation: Conversation) -> str:
        return script_text(conversation.draft())


class ShowHelp(EditCommand):
    """What can be asked, with examples (answered without the LLM)."""

    offered_to_llm: ClassVar[bool] = False
    command: Literal["show_help"] = "show_help"

    def apply(self, conversation: Conversation) -> str:
        return HELP_TEXT


class Undo(EditCommand):
    """Go back to the video before the last change (answered without the LLM)."""

    offered_to_llm: ClassVar[bool] = False
    command: Literal["undo"] = "undo"

    def apply(self, conversation: Conversation) -> str:
        return conversation.go_back()


class Clarify(EditCommand):
    """A request too vague to act on: ask back, with concrete proposals the user can pick by number."""

    offered_to_llm: ClassVar[bool] = False
    command: Literal["clarify"] = "clarify"
    request: str
    proposals: list[str] = Field(min_length=1, max_length=3)

    def apply(self, conversation: Conversation) -> str:
        conversation.ask(self.proposals)
        choices = "\n".join(f"  {number}. {proposal}" for number, proposal in enumerate(self.proposals, start=1))
        return (
            f"What should change to make it that way? For example:\n{choices}\n"
            "Answer with a number, or say what you want in your own words."
        )


EDIT_TYPES: tuple[type[EditCommand], ...] = tuple(command for command in _COMMANDS if command.offered_to_llm)
"""The commands an LLM may choose: the tools bound to a tool-calling model, the JSON schema of the others."""

OfferedCommand = Annotated[Union[EDIT_TYPES], Field(discriminator="command")]  # noqa: UP007 (a union built from a tuple)
"""One of EDIT_TYPES, told apart by its ``command`` field."""


class ParsedCommand(BaseModel):
    """The LLM's reading of a message that the grammar did not understand."""

    edit: OfferedCommand


HELP_TEXT = """What you can ask (one request per message):
  make me a video about a dog at the beach   start a new video
  make the dog brown                         change how a character, object or place looks
  add a scene where the dog finds a shell    a new scene, in your words ("add a scene after scene 2 where …")
  add a scene at sunset                      a new scene at another time of day
  swap scenes 2 and 3   /   remove scene 4   reorder or cut scenes
  camera of scene 2 to zoom in fast          left, right, up, down, zoom in, zoom out, static; slow, medium, fast
  change the narration of scene 2 to …       what the narrator says over that scene (only its speech is redone)
  redo scene 2   /   redo scene 2 with seed 7  draw that scene's picture and clip again (the rest is kept)
  add music   /   no music                    a music bed made from the story's mood, or none (only the mix is redone)
  use this photo for the grandmother: /path/to/photo.jpg
  show the script                            the scene table: events, actions, cast, places, camera
  undo                                       back to the previous version (nothing already made is made again)
  help                                       this list;   quit   leave (the session is saved)"""


def script_text(script: VideoScript, width: int = 110) -> str:
    """The scene and entity tables the CLI's `script` command prints, as plain text."""
    import io

    from rich.console import Console

    from videodrafter.display import script_table

    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(script_table(script))
    return console.export_text().rstrip()


def find_entity(script: VideoScript, name: str) -> Entity:
    """The entity a user means by ``name`` ('the dog' → 'brown dog'), or a clear error."""
    wanted = content_words(name)
    best, best_score = None, 0
    for entity in script.entities:
        score = len(wanted & (content_words(entity.name) | {entity.id}))
        if score > best_score:
            best, best_score = entity, score
    if best is None:
        names = ", ".join(entity.name for entity in script.entities)
        raise InputError(f"There is no '{name}' in this video.", f"The entities are: {names}.")
    return best


def _scene_index(script: VideoScript, number: int) -> int:
    if not 1 <= number <= len(script.scenes):
        raise InputError(
            f"There is no scene {number}; the video has {len(script.scenes)} scenes.",
            f"Use a number from 1 to {len(script.scenes)}.",
        )
    return number - 1


def recolour(text: str, change: str) -> str:
    """Swap colour words in ``text`` for the colour in ``change``; otherwise append the change."""
    new_colours = [word for word in re.findall(r"[a-z]+", change.lower()) if word in COLOR_WORDS]
    if new_colours:
        replaced, count = re.subn(r"\b(" + "|".join(sorted(COLOR_WORDS, key=len, reverse=True)) + r")\b", new_colours[0], text, flags=re.IGNORECASE)
        if count:
            return replaced
        return f"{new_colours[0]} {text}".strip() if len(text.split()) <= 3 else f"{text}, {change}".strip(", ")
    return f"{text}, {change}".strip(", ")


def similar_entities(script: VideoScript, entity: Entity, asked: str) -> list[Entity]:
    """Other entities the user may also have meant: they share a noun with the name asked for
    ('the cat' → 'jumping cat' beside 'cream cat'); colour words do not make two entities alike."""
    wanted = (content_words(asked) | content_words(entity.name)) - set(COLOR_WORDS)
    return [other for other in script.entities if other.id != entity.id and wanted & (content_words(other.name) - set(COLOR_WORDS))]


TIMES_OF_DAY = {"sunset", "sunrise", "night", "dawn", "dusk", "noon", "evening", "morning", "midnight"}


CLAUSE = re.compile(r"^(?:[:,-]\s*|(?:where|in which|in that|when|that shows|showing|so that)\s+)(?P<clause>\S.*)$", re.IGNORECASE)


def request_clause(request: str) -> str | None:
    """The sentence inside 'add a scene where the cat wins a trophy' ('the cat wins a trophy'), or None
    for a request that only sets the scene ('at sunset')."""
    match = CLAUSE.match(request.strip())
    return match["clause"].strip().rstrip(".!") if match else None


def clause_action(script: VideoScript, clause: str) -> str:
    """What the clause says its subject does: the words after the first cast member it names
    ('the cat wins a trophy' → 'wins a trophy'); the whole clause when it names nobody."""
    tokens = clause.split()
    cast_words = set().union(*(content_words(e.name) for e in script.entities if e.kind is EntityKind.FOREGROUND))
    for index, token in enumerate(tokens):
        if content_words(token) & cast_words and index + 1 < len(tokens):
            return " ".join(tokens[index + 1 :])[:120]
    return clause[:120]


def scene_for_request(
    script: VideoScript, request: str, event: str = "", action: str = "", camera: CameraMove | None = None
) -> tuple[VideoScript, Scene]:
    """A new scene for 'add a scene at sunset': mentioned entities, the usual cast, a place (maybe at a new time).

    A request that is a sentence ('where the cat wins a trophy') is the scene's event, word for word."""
    words = content_words(request)
    cast = [e for e in script.entities if e.kind is EntityKind.FOREGROUND]
    foreground: list[str] = []
    for word in re.findall(r"[a-z0-9'-]+", request.lower()):  # in the order the request names them
        matches = [e for e in cast if word in content_words(e.name)]
        if matches:  # 'the cat' beside 'cream cat' and 'jumping cat': the closer name, then the one in more scenes
            best = max(matches, key=lambda e: (len(words & content_words(e.name)), len(script.scenes_with(e.id))))
            if best.id not in foreground:
                foreground.append(best.id)
    if not foreground:
        counts = {e.id: len(script.scenes_with(e.id)) for e in script.entities if e.kind is EntityKind.FOREGROUND}
        foreground = [max(counts, key=counts.get)] if counts else []
    places = [e for e in script.entities if e.kind is EntityKind.BACKGROUND]
    mentioned = [e for e in places if words & content_words(e.name)]
    background = mentioned[0] if mentioned else next(e for e in places if e.id == script.scenes[-1].background)
    time_of_day = sorted(words & TIMES_OF_DAY)
    if time_of_day and time_of_day[0] not in content_words(background.name):
        name = f"{background.name} at {time_of_day[0]}"
        new_id = entity_id_from_name(name)
        if not any(e.id == new_id for e in script.entities):
            script = script.model_copy(deep=True)
            script.entities.append(
                Entity(id=new_id, name=name, kind=EntityKind.BACKGROUND, description=f"{background.description or background.name}, at {time_of_day[0]}")
            )
        background = script.entity(new_id)
    cast = " and ".join(script.entity(entity_id).name for entity_id in foreground) or "The scene"
    clause = request_clause(request)
    if clause:
        event = clause[0].upper() + clause[1:] + "."
        action = action or clause_action(script, clause)
    event = event or f"{cast} {request.strip().rstrip('.')}".replace("  ", " ") + "."
    scene = Scene(event=event[:600], action=(action or "moves")[:300], foreground=foreground, background=background.id)
    if camera is not None:
        scene.camera = camera
    return script, scene


class Newcomer(NamedTuple):
    """Someone or something a scene's sentence names that the cast lacks."""

    member: CastMember
    head: str
    """The head noun in the singular ('crows' → 'crow')."""
    set_there: bool
    """A place the sentence puts the scene in ('… at the lighthouse'), not one it only mentions."""


NEWCOMER_ROLES = (CastRole.CHARACTER, CastRole.OBJECT, CastRole.PLACE)
"""What may join the cast from a scene's sentence, in the order it gets room in the scene (weather and time of day colour a place instead)."""


def cast_newcomers(sentence: str, script: VideoScript) -> list[Newcomer]:
    """The characters, objects and places ``sentence`` names that the script's cast lacks, characters first.

    Pronouns name no one (the cast reader skips them). A cast member's own name, a word of a cast
    member's description ('her dress' for 'a girl in a yellow dress'), a word a story uses for its own
    cast ('the bird') or another word for a member of the same kind ('the puppy' for the dog) is that
    member, not a newcomer."""
    phrases = {key: phrase for phrase in noun_phrases(sentence) for key in (phrase.written, phrase.text) if key}
    parts = set().union(*(content_words(entity.description) for entity in script.entities))
    found: list[Newcomer] = []
    for member in extract_cast(sentence).members:
        phrase = phrases.get(member.source)
        head = phrase.head_lemma if phrase and not member.described_as else member.name.split()[-1].lower()
        if member.role not in NEWCOMER_ROLES or member_in_script(member, script) or head in REFERRING_WORDS | parts:
            continue
        found.append(Newcomer(member, head, bool(phrase and phrase.preposition in SPATIAL)))
    found = [newcomer for newcomer in found if not _another_word_for_the_cast(newcomer, script)]
    return sorted(found, key=lambda newcomer: NEWCOMER_ROLES.index(newcomer.member.role))


def _another_word_for_the_cast(newcomer: Newcomer, script: VideoScript) -> bool:
    """Whether the newcomer's head means a cast member of its kind (MiniLM, the threshold the script checks use)."""
    from videodrafter.text_embedding import embed_texts

    words = sorted(set().union(*(content_words(e.name) for e in script.entities if e.kind is newcomer.member.kind)) - set(COLOR_WORDS))
    if not words:
        return False
    try:
        return float((embed_texts(words) @ embed_texts([newcomer.head])[0]).max()) >= SAME_CHARACTER
    except (ImportError, VideoDrafterError):
        return False  # without the embedder only names and their head words tell cast members apart


def welcome_newcomers(before: VideoScript, edited: EditedScript) -> EditedScript:
    """``edited`` with the newcomers of each scene whose event the edit wrote (see ``cast_newcomers``)
    in the cast and in that scene: characters and objects join its foreground while there is room
    (``MAX_FOREGROUND``), the first place the sentence sets it in becomes its background. The reference
    stage then draws each newcomer; the summary names them."""
    old_events = {scene.event for scene in before.scenes}
    changed = [index for index, scene in enumerate(edited.script.scenes) if scene.event not in old_events]
    if not changed:
        return edited
    script = edited.script.model_copy(deep=True)
    notes = [note for index in changed for note in _welcome_in_scene(script, index)]
    if not notes:
        return edited
    used = {entity_id for scene in script.scenes for entity_id in [*scene.foreground, scene.background]}
    known = {entity.id for entity in before.entities}
    script.entities = [entity for entity in script.entities if entity.id in used or entity.id in known]  # a place the newcomer replaced
    return EditedScript(VideoScript.model_validate(script.model_dump()), "\n".join([edited.summary, *notes]))


def _welcome_in_scene(script: VideoScript, index: int) -> list[str]:
    """Add the newcomers of scene ``index`` to ``script`` (in place); a note per newcomer."""
    scene, number = script.scenes[index], index + 1
    notes: list[str] = []
    placed = False
    for newcomer in cast_newcomers(scene.event, script):
        member = newcomer.member
        if member.kind is EntityKind.BACKGROUND:
            if placed or not newcomer.set_there:
                continue  # only mentioned ('dreams of a castle'): the scene stays where it was
            description, placed = ", ".join([member.name, *extract_cast(scene.event).settings]), True  # 'at sunset' colours it
        elif len(scene.foreground) >= MAX_FOREGROUND:
            notes.append(f"'{member.name}' was not added: scene {number} already shows {MAX_FOREGROUND} characters and objects")
            continue
        else:
            description = f"{member.name} the {member.described_as}" if member.described_as else member.name
        if not any(entity.id == member.id for entity in script.entities):
            script.entities.append(Entity(id=member.id, name=member.name[:120], kind=member.kind, description=description))
        if member.kind is EntityKind.BACKGROUND:
            scene.background = member.id
            notes.append(f"added '{member.name}' to the cast; scene {number} takes place there")
        else:
            scene.foreground.append(member.id)
            notes.append(f"added '{member.name}' to the cast; it appears in scene {number}")
    return notes
