"""The paper's few-shot line format (Scene N / Event / Action / ...): rendering and lenient parsing."""

from __future__ import annotations

import re
from typing import Any

from videodrafter.llm.structured import OutputProblem
from videodrafter.planning.draft import ScriptDraft

_KEY_LINE = re.compile(
    r"^[\s>*#\-•]*(?P<key>title|entities|characters|scene\s*\d*|event|prompt|narration|narrator|action|"
    r"foreground(?: entities)?|background|camera(?: move(?:ment)?)?)\s*\**\s*(?:[:.)\-–—]\s*|\s+|$)(?P<value>.*)$",
    re.IGNORECASE,
)
_ENTITY_LINE = re.compile(r"^\s*[-*•]\s*(?P<name>[^:–—]+?)\s*[:–—]\s*(?P<description>.+)$")
_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)
_NONE_WORDS = {"", "none", "nothing", "-", "n/a", "no one", "nobody"}

_DIRECTIONS = [
    ("zoom out", ("zoom out", "zoom-out", "zooms out", "pull out", "pull back", "backward", "dolly out")),
    ("zoom in", ("zoom in", "zoom-in", "zooms in", "push in", "forward", "dolly in", "close in")),
    ("left", ("left",)),
    ("right", ("right",)),
    ("up", ("up", "tilt up", "rise", "upward")),
    ("down", ("down", "tilt down", "downward", "descend")),
    ("static", ("static", "still", "fixed", "none", "steady")),
]
_SPEEDS = [("slow", ("slow", "gentle", "gradual")), ("fast", ("fast", "quick", "rapid")), ("medium", ("medium", "moderate", "normal"))]


def parse_camera(text: str) -> tuple[str, str]:
    """Read a camera move from free text; unknown words fall back to a static, slow shot."""
    lowered = text.lower()
    direction = next(
        (name for name, words in _DIRECTIONS if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words)),
        "static",
    )
    speed = next(
        (name for name, words in _SPEEDS if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words)),
        "slow" if direction == "static" else "medium",
    )
    return direction, speed


def _names(value: str) -> list[str]:
    return [part.strip(" .\"'") for part in _LIST_SPLIT.split(value) if part.strip(" .\"'").lower() not in _NONE_WORDS]


def parse_line_script(text: str) -> dict[str, Any]:
    """Parse the line format into a dict shaped like ScriptDraft; raise OutputProblem if no scene is found."""
    title = ""
    entities: list[dict[str, str]] = []
    scenes: list[dict[str, Any]] = []
    in_entities = False
    current: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip().replace("**", "")
        if not line:
            continue
        match = _KEY_LINE.match(line)
        key = match["key"].lower() if match else ""
        if match and key.startswith("scene") and not key.startswith("scenes"):
            current = {"event": "", "narration": "", "action": "", "foreground": [], "background": "", "camera": ""}
            scenes.append(current)
            in_entities = False
            value = match["value"].strip()
            if value:
                current["event"] = value
            continue
        if match and key in ("entities", "characters"):
            in_entities = True
            continue
        if match and key == "title":
            title = match["value"].strip(" \"'")
            continue
        if in_entities and current is None:
            entity = _ENTITY_LINE.match(line)
            if entity:
                entities.append({"name": entity["name"].strip(), "description": entity["description"].strip()})
            continue
        if current is None or not match:
            continue
        value = match["value"].strip()
        if key in ("event", "prompt"):
            current["event"] = value
        elif key in ("narration", "narrator"):
            current["narration"] = value.strip(" \"")
        elif key == "action":
            current["action"] = value
        elif key.startswith("foreground"):
            current["foreground"] = _names(value)
        elif key == "background":
            current["background"] = value.strip(" .\"'")
        elif key.startswith("camera"):
            current["camera"] = value
    if not scenes:
        raise OutputProblem(
            "No scene was found. Start each scene with a line 'Scene N' followed by lines "
            "'Event:', 'Action:', 'Foreground:', 'Background:' and 'Camera:'."
        )
    draft_scenes = []
    for scene in scenes:
        direction, speed = parse_camera(scene.pop("camera"))
        if not scene["action"]:
            scene["action"] = scene["event"]
        draft_scenes.append({**scene, "camera_direction": direction, "camera_speed": speed})
    return {"title": title or "Untitled", "entities": entities, "scenes": draft_scenes}


def render_line_script(draft: ScriptDraft) -> str:
    """Write a draft in the line format (few-shot examples, showing a script back to the LLM)."""
    lines = [f"Title: {draft.title}", "Entities:"]
    lines += [f"- {entity.name}: {entity.description}" for entity in draft.entities]
    for number, scene in enumerate(draft.scenes, start=1):
        camera = "static" if scene.camera_direction.value == "static" else f"{scene.camera_direction.value}, {scene.camera_speed.value}"
        lines += [
            f"Scene {number}",
            f"Event: {scene.event}",
            *([f"Narration: {scene.narration}"] if scene.narration else []),
            f"Action: {scene.action}",
            f"Foreground: {', '.join(scene.foreground) or 'none'}",
            f"Background: {scene.background}",
            f"Camera: {camera}",
        ]
    return "\n".join(lines)
