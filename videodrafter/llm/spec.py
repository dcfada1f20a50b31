"""Parse LLM spec strings: 'local:smollm2', 'openai:gpt-4o', 'vllm:<model>@<base_url>'."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from videodrafter.errors import LLMSpecError

Provider = Literal["local", "openai", "vllm"]

_SPEC_EXAMPLES = (
    "Use 'local:smollm2' (embedded, offline), 'local:gemma3', 'local:/path/to/model.gguf', "
    "'openai:gpt-4o', or 'vllm:<model>@http://host:8000/v1'."
)
_MODEL_AT_URL = re.compile(r"^(?P<model>[^@]+)@(?P<url>https?://\S+)$")


class LLMSpec(BaseModel):
    """A parsed backend choice."""

    provider: Provider
    model: str
    base_url: str | None = None

    @property
    def is_embedded(self) -> bool:
        """Runs in this process (llama.cpp): one call at a time, and no second try at a critique."""
        return self.provider == "local"

    def __str__(self) -> str:
        text = f"{self.provider}:{self.model}"
        return f"{text}@{self.base_url}" if self.base_url else text


def parse_llm_spec(spec: str) -> LLMSpec:
    """Turn a spec string into an LLMSpec, or raise LLMSpecError saying what is wrong."""
    text = (spec or "").strip()
    provider, sep, rest = text.partition(":")
    if not sep or not rest.strip():
        raise LLMSpecError(f"'{spec}' is not an LLM spec.", _SPEC_EXAMPLES)
    provider = provider.strip().lower()
    rest = rest.strip()
    if provider == "local":
        return LLMSpec(provider="local", model=rest)
    if provider in ("openai", "vllm"):
        match = _MODEL_AT_URL.match(rest)
        if match:
            return LLMSpec(provider=provider, model=match["model"], base_url=match["url"].rstrip("/"))
        if "@" in rest:
            raise LLMSpecError(
                f"'{spec}' has an '@' but what follows is not an http(s) URL.", _SPEC_EXAMPLES
            )
        if provider == "vllm":
            raise LLMSpecError(
                f"'{spec}' names no server: a vllm spec needs '@<base_url>'.",
                "For example 'vllm:THUDM/glm-4-9b-chat@http://localhost:8000/v1'.",
            )
        return LLMSpec(provider="openai", model=rest)
    raise LLMSpecError(f"Unknown LLM provider '{provider}' in '{spec}'.", _SPEC_EXAMPLES)
