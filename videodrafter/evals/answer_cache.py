"""The eval's answer cache: LLM answers kept on disk, so rerunning an unchanged suite asks the LLM nothing.

``EvalAnswerCache`` is a LangChain ``BaseCache`` that the eval sets as the chat model's ``cache``
while a case runs. LangChain looks it up with the serialised messages and the model's parameter
string, which carries every call argument (``response_format`` and its schema, ``max_tokens`` …);
the key adds the model's identity (the LLM spec, the GGUF file's name and size, the sampling
fields a model keeps to itself), the eval's seed and the repeat. One JSON file per answer
(``<folder>/<key>.json``); a damaged file is ignored and rewritten. An answer from the cache keeps
the seconds its call first took, so latency is never that of reading a file.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.caches import BaseCache
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict
from langchain_core.outputs import ChatGeneration, Generation
from pydantic import BaseModel, Field

from videodrafter.media.files import content_hash, write_json_atomic

logger = logging.getLogger(__name__)

CACHE_SALT = "eval-answer-v1"
"""Bump when the same key would now hold a different answer (a changed entry format or identity)."""

CACHE_MARK = "eval_cache"
"""The ``response_metadata`` entry of an answer that came from the cache: its key and first latency."""

SAMPLING_FIELDS = (
    "model_name", "temperature", "max_tokens", "max_completion_tokens", "top_p", "seed",
    "repeat_penalty", "n_ctx", "chat_format", "openai_api_base", "model_kwargs", "extra_body",
)
"""Model fields that change an answer; an embedded model keeps them out of LangChain's parameter string."""


class CachedAnswer(BaseModel):
    """One cached LLM answer (``<cache folder>/<key>.json``)."""

    key: str = Field(description="Hash of the model identity, the messages and the call parameters.")
    llm: str = Field(description="The LLM spec that wrote the answer.")
    seconds: float = Field(description="How long the call took when the answer was written; a cache hit reports this.")
    created: str = Field(description="When the answer was written (UTC, ISO 8601).")
    messages: list[dict[str, Any]] = Field(min_length=1, description="The answer's messages, as LangChain message dicts.")


def model_identity(llm: str, model: BaseChatModel, **extra: Any) -> dict[str, Any]:
    """What names the model behind an answer: its spec, class, sampling fields and weights file."""
    fields = {name: value for name in SAMPLING_FIELDS if (value := getattr(model, name, None)) is not None}
    path = getattr(model, "model_path", None)
    weights = None
    if path is not None and Path(path).is_file():
        weights = {"file": Path(path).name, "bytes": Path(path).stat().st_size}
    return {"llm": llm, "class": type(model).__name__, "fields": fields, "weights": weights, **extra}


class EvalAnswerCache(BaseCache):
    """Answers of one model (``identity``) in ``folder``; counts its hits and writes."""

    def __init__(self, folder: Path, identity: dict[str, Any]) -> None:
        self.folder = folder
        self.identity = identity
        self.hits = 0
        self.writes = 0
        self._asked: dict[str, float] = {}

    def key(self, prompt: str, llm_string: str) -> str:
        return content_hash(CACHE_SALT, self.identity, llm_string, prompt)

    def lookup(self, prompt: str, llm_string: str) -> list[Generation] | None:
        key = self.key(prompt, llm_string)
        found = self._read(key)
        if found is None:
            self._asked[key] = time.perf_counter()
            return None
        entry, messages = found
        self.hits += 1
        marked = {CACHE_MARK: {"key": key, "seconds": entry.seconds}, "compute_seconds": entry.seconds}
        return [
            ChatGeneration(message=message.model_copy(update={"response_metadata": {**message.response_metadata, **marked}}))
            for message in messages
        ]

    def update(self, prompt: str, llm_string: str, return_val: list[Generation]) -> None:
        key = self.key(prompt, llm_string)
        asked = self._asked.pop(key, None)
        messages = [generation.message.model_copy(update={"id": None}) for generation in return_val if isinstance(generation, ChatGeneration)]
        if not messages:
            return
        entry = CachedAnswer(
            key=key, llm=str(self.identity.get("llm", "")), seconds=time.perf_counter() - asked if asked is not None else 0.0,
            created=datetime.now(UTC).isoformat(), messages=[message_to_dict(message) for message in messages],
        )
        self._prepare_folder()
        write_json_atomic(self._path(key), entry.model_dump(mode="json"))
        self.writes += 1

    def clear(self, **kwargs: Any) -> None:
        for path in self.folder.glob("*.json"):
            path.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def _read(self, key: str) -> tuple[CachedAnswer, list[BaseMessage]] | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            entry = CachedAnswer.model_validate_json(path.read_bytes())
            if entry.key != key:
                raise ValueError(f"it holds the answer for {entry.key}")
            return entry, messages_from_dict(entry.messages)
        except (OSError, ValueError, KeyError, TypeError) as error:  # a damaged entry is asked again and rewritten
            logger.warning("ignoring the damaged cached answer %s: %s", path, str(error).splitlines()[0] if str(error) else type(error).__name__)
            return None

    def _prepare_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():  # like .pytest_cache: never committed by accident
            ignore.write_text("# Cached LLM answers of `videodrafter eval`; delete the folder to forget them.\n*\n")
