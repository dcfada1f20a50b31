"""Every input of a run checked in one place, before any work: the settings' choices (engine, LLM,
critic, image embedder, voice), the prompt and scene count, a script file and its photos.

A command (CLI, web, batch, chat, API) calls ``check_run_inputs`` once, through ``start_run``
(or ``check_choices`` for the choices alone); the layers inside trust what passed. A context a
LangGraph Server client sends is held to the operator's ``ServerPolicy`` (``check_served_context``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.planning.inputs import check_prompt_for_llm, clean_text, is_blank, scene_bounds, validate_prompt
from videodrafter.script import MAX_ENTITIES, MAX_SCENES, VideoScript


def check_choices(settings: Settings, *, engine: bool = True, llm: bool = True, llm_needed: bool = True, voice: bool = True) -> None:
    """The engine, image embedder, critic, LLM and voice name things that exist, so a typo is reported
    at once, not after the LLM has written a script. ``llm_needed``: the run will call the LLM (not
    a finished script), so a missing API key is reported now too. A flag set to False skips a choice
    the caller does not use (or supplies itself: an injected engine or chat model)."""
    if engine:
        _check_engine(settings)
    if settings.critic:
        from videodrafter.consistency.vision_critic import check_critic_spec

        check_critic_spec(settings.critic)
    if voice:
        from videodrafter.audio.engines import check_voice

        check_voice(settings.voice)
    from videodrafter.audio.music import check_music

    check_music(settings)  # a missing or unreadable music file, before any work
    if llm:
        _check_llm(settings, needed=llm_needed)


def _check_engine(settings: Settings) -> None:
    if settings.engine != "animatic":  # the default needs no check, and the presets' module imports torch
        from videodrafter.engines.registry import engine_names

        names = engine_names()
        if settings.engine not in names:
            raise InputError(f"Unknown engine '{settings.engine}'.", f"Choose one of: {', '.join(names)}.")
    from videodrafter.consistency.learned_embedders import check_embedder_spec

    check_embedder_spec(settings.image_embedder, settings.engine)
    if settings.profile == "turbo":
        _check_turbo(settings)


def _check_turbo(settings: Settings) -> None:
    from videodrafter.engines.turbo import check_turbo

    if settings.engine == "animatic":
        check_turbo(settings.turbo_lora, settings.engine, None, False)
        return
    from videodrafter.engines.diffusers_presets import PRESETS
    from videodrafter.engines.families import CLIP_FAMILIES

    family = CLIP_FAMILIES[PRESETS[settings.engine].clip_family]
    check_turbo(settings.turbo_lora, settings.engine, family.name, family.turbo_lora, family.suggested_turbo_lora)


def _check_llm(settings: Settings, *, needed: bool) -> None:
    spec = settings.llm_spec
    if spec.is_embedded:
        from videodrafter.llm.local_models import KNOWN_LOCAL_MODELS, resolve_local_model

        if spec.model not in KNOWN_LOCAL_MODELS:
            resolve_local_model(spec.model, settings.cache_dir)  # only path checks for a name that is not built in
    elif needed and spec.provider == "openai" and spec.base_url is None and not os.environ.get("OPENAI_API_KEY"):
        from videodrafter.errors import LLMUnavailableError

        raise LLMUnavailableError(
            f"The backend '{spec}' needs an OpenAI API key and OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, or run offline with --llm local:smollm2.",
        )


def check_run_inputs(
    prompt: str, settings: Settings, *, scenes: int | None, script: VideoScript | None, engine: bool = True, llm: bool = True,
) -> str:
    """Everything a new run needs, checked before its folder exists; returns the prompt as the run keeps it."""
    text = validate_prompt(script.prompt if script and is_blank(prompt) else prompt, settings)
    if script is None:  # the LLM will read it
        check_prompt_for_llm(text, settings)
    scene_bounds(scenes, settings)
    check_choices(settings, engine=engine, llm=llm, llm_needed=script is None)
    if script is not None:
        check_photos(script)
    return text


MAX_SCRIPT_BYTES = 1_000_000
"""The largest script file taken: a script is kilobytes; a huge one would be stored again in the
request, script.json and every checkpoint."""


def load_script_file(path: Path) -> VideoScript:
    """A script JSON from disk; relative ``reference_image`` paths are taken from the script's folder."""
    try:
        size = path.stat().st_size
        if size > MAX_SCRIPT_BYTES:
            raise InputError(
                f"The script file {path} is {size / 1e6:.1f} MB; a script may be at most {MAX_SCRIPT_BYTES / 1e6:.0f} MB "
                f"({MAX_SCENES} scenes, {MAX_ENTITIES} entities).",
                "Shorten it: keep the entities the scenes use and at most 50 scenes.",
            )
        script = VideoScript.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"Cannot read the script file {path}: {error.strerror}.", "Check the path.") from error
    except UnicodeDecodeError as error:
        raise InputError(f"The script file {path} is not UTF-8 text.", "Save it as UTF-8 JSON.") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"The script file {path} is not a valid script ({where}: {first['msg']}).",
            "Write one with `videodrafter script ... -o script.json` and edit it.",
        ) from error
    entities = []
    for entity in script.entities:
        if entity.reference_image is not None:
            photo = Path(entity.reference_image).expanduser()
            entity = entity.model_copy(update={"reference_image": photo if photo.is_absolute() else (path.parent / photo).resolve()})
        entities.append(entity)
    # the prompt is quoted back to LLMs (critique, chat edits): no control characters in it
    return script.model_copy(update={"entities": entities, "prompt": clean_text(script.prompt) or script.prompt})


