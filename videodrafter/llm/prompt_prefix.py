"""The few-shot part of a prompt evaluated once, kept in memory and on disk for the embedded models.

On a 2-core CPU a small model reads a prompt at about 160 tokens/s: the scene step's system text and
three worked examples (about 1,000 tokens) cost 6-7 s of every run, although they never change. The
caller marks where the fixed part ends (``example_answer``: the last worked example's answer); that
part is evaluated on its own, its llama.cpp state (the KV cache) is kept, and the rest of the prompt
is evaluated on top of it.

The split is always the same, cached or not: the fixed part is evaluated alone, then the rest. A state
loaded from disk holds exactly the numbers a fresh evaluation gives, so a run writes the same script
whether the cache was cold or warm.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

logger = logging.getLogger(__name__)

EXAMPLE_MARK = "few_shot_example"
MIN_PREFIX_TOKENS = 200
"""A shorter fixed part is read in about a second: not worth a state on disk."""
MEMORY_STATES = 6
DISK_STATES = 24
"""States kept per process and on disk (about 25 MB each for SmolLM2 and a 1,000-token prefix)."""
_MAGIC = b"vdprefix1"


def example_answer(content: str) -> AIMessage:
    """A worked example's answer in a few-shot prompt: everything up to it is fixed and may be cached."""
    return AIMessage(content=content, response_metadata={EXAMPLE_MARK: True})


def fixed_message_count(messages: list[BaseMessage]) -> int:
    """How many leading messages are the fixed part: up to the last marked example answer (0: none)."""
    marked = [index for index, message in enumerate(messages) if isinstance(message, AIMessage) and message.response_metadata.get(EXAMPLE_MARK)]
    return marked[-1] + 1 if marked else 0


def _formatter(llama: Any) -> Any:
    """The chat formatter ``create_chat_completion`` uses for this model (None when it cannot be told)."""
    from llama_cpp import llama_chat_format

    name = llama.chat_format or ""
    if name.startswith("chat_template."):
        key = "tokenizer.chat_template" if name == "chat_template.default" else f"tokenizer.{name}"
        template = llama.metadata.get(key)
        if not template:
            return None
        eos, bos = llama.token_eos(), llama.token_bos()
        return llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )
    return getattr(llama_chat_format, f"format_{name.replace('-', '_')}", None)


def _tokens(llama: Any, formatter: Any, chat: list[dict[str, str]]) -> list[int]:
    result = formatter(messages=chat)
    return list(llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True))


def prefix_tokens(llama: Any, chat: list[dict[str, str]], fixed: int) -> list[int]:
    """The tokens of the first ``fixed`` messages exactly as the whole prompt starts with them: the
    common start of the prompt and of the same fixed part followed by another message. Empty when
    the fixed part is short or the model's format is not known."""
    if fixed <= 0 or fixed >= len(chat):
        return []
    formatter = _formatter(llama)
    if formatter is None:
        return []
    whole = _tokens(llama, formatter, chat)
    probe = _tokens(llama, formatter, [*chat[:fixed], {"role": "user", "content": "\u2063"}])
    length = 0
    for a, b in zip(whole, probe):
        if a != b:
            break
        length += 1
    length = min(length, len(whole) - 1)  # the rest always has a token to evaluate
    return whole[:length] if length >= MIN_PREFIX_TOKENS else []


class PrefixStates:
    """llama.cpp states after a fixed prefix, in memory and in a folder, keyed by model and tokens."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, llama: Any, tokens: list[int]) -> str:
        import llama_cpp

        path = Path(llama.model_path)
        identity = f"{path.resolve()}|{path.stat().st_size}|{llama.n_ctx()}|{llama.n_batch}|{llama_cpp.__version__}|"
        return hashlib.sha256(identity.encode() + b",".join(str(token).encode() for token in tokens)).hexdigest()[:32]

    def prepare(self, llama: Any, tokens: list[int]) -> str:
        """Put ``llama`` in the state right after ``tokens``: 'live' (already there), 'memory', 'disk' or 'evaluated'."""
        count = len(tokens)
        if llama.n_tokens >= count and list(llama._input_ids[:count]) == tokens:
            # the last call began with the same prefix, evaluated the same way: forget what came after
            if llama._ctx.kv_cache_seq_rm(-1, count, -1):
                llama.n_tokens = count
                llama._requires_eval = True
                return "live"
        key = self.key(llama, tokens)
        data, source = self._recall(key)
        if data is not None and self._load(llama, tokens, data):
            return source
        llama.reset()
        llama.eval(tokens)
        data = self._state(llama)
        self._remember(key, data)
        return "evaluated"

    # --- llama.cpp state -------------------------------------------------------------------------

    @staticmethod
    def _state(llama: Any) -> bytes:
        import llama_cpp

        size = llama_cpp.llama_state_get_size(llama._ctx.ctx)
        buffer = (ctypes.c_uint8 * int(size))()
        written = llama_cpp.llama_state_get_data(llama._ctx.ctx, buffer, size)
        return bytes(buffer[: int(written)])

    @staticmethod
    def _load(llama: Any, tokens: list[int], data: bytes) -> bool:
        import llama_cpp

        llama.reset()
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llama._ctx.ctx, buffer, len(data)) != len(data):
            logger.warning("A kept prompt state did not load; the prompt is read again")
            llama.reset()
            return False
        llama.input_ids[: len(tokens)] = tokens
        llama.n_tokens = len(tokens)
        llama._requires_eval = True
        return True

    # --- memory and disk ---------------------------------------------------------------------------

    def _recall(self, key: str) -> tuple[bytes | None, str]:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key], "memory"
        path = self._path(key)
        if path is None or not path.is_file():
            return None, ""
        try:
            raw = path.read_bytes()
        except OSError:
            return None, ""
        digest, data = raw[len(_MAGIC) : len(_MAGIC) + 32], raw[len(_MAGIC) + 32 :]
        if not raw.startswith(_MAGIC) or hashlib.sha256(data).digest() != digest:
            logger.warning("A kept prompt state at %s is damaged; it is made again", path)
            path.unlink(missing_ok=True)
            return None, ""
        os.utime(path)  # recently used: kept when the folder is trimmed
        self._keep_in_memory(key, data)
        return data, "disk"

    def _remember(self, key: str, data: bytes) -> None:
        self._keep_in_memory(key, data)
        path = self._path(key)
        if path is None:
            return
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(_MAGIC + hashlib.sha256(data).digest() + data)
            os.replace(partial, path)
            self._trim()
        except OSError as error:  # a full or read-only cache costs time, never the run
            partial.unlink(missing_ok=True)
            logger.info("A prompt state was not kept on disk (%s)", error)

    def _keep_in_memory(self, key: str, data: bytes) -> None:
        with self._lock:
            self._memory[key] = data
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_STATES:
                self._memory.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        return self.folder / f"{key}.state" if self.folder else None

    def _trim(self) -> None:
        assert self.folder is not None
        states = sorted(self.folder.glob("*.state"), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in states[DISK_STATES:]:
            old.unlink(missing_ok=True)
