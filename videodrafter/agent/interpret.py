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
    MakeVideo,
    ParsedCommand,
    RemoveScene,
    SetCamera,
    ShowScript,
    SwapScenes,
    UsePhoto,
    find_entity,
)
from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.llm.calls import invoke_chat
from videodrafter.llm.structured import describe_validation_error, generate_json_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.script import VideoScript

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
PHOTO = re.compile(r"\buse\s+(?:this|the|my|a)\s+(?:photo|picture|image|pic)(?:\s+(?P<path>\S+\.(?:png|jpe?g|webp|bmp|gif|tiff?)))?\s+(?:for|as)\s+(?:the\s+)?(?P<entity>[^:]+?)(?:\s*:\s*(?P<path2>\S+))?\s*$", re.IGNORECASE)
CHANGE = re.compile(r"^(?:please\s+)?(?:make|turn|change|paint|dress)\s+(?:the\s+)?(?P<rest>.+)$", re.IGNORECASE)
SHOW = re.compile(r"^(?:show|print|list)(?:\s+(?:me\s+)?(?:the\s+)?(?:script|scenes|draft|video))?\s*\??$|^(?:status|script)\??$", re.IGNORECASE)

HELP = (
    'Try: "make me a video about a dog at the beach", "make the dog brown", "add a scene at sunset", '
    '"swap scenes 2 and 3", "remove scene 4", "camera of scene 2 to zoom in fast", "use this photo for the grandmother", "show the script".'
)


def parse_with_grammar(message: str, script: VideoScript | None, attachment: Path | None = None):
    """The command a message states plainly, or None."""
    text = " ".join(message.strip().split()).rstrip(".!")
    if match := MAKE.match(text):
        return MakeVideo(prompt=match["prompt"])
    if match := SHOW.match(text):
        return ShowScript()
    if match := SWAP.search(text):
        return SwapScenes(first=int(match["a"]), second=int(match["b"]))
    if match := REMOVE.search(text):
        return RemoveScene(scene=int(match["n"]))
    if match := CAMERA.search(text):
        number = match["n"] or match["n2"]
        direction = (match["direction"] or match["direction2"]).lower().removeprefix("pan ")
        speed = (match["speed"] or match["speed2"] or "medium").lower()
        return SetCamera(scene=int(number), direction=direction, speed=speed)
    if match := PHOTO.search(text):
        path = match["path"] or match["path2"]
        chosen = Path(path).expanduser() if path else attachment
        if chosen is None:
            raise InputError("Which photo? No file came with the message.", "Attach the photo, or write its path: use the photo /path/to/photo.jpg for the grandmother.")
        return UsePhoto(entity=match["entity"], path=chosen)
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


def parse_with_llm(message: str, script: VideoScript | None, model: BaseChatModel, settings: Settings, usage: TokenUsage):
    """Ask the LLM to map the message onto one of the edit commands (JSON, schema-constrained)."""
    summary = describe_script(script) if script else "There is no video yet."
    messages = [
        SystemMessage(
            content="You turn a user's request about a video draft into exactly one edit command, as JSON "
            '{"edit": {...}} following the schema. Commands: make_video, change_entity, add_scene, swap_scenes, '
            "remove_scene, set_camera, use_photo, show_script. Scene numbers start at 1."
        ),
        HumanMessage(content=f"The draft:\n{summary}\n\nThe request: {message}"),
    ]
    parsed = generate_json_model(
        model, messages, ParsedCommand, max_attempts=2, usage=usage, stage="chat", retry_hint="That was not a valid command"
    )
    return parsed.edit


def parse_with_tools(message: str, script: VideoScript | None, model: BaseChatModel, usage: TokenUsage) -> list:
    """For tool-calling models: bind the typed edit tools and read the calls the model makes.

    A call naming no known tool, or with arguments its tool rejects, is skipped (and logged): the
    caller then falls back to asking for a JSON command.
    """
    tool_arguments = getattr(model.bind_tools(EDIT_TYPES), "kwargs", {})  # the request's tools=[...] schema
    summary = describe_script(script) if script else "There is no video yet."
    messages = [
        SystemMessage(content="You edit a video draft by calling the given tools. Scene numbers start at 1."),
        HumanMessage(content=f"The draft:\n{summary}\n\nThe request: {message}"),
    ]
    reply = invoke_chat(model, messages, usage, **tool_arguments)
    by_name = {tool.__name__: tool for tool in EDIT_TYPES}
    commands = []
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


def interpret(message: str, script: VideoScript | None, model: BaseChatModel | None, settings: Settings, usage: TokenUsage, attachment: Path | None = None) -> list:
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
            commands = parse_with_tools(message, script, model, usage)
            if commands:
                return commands
        return [parse_with_llm(message, script, model, settings, usage)]
    except VideoDrafterError as error:
        raise InputError(f"I did not understand '{message}'.", HELP) from error


def describe_script(script: VideoScript) -> str:
    lines = [f"Title: {script.title or script.prompt}"]
    for number, scene in enumerate(script.scenes, start=1):
        cast = ", ".join(script.entity(e).name for e in scene.foreground) or "nobody"
        lines.append(f"{number}. {scene.event} [{cast} · {script.entity(scene.background).name} · camera {scene.camera.label()}]")
    lines.append("Entities: " + "; ".join(f"{e.name}: {e.description or '-'}" for e in script.entities))
    return "\n".join(lines)
