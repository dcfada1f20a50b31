"""From a chat message to an edit command: a small grammar first, then the LLM's help."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from videodrafter.agent.edits import (
    EDIT_TYPES,
    AddScene,
    ChangeEntity,
    Clarify,
    EditCommand,
    MakeVideo,
    ParsedCommand,
    RemoveScene,
    SetCamera,
    SetNarration,
    RedoScene,
    SetMusic,
    SetShot,
    ShowHelp,
    ShowScript,
    SwapScenes,
    Undo,
    UsePhoto,
    find_entity,
)
from videodrafter.colours import COLOR_WORDS
from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.llm.calls import invoke_chat
from videodrafter.llm.structured import describe_validation_error, generate_json_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.prompts import PromptSet, load_prompt_set
from videodrafter.script import CameraDirection, CameraSpeed, EntityKind, ShotKind, VideoScript
from videodrafter.text import content_words

logger = logging.getLogger(__name__)

MAKE = re.compile(r"^(?:please\s+)?(?:make|create|generate|do)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:short\s+)?(?:video|film|movie|clip)\s+(?:about|of|on|where|with)\s+(?P<prompt>.+)$", re.IGNORECASE)
SWAP = re.compile(r"\bswap\s+scenes?\s+(?P<a>\d+)\s+(?:and|with|&)\s+(?:scene\s+)?(?P<b>\d+)", re.IGNORECASE)
REMOVE = re.compile(r"\b(?:remove|delete|drop|cut)\s+scene\s+(?P<n>\d+)", re.IGNORECASE)
ADD = re.compile(r"\badd\s+(?:a\s+|another\s+|one\s+more\s+)?scene(?:\s+after\s+scene\s+(?P<after>\d+))?\s*(?P<rest>.*)$", re.IGNORECASE)
CAMERA = re.compile(
    r"\bcamera\s+(?:of|in|for|on)\s+scene\s+(?P<n>\d+)\s+(?:to\s+|a\s+)?(?P<direction>zoom in|zoom out|static|left|right|up|down)(?:\s+(?P<speed>slow|medium|fast))?"
    r"|\bscene\s+(?P<n2>\d+)\s+(?:camera\s+)?(?:should\s+)?(?P<direction2>zoom in|zoom out|pan left|pan right|pan up|pan down|static)(?:\s+(?P<speed2>slow|medium|fast))?",
    re.IGNORECASE,
)
NARRATION = re.compile(
    r"\b(?:change|set|make|replace)\s+(?:the\s+)?(?:narration|narrator|voice-?over)\s+(?:of|for|in|on)\s+scene\s+(?P<n>\d+)\s*(?:to|with|:|=)\s*(?P<text>.+)$"
    r"|\bscene\s+(?P<n2>\d+)\s+(?:should\s+)?(?:says?|narration)\s*:?\s*(?P<text2>.+)$",
    re.IGNORECASE,
)
SHOT = re.compile(
    r"\bcontinue\s+scene\s+(?P<n>\d+)(?:\s+from\s+(?:scene\s+)?(?P<from>\d+))?|\bscene\s+(?P<n2>\d+)\s+(?:continues|carries\s+on)\b"
    r"|\bmake\s+scene\s+(?P<cut>\d+)\s+(?:a\s+)?(?:cut|new\s+shot)\b",
    re.IGNORECASE,
)
REDO = re.compile(
    r"\b(?:redo|regenerate|redraw|remake|try)\s+scene\s+(?P<n>\d+)(?:\s+again)?(?:\s+with\s+seed\s+(?P<seed>\d+))?\b", re.IGNORECASE,
)
MUSIC_OFF = re.compile(r"^(?:please\s+)?(?:no|remove(?:\s+the)?|turn\s+off(?:\s+the)?|stop(?:\s+the)?|without(?:\s+any)?|mute(?:\s+the)?)\s+music$|^music\s+off$", re.IGNORECASE)
MUSIC_ON = re.compile(r"^(?:please\s+)?(?:add|put|play|turn\s+on|with|give\s+it)\s+(?:some\s+|a\s+|the\s+)?(?:background\s+)?music(?:\s+bed)?(?:\s+(?:under|to|in)\s+(?:it|the\s+video))?$|^music\s+on$", re.IGNORECASE)
PHOTO = re.compile(r"\buse\s+(?:this|the|my|a)\s+(?:photo|picture|image|pic)(?:\s+(?P<path>\S+\.(?:png|jpe?g|webp|bmp|gif|tiff?)))?\s+(?:for|as)\s+(?:the\s+)?(?P<entity>[^:]+?)(?:\s*:\s*(?P<path2>\S+))?\s*$", re.IGNORECASE)
CHANGE = re.compile(r"^(?:please\s+)?(?:make|turn|change|paint|dress)\s+(?:the\s+)?(?P<rest>.+)$", re.IGNORECASE)
SHOW = re.compile(r"^(?:show|print|list)(?:\s+(?:me\s+)?(?:the\s+)?(?:script|scenes|draft|video))?\s*\??$|^(?:status|script)\??$", re.IGNORECASE)

HELP_WORDS = re.compile(r"^(?:help|\?|what can (?:i|you) (?:do|say|ask))\??$", re.IGNORECASE)
UNDO = re.compile(r"^(?:undo|go back|revert|undo (?:that|it|the last (?:edit|change)))$", re.IGNORECASE)
VAGUE = re.compile(
    r"\b(?:more|less|better|worse|nicer|improve|exciting|boring|fun|funny|funnier|interesting|dramatic|different|spice|"
    r"don'?t like|do not like|something else|too \w+)\b",
    re.IGNORECASE,
)

HELP = 'Say "help" for what you can ask, e.g. "make the dog brown" or "add a scene where the dog finds a shell".'
MOOD_SCENES = {
    "exciting": "races to the finish line", "dramatic": "faces a sudden storm", "fun": "slips and lands in a puddle",
    "funny": "slips and lands in a puddle", "funnier": "slips and lands in a puddle", "interesting": "finds a hidden treasure",
}
VIVID = ("red", "golden", "orange", "purple", "blue")


def proposals_for(request: str, script: VideoScript) -> list[str]:
    """Three concrete edits for a vague request, each one a message the grammar reads as it is."""
    counts = {e.id: len(script.scenes_with(e.id)) for e in script.entities if e.kind is EntityKind.FOREGROUND}
    lead = script.entity(max(counts, key=counts.get)) if counts else script.entities[0]
    main = lead.name
    mood = next((MOOD_SCENES[word] for word in re.findall(r"[a-z]+", request.lower()) if word in MOOD_SCENES), "finds a surprise")
    calm = [n for n, scene in enumerate(script.scenes, start=1) if scene.camera.direction is CameraDirection.STATIC or scene.camera.speed is not CameraSpeed.FAST]
    number = calm[0] if calm else 1
    colour = next((c for c in VIVID if c not in content_words(main) and c not in (lead.description or "").lower()), "golden")
    return [f"add a scene where the {main} {mood}", f"camera of scene {number} to zoom in fast", f"make the {main} {colour}"]


def vague_request(message: str, script: VideoScript | None) -> Clarify | None:
    """A request that names no scene and no entity and only says how it should feel ('make it more
    exciting'): the user is asked back, with proposals, rather than the LLM guessing an edit."""
    if script is None or not VAGUE.search(message) or re.search(r"\bscenes?\s+\d+", message, re.IGNORECASE):
        return None
    named = content_words(message) - set(COLOR_WORDS)
    if any(named & (content_words(entity.name) - set(COLOR_WORDS)) for entity in script.entities):
        return None
    return Clarify(request=message, proposals=proposals_for(message, script))


def _shot(match: re.Match[str]) -> SetShot:
    if match["cut"]:
        return SetShot(scene=int(match["cut"]), shot=ShotKind.CUT)
    scene = int(match["n"] or match["n2"])
    if match["from"] and int(match["from"]) != scene - 1:
        raise InputError(
            f"Scene {scene} can only continue the scene just before it (scene {scene - 1}), not scene {match['from']}.",
            f"Move the scenes next to each other first (e.g. swap scenes), then say: continue scene {scene}.",
        )
    return SetShot(scene=scene, shot=ShotKind.CONTINUE)


def parse_with_grammar(message: str, script: VideoScript | None, attachment: Path | None = None) -> EditCommand | None:
    """The command a message states plainly, or None."""
    text = " ".join(message.strip().split()).rstrip(".!")
    if HELP_WORDS.match(text):
        return ShowHelp()
    if UNDO.match(text):
        return Undo()
    if match := MAKE.match(text):
        return MakeVideo(prompt=match["prompt"])
    if match := SHOW.match(text):
        return ShowScript()
    if match := SWAP.search(text):
        return SwapScenes(first=int(match["a"]), second=int(match["b"]))
    if match := REMOVE.search(text):
        return RemoveScene(scene=int(match["n"]))
    if match := NARRATION.search(" ".join(message.strip().split())):  # the line keeps its own full stop
        return SetNarration(scene=int(match["n"] or match["n2"]), narration=(match["text"] or match["text2"]).strip())
    if match := CAMERA.search(text):
        number = match["n"] or match["n2"]
        direction = (match["direction"] or match["direction2"]).lower().removeprefix("pan ")
        speed = (match["speed"] or match["speed2"] or "medium").lower()
        return SetCamera(scene=int(number), direction=direction, speed=speed)
    if match := SHOT.search(text):
        return _shot(match)
    if MUSIC_OFF.match(text) or MUSIC_ON.match(text):
        return SetMusic(music="none" if MUSIC_OFF.match(text) else "auto")
    if match := REDO.search(text):
        return RedoScene(scene=int(match["n"]), seed=int(match["seed"]) if match["seed"] else None)
    if match := PHOTO.search(text):
        path = match["path"] or match["path2"]
        chosen = Path(path).expanduser() if path else attachment
        if chosen is None:
            raise InputError("Which photo? No file came with the message.", "Attach the photo, or write its path: use the photo /path/to/photo.jpg for the grandmother.")
        return UsePhoto(entity=match["entity"], path=chosen)
    if clarify := vague_request(text, script):
        return clarify
    if match := ADD.search(text):
        return AddScene(request=match["rest"] or "continues the story", after=int(match["after"]) if match["after"] else None)
    if script is not None and (match := CHANGE.match(text)):
        words = match["rest"].split()
        for split in range(len(words) - 1, 0, -1):
            name, change = " ".join(words[:split]), " ".join(words[split:])
            try:
                entity = find_entity(script, name)
            except InputError:
                continue
            if set(name.lower().split()) & set(entity.name.lower().split()) or name.lower() in entity.id:
                return ChangeEntity(entity=entity.name, change=change)
    return None


def parse_with_llm(message: str, script: VideoScript | None, model: BaseChatModel, settings: Settings, usage: TokenUsage) -> EditCommand:
    """Ask the LLM to map the message onto one of the edit commands (JSON, schema-constrained)."""
    prompts = load_prompt_set(settings.prompt_set)
    commands = [command.model_fields["command"].default for command in EDIT_TYPES]
    messages = [
        SystemMessage(content=prompts.render("chat_command_system", commands=commands)),
        HumanMessage(content=_request_prompt(prompts, message, script)),
    ]
    parsed = generate_json_model(
        model, messages, ParsedCommand, max_attempts=2, usage=usage, stage="chat", retry_hint="That was not a valid command"
    )
    return parsed.edit


def parse_with_tools(
    message: str, script: VideoScript | None, model: BaseChatModel, usage: TokenUsage, prompt_set: str | None = None
) -> list[EditCommand]:
    """For tool-calling models: bind the typed edit tools and read the calls the model makes.

    A call naming no known tool, or with arguments its tool rejects, is skipped (and logged): the
    caller then falls back to asking for a JSON command.
    """
    tool_arguments = getattr(model.bind_tools(EDIT_TYPES), "kwargs", {})  # the request's tools=[...] schema
    prompts = load_prompt_set(prompt_set or Settings.model_fields["prompt_set"].default)
    messages = [
        SystemMessage(content=prompts.render("chat_tools_system")),
        HumanMessage(content=_request_prompt(prompts, message, script)),
    ]
    reply = invoke_chat(model, messages, usage, **tool_arguments)
    by_name = {tool.__name__: tool for tool in EDIT_TYPES}
    commands: list[EditCommand] = []
    for call in reply.tool_calls:
        tool = by_name.get(call["name"])
        if tool is None:
            logger.info("ignoring a call of an unknown tool '%s'", call["name"])
            continue
        try:
            commands.append(tool.model_validate(call["args"]))
        except ValidationError as error:
            logger.info("ignoring a %s call: %s", call["name"], describe_validation_error(error))
    return commands


def supports_tools(model: BaseChatModel) -> bool:
    from videodrafter.llm.local_chat import LlamaCppChatModel

    if isinstance(model, LlamaCppChatModel):
        return False
    try:
        model.bind_tools(EDIT_TYPES)
    except (NotImplementedError, AttributeError, TypeError, ValueError):
        return False
    return True


def interpret(
    message: str, script: VideoScript | None, model: BaseChatModel | None, settings: Settings, usage: TokenUsage, attachment: Path | None = None
) -> list[EditCommand]:
    """Commands for a message: grammar, then tool calls (capable models) or a JSON command (embedded models)."""
    if not message.strip():
        raise InputError("The message is empty.", HELP)
    command = parse_with_grammar(message, script, attachment)
    if command is not None:
        return [command]
    if model is None:
        raise InputError(f"I did not understand '{message}'.", HELP)
    if script is None and len(message.split()) >= 3:
        return [MakeVideo(prompt=message)]  # the first message of a session is the topic
    try:
        if supports_tools(model):
            commands = parse_with_tools(message, script, model, usage, settings.prompt_set)
            if commands:
                return commands
        return [parse_with_llm(message, script, model, settings, usage)]
    except VideoDrafterError as error:
        raise InputError(f"I did not understand '{message}'.", HELP) from error


def _request_prompt(prompts: PromptSet, message: str, script: VideoScript | None) -> str:
    """The user's request with the draft it is about, as the LLM is asked it."""
    return prompts.render("chat_request_user", script=describe_script(script) if script else "There is no video yet.", request=message)


def describe_script(script: VideoScript) -> str:
    lines = [f"Title: {script.title or script.prompt}"]
    for number, scene in enumerate(script.scenes, start=1):
        cast = ", ".join(script.entity(e).name for e in scene.foreground) or "nobody"
        lines.append(f"{number}. {scene.event} [{cast} · {script.entity(scene.background).name} · camera {scene.camera.label()}]")
    lines.append("Entities: " + "; ".join(f"{e.name}: {e.description or '-'}" for e in script.entities))
    return "\n".join(lines)