def check_photos(script: VideoScript) -> None:
    """Every reference photo of the script opens as an image: a bad one is reported before a run folder exists."""
    from videodrafter.media.images import load_user_photo

    for entity in script.entities:
        if entity.reference_image is None:
            continue
        try:
            load_user_photo(Path(entity.reference_image)).close()
        except InputError as error:
            raise InputError(f"Entity '{entity.name}': {error.message}", error.hint) from None


class ServerPolicyError(InputError, ValueError):
    """A LangGraph Server client's context chose what only the operator may (a ValueError, so the
    server passes its message on to the client)."""


class ServerPolicy(BaseSettings):
    """What LangGraph Server's clients may choose, set by the operator in the server's environment
    (``VIDEODRAFTER_SERVER_*``). It is not part of a run's context, so no client can change it."""

    model_config = SettingsConfigDict(env_prefix="VIDEODRAFTER_SERVER_", extra="ignore")

    root: Path | None = Field(
        default=None,
        description="The folder a client's runs stay in: a context's runs_dir and run_dir must resolve inside it. "
        "Default: the environment's runs_dir (VIDEODRAFTER_RUNS_DIR, else ./runs).",
    )
    allow: str = Field(
        default="",
        description="Comma-separated choices a client may make beyond the environment's own values and the offline "
        "built-ins ('local:smollm2', 'local:gemma3', 'espeak', 'none'): exact llm, critic, voice or image_embedder "
        "specs ('openai:gpt-4o', 'local:/models/m.gguf'), or a server's base URL ('http://gpu-box:8000/v1'), which "
        "allows any model at exactly that server.",
    )

    def allows(self, field: str, spec: str) -> bool:
        """Whether the operator listed ``spec``, or the server it names, for a client to choose."""
        entries = {entry.strip().rstrip("/") for entry in self.allow.split(",") if entry.strip()}
        return spec.strip() in entries or (_base_url(field, spec) or "\0") in entries


def _base_url(field: str, spec: str) -> str | None:
    from videodrafter.audio.spec import parse_voice_spec
    from videodrafter.llm.spec import parse_llm_spec

    try:
        if field in ("llm", "critic"):
            return parse_llm_spec(spec).base_url
        if field == "voice":
            return parse_voice_spec(spec).base_url
    except VideoDrafterError:  # a malformed spec is refused: it names no server on the list
        return None
    return None


_SERVER_HINT = "Leave it out of the context, or ask the operator to allow it: VIDEODRAFTER_SERVER_ALLOW in the server's environment."
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_BUILT_IN_EMBEDDERS = ("auto", "appearance", "clip", "clip:tiny", "dinov2", "dinov2:tiny")


def _inside(path: Path, root: Path, field: str) -> None:
    resolved = path.expanduser().resolve()
    if resolved != root and root not in resolved.parents:
        raise ServerPolicyError(
            f"The context's {field} '{path}' is outside the folder this server keeps runs in ({root}).",
            f"Give a folder inside it, or leave {field} out; the operator sets the folder with VIDEODRAFTER_SERVER_ROOT.",
        )


def _offline(field: str, spec: str) -> bool:
    """Choices that reach no file a client names and no server: the built-in models and voices."""
    from videodrafter.audio.spec import parse_voice_spec
    from videodrafter.llm.local_models import KNOWN_LOCAL_MODELS

    if field == "llm":
        return spec.strip() in {f"local:{name}" for name in KNOWN_LOCAL_MODELS}
    if field == "voice":
        return parse_voice_spec(spec).engine in ("espeak", "none")
    return field == "image_embedder" and spec.strip() in _BUILT_IN_EMBEDDERS


def check_served_context(settings: Settings) -> tuple[Path, Path | None]:
    """A context from a LangGraph Server client: its models, critic and voice are the environment's
    own, offline built-ins or on the operator's allow-list, and what only the operator sets (model
    files, caches) is the environment's. Returns the root its folders must stay in and the runs_dir
    the client chose (None: the environment's own), for ``check_served_folder`` where the run folder
    is first named: these checks touch no file, as the server runs them on its event loop."""
    policy, environment = ServerPolicy(), Settings()
    for field in ("llm", "critic", "voice", "image_embedder"):
        spec = getattr(settings, field)
        if spec is None or spec == getattr(environment, field) or _offline(field, spec) or policy.allows(field, spec):
            continue
        raise ServerPolicyError(f"This server does not let a client choose {field} '{spec}' (a model file or a server).", _SERVER_HINT)
    for field in ("cache_dir", "segmentation_model", "turbo_lora"):
        if getattr(settings, field) != getattr(environment, field):
            raise ServerPolicyError(
                f"This server does not let a client choose {field}: it names files on the server.",
                f"Leave {field} out of the context; the operator sets it with VIDEODRAFTER_{field.upper()}.",
            )
    if settings.music not in ("none", "auto") and settings.music != environment.music:
        raise ServerPolicyError(
            "This server does not let a client choose a music file: it names a file on the server.",
            "Use music 'none' or 'auto', or leave it out; the operator sets a file with VIDEODRAFTER_MUSIC.",
        )
    if not _PLAIN_NAME.fullmatch(settings.prompt_set):
        raise ServerPolicyError(f"'{settings.prompt_set}' is not a prompt set's name.", "Give a shipped set's name, such as 'v1'.")
    return policy.root or environment.runs_dir, settings.runs_dir if settings.runs_dir != environment.runs_dir else None


def check_served_folder(root: Path, runs_dir: Path | None, run_dir: Path | None) -> None:
    """A client's ``runs_dir`` (None: the environment's own) and ``run_dir`` resolve inside the root."""
    resolved_root = root.expanduser().resolve()
    if runs_dir is not None:
        _inside(runs_dir, resolved_root, "runs_dir")
    if run_dir is not None:
        _inside(run_dir, resolved_root, "run_dir")
