"""Every input of a run checked in one place, before any work: the settings' choices (engine, LLM,
critic, image embedder, voice), the prompt and scene count, a script file and its photos.

A command (CLI, web, batch, chat, API) calls ``check_run_inputs`` once, through ``start_run``
(or ``check_choices`` for the choices alone); the layers inside trust what passed.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.planning.inputs import clean_text, is_blank, scene_bounds, validate_prompt
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
