"""Parse voice specs, chosen like ``--llm``: 'espeak', 'openai:tts-1:alloy', 'openai-compatible:kokoro@http://host/v1', 'none'."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from videodrafter.errors import InputError

VOICE_EXAMPLES = (
    "Use 'espeak' (offline, the default), 'espeak:<voice>' (e.g. espeak:en-gb), 'openai:tts-1' or "
    "'openai:tts-1:alloy', 'openai-compatible:<model>[:<voice>]@http://host:8880/v1', or 'none' for a silent video."
)
DEFAULT_OPENAI_VOICE = "alloy"
DEFAULT_ESPEAK_VOICE = "en-us"
_MODEL_AT_URL = re.compile(r"^(?P<model>[^@]+)@(?P<url>https?://\S+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+/-]*$")


class VoiceSpecError(InputError):
    """A voice spec such as ``openai-compatible:kokoro@http://host/v1`` is malformed or unknown."""


class VoiceSpec(BaseModel):
    """A parsed speech engine choice."""

    engine: Literal["espeak", "openai", "none"]
    model: str = ""
    voice: str = ""
    base_url: str | None = None

    def __str__(self) -> str:
        if self.engine == "none":
            return "none"
        if self.engine == "espeak":
            return f"espeak:{self.voice}"
        text = f"{self.model}:{self.voice}"
        return f"openai-compatible:{text}@{self.base_url}" if self.base_url else f"openai:{text}"


def _name(value: str, what: str, spec: str) -> str:
    if not _NAME.match(value):
        raise VoiceSpecError(f"'{value}' in the voice spec '{spec}' is not a {what} name.", VOICE_EXAMPLES)
    return value


def parse_voice_spec(spec: str) -> VoiceSpec:
    """Turn a spec string into a VoiceSpec, or raise VoiceSpecError saying what is wrong."""
    text = (spec or "").strip()
    engine, _, rest = text.partition(":")
    engine = engine.strip().lower()
    rest = rest.strip()
    if engine in ("none", "silent", "off") and not rest:
        return VoiceSpec(engine="none")
    if engine in ("espeak", "espeak-ng"):
        return VoiceSpec(engine="espeak", voice=_name(rest, "espeak voice", spec) if rest else DEFAULT_ESPEAK_VOICE)
    if engine == "openai":
        if "@" in rest:
            raise VoiceSpecError(
                f"'{spec}' names a server: use 'openai-compatible:<model>@<base_url>' for one.", VOICE_EXAMPLES
            )
        model, _, voice = rest.partition(":")
        if not model:
            raise VoiceSpecError(f"'{spec}' names no model.", "For example 'openai:tts-1' or 'openai:tts-1:nova'.")
        return VoiceSpec(engine="openai", model=_name(model, "model", spec), voice=_name(voice, "voice", spec) if voice else DEFAULT_OPENAI_VOICE)
    if engine == "openai-compatible":
        match = _MODEL_AT_URL.match(rest)
        if not match:
            raise VoiceSpecError(
                f"'{spec}' needs a model and a server: 'openai-compatible:<model>@<base_url>'.",
                "For example 'openai-compatible:kokoro:af_heart@http://localhost:8880/v1'.",
            )
        model, _, voice = match["model"].partition(":")
        return VoiceSpec(
            engine="openai", model=_name(model, "model", spec), voice=_name(voice, "voice", spec) if voice else DEFAULT_OPENAI_VOICE,
            base_url=match["url"].rstrip("/"),
        )
    raise VoiceSpecError(f"Unknown voice '{spec}'.", VOICE_EXAMPLES)
