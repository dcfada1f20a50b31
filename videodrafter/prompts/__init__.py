"""Versioned prompt sets stored as files, rendered with Jinja2 (StrictUndefined)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel

from videodrafter.errors import InputError

_ROOT = Path(str(resources.files(__name__)))


class PromptSetManifest(BaseModel):
    """What a prompt set is and how its planner answers are formatted."""

    version: str
    description: str
    output_format: Literal["json", "lines"]


class FewShotExample(BaseModel):
    """A prompt and the script draft a good planner writes for it (as a plain dict)."""

    prompt: str
    scenes_requested: int
    draft: dict[str, Any]


def available_prompt_sets() -> list[str]:
    return sorted(path.parent.name for path in _ROOT.glob("*/manifest.yaml"))


class PromptSet:
    """One versioned set of templates; templates it lacks come from prompts/common."""

    def __init__(self, name: str) -> None:
        folder = _ROOT / name
        if not (folder / "manifest.yaml").is_file():
            raise InputError(
                f"Unknown prompt set '{name}'.",
                f"Available prompt sets: {', '.join(available_prompt_sets())}.",
            )
        self.name = name
        self.folder = folder
        self.manifest = PromptSetManifest.model_validate(yaml.safe_load((folder / "manifest.yaml").read_text()))
        self._env = Environment(
            loader=ChoiceLoader([FileSystemLoader(folder), FileSystemLoader(_ROOT / "common")]),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )
        examples_file = folder / "examples.yaml"
        if not examples_file.is_file():
            examples_file = _ROOT / "examples.yaml"
        self.examples = [FewShotExample.model_validate(item) for item in yaml.safe_load(examples_file.read_text())]

    def render(self, template: str, **variables: Any) -> str:
        return self._env.get_template(f"{template}.j2").render(**variables).strip()


@cache
def load_prompt_set(name: str) -> PromptSet:
    """The prompt set with this version name (cached: files are read once per process)."""
    return PromptSet(name)


def prompt_set_digest(name: str) -> str:
    """A short hash of every file a prompt set renders from (its own, common/ and the examples)."""
    import hashlib

    digest = hashlib.sha256()
    for folder in (_ROOT / name, _ROOT / "common"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".j2", ".yaml"):
                digest.update(path.name.encode() + path.read_bytes())
    digest.update((_ROOT / "examples.yaml").read_bytes())
    return digest.hexdigest()[:12]
