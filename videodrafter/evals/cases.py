"""Eval suites: YAML files of prompt cases."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from videodrafter.errors import InputError

SUITES_DIR = Path(__file__).parent / "suites"
"""The suites that ship with the package (package data), so `--suite smoke` works from any folder."""


class EvalCase(BaseModel):
    """One prompt to script, with what a good script should contain."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    prompt: str = Field(min_length=1)
    genre: str = ""
    scenes: int | None = Field(default=None, ge=1, le=20)
    expected_common: list[str] = Field(default_factory=list, description="Names that should recur across scenes.")
    photos: dict[str, Path] = Field(default_factory=dict, description="Entity name → a real photo to use as reference.")


class EvalSuite(BaseModel):
    name: str
    description: str = ""
    cases: list[EvalCase] = Field(min_length=1)


def resolve_suite_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return SUITES_DIR / f"{name_or_path}.yaml"


def load_suite(name_or_path: str) -> EvalSuite:
    path = resolve_suite_path(name_or_path)
    if not path.is_file():
        known = sorted(p.stem for p in SUITES_DIR.glob("*.yaml"))
        raise InputError(f"The eval suite '{name_or_path}' was not found ({path}).", f"Known suites: {', '.join(known) or 'none'}; or give a path to a .yaml file.")
    try:
        data = yaml.safe_load(path.read_text())
        suite = EvalSuite.model_validate({"name": path.stem, **(data or {})})
    except yaml.YAMLError as error:
        raise InputError(f"The eval suite {path} is not valid YAML: {error}.", "Fix the file's syntax.") from error
    except ValidationError as error:
        first = error.errors()[0]
        raise InputError(f"The eval suite {path} is invalid at {'.'.join(map(str, first['loc']))}: {first['msg']}.", f"See {SUITES_DIR / 'smoke.yaml'} for the format.") from error
    ids = [case.id for case in suite.cases]
    if len(set(ids)) != len(ids):
        raise InputError(f"The eval suite {path} repeats a case id.", "Give every case its own id.")
    for case in suite.cases:
        for name, photo in case.photos.items():
            resolved = photo if photo.is_absolute() else (path.parent / photo).resolve()
            if not resolved.is_file():
                raise InputError(f"Case '{case.id}' names a photo for '{name}' that does not exist: {resolved}.", "Fix the path (relative to the suite file).")
            case.photos[name] = resolved
    return suite
