"""Scripts for tests that render without an LLM: batch items, kill-and-resume runs."""

from __future__ import annotations

import json
from pathlib import Path


def write_script(path: Path, title: str, cameras: list[str], duration_s: float = 1.0) -> Path:
    script = {
        "prompt": f"{title}: a dog on the beach",
        "title": title,
        "entities": [
            {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
            {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach"},
        ],
        "scenes": [
            {"event": f"{title} scene {n}", "action": "runs", "foreground": ["dog"], "background": "beach",
             "camera": {"direction": camera, "speed": "medium"}, "duration_s": duration_s}
            for n, camera in enumerate(cameras, start=1)
        ],
    }
    path.write_text(json.dumps(script))
    return path


def write_items(folder: Path, count: int, duration_s: float = 1.0, extra: list[dict] | None = None) -> Path:
    lines = []
    for index in range(count):
        script = write_script(folder / f"script{index}.json", f"video {index}", ["left", "zoom in"], duration_s)
        lines.append(json.dumps({"id": f"v{index}", "script": script.name, "seed": index}))
    for item in extra or []:
        lines.append(json.dumps(item))
    path = folder / "items.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def dog_and_girl_script(moves: list[tuple[str, str]], duration_s: float, *, prompt: str, title: str) -> dict:
    """A beach script with two characters in every scene; one scene per (action, camera direction)."""
    return {
        "prompt": prompt,
        "title": title,
        "entities": [
            {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
            {"id": "girl", "name": "girl", "kind": "foreground", "description": "a girl in a yellow dress"},
            {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach with waves"},
        ],
        "scenes": [
            {"event": f"Scene {n}: the dog and the girl on the beach.", "action": action, "foreground": ["dog", "girl"],
             "background": "beach", "camera": {"direction": camera, "speed": "medium"}, "duration_s": duration_s}
            for n, (action, camera) in enumerate(moves, start=1)
        ],
    }


def beach_dog_script(duration_s: float = 0.5) -> dict:
    """Three scenes of one dog on one beach, each with its own event and action (critic and embedder tests)."""
    events = ["The dog wakes up by the sea.", "The dog chases a red ball.", "The dog sleeps in the sand."]
    return {
        "prompt": "a dog's day at the beach",
        "title": "Beach dog",
        "entities": [
            {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
            {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach"},
        ],
        "scenes": [
            {"event": event, "action": action, "foreground": ["dog"], "background": "beach",
             "camera": {"direction": "left", "speed": "medium"}, "duration_s": duration_s}
            for event, action in zip(events, ["stretches", "runs", "lies down"], strict=True)
        ],
    }
