"""A LangChain chat model over an in-process llama.cpp model: offline, no server, no key."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from videodrafter.errors import LLMUnavailableError
from videodrafter.llm.prompt_prefix import PrefixStates, fixed_message_count, prefix_tokens
from videodrafter.llm.token_meter import TokenCounter
from videodrafter.resources import RESOURCES

logger = logging.getLogger(__name__)

REPEAT_WINDOW = 256
"""Tokens the repeat penalty looks back over: a scene is about 70 tokens, and with llama.cpp's
default of 64 a small model copies the previous scene's event word for word."""


@cache
def prefix_states(folder: Path | None) -> PrefixStates:
    """One store of prefix states per folder in this process."""
    return PrefixStates(folder)


def _load_llama(path: Path, n_ctx: int, chat_format: str | None, n_threads: int) -> tuple[Any, ThreadPoolExecutor]:
    """Load a GGUF model once per process and hand back the shared instance and the one thread that
    runs it.

    Every evaluation of a model runs on that thread. llama.cpp's OpenMP workers belong to the thread
    that calls it: a second calling thread (the graph runs its steps on a pool of threads) adds a
    second team, and once the teams outnumber the cores libgomp stops spinning between operations,
    which made every token about 3.5 times slower (46 against 13 ms for SmolLM2 on 2 cores)."""
    key = (str(path), n_ctx, chat_format, n_threads)

    def load() -> tuple[Any, ThreadPoolExecutor]:
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise LLMUnavailableError(
                "llama-cpp-python is not installed, so embedded models cannot run.",
                "Run `make setup` or `pip install -e '.[local]'`.",
            ) from error
        llama = Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, chat_format=chat_format,
            last_n_tokens_size=REPEAT_WINDOW, verbose=False,
        )
        return llama, ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-{path.stem}")

    return RESOURCES.get("llm", key, load, label=path.name)


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    raise ValueError(f"embedded models take system, user and assistant messages, not {message.type}")


def _llama_response_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """Translate an OpenAI json_schema response_format into llama.cpp's grammar-backed form."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        schema = response_format.get("json_schema", {}).get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    return response_format


def check_grammar(llama: Any, response_format: dict[str, Any] | None) -> None:
    """Refuse an answer format llama.cpp cannot read as a grammar, with an error that says so: its
    sampler is then NULL, and generating with it ends the whole process with a segmentation fault
    (a Python-escaped space in a pattern did, with no status recorded and no traceback)."""
    schema = (response_format or {}).get("schema")
    if not schema:
        return
    import llama_cpp
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    text = json.dumps(schema, sort_keys=True)
    if text in _READABLE_GRAMMARS:
        return
    try:
        grammar = json_schema_to_gbnf(text)
    except Exception as error:  # noqa: BLE001 - the converter raises bare Exceptions and ValueErrors
        raise LLMUnavailableError(
            f"the embedded model cannot follow the answer format: {error}", "This is a bug in videodrafter's schema; please report it."
        ) from error
    sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, grammar.encode("utf-8"), b"root")
    if not sampler:
        raise LLMUnavailableError(
            "the embedded model cannot follow the answer format: llama.cpp could not parse its grammar",
            "This is a bug in videodrafter's schema; please report it (run with -v to see the grammar).",
        )
    llama_cpp.llama_sampler_free(sampler)
    _READABLE_GRAMMARS.add(text)


_READABLE_GRAMMARS: set[str] = set()


class LlamaCppChatModel(BaseChatModel):
    """Chat with a GGUF model in this process. JSON schemas become llama.cpp grammars."""

    model_path: Path
    model_name: str = "local"
    chat_format: str | None = None
    n_ctx: int = 4096
    n_threads: int | None = None
    temperature: float = 0.7
    max_tokens: int = 1024
    seed: int = 0
    repeat_penalty: float = 1.1
    """Small models loop on a phrase without it."""
    prefix_cache_dir: Path | None = None
    """Where the states after fixed few-shot prefixes are kept between runs (see ``prompt_prefix``);
    None keeps them in this process only."""

    _calls: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-embedded"

    def reset_prompt_cache(self) -> None:
        """Forget the evaluated prompt prefix, so the next calls do not depend on earlier runs.

        llama.cpp reuses the longest common prefix of consecutive prompts; evaluating a prompt in
        different pieces gives slightly different numbers, hence different text. A run that starts
        from an empty cache and makes its calls in a fixed order writes the same script anywhere.
        """
        llama, runner = _load_llama(self.model_path, self.n_ctx, self.chat_format, self.n_threads or os.cpu_count() or 1)
        runner.submit(llama.reset).result()

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_path": str(self.model_path)}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama, runner = _load_llama(self.model_path, self.n_ctx, self.chat_format, self.n_threads or os.cpu_count() or 1)
        chat = [{"role": _role(message), "content": str(message.content)} for message in messages]
        # The seed is derived from the model seed and the conversation itself: retries (whose
        # messages carry feedback) differ, runs repeat, and parallel calls (enrichment fan-out)
        # get the same seeds whatever order their threads take the model in.
        self._calls += 1
        conversation = json.dumps(chat, sort_keys=True).encode()
        call_seed = (self.seed + int.from_bytes(hashlib.sha256(conversation).digest()[:4], "little")) % (2**31 - 1)
        counter = TokenCounter()  # made here: it reads the caller's listener
        extra = {"logits_processor": [counter]} if counter.wanted else {}  # sees every token: a long call reports its progress

        def complete() -> tuple[dict[str, Any], float]:
            started = time.perf_counter()
            counter.started = counter.last_report = started
            prefix = prefix_tokens(llama, chat, fixed_message_count(messages))
            if prefix:
                source = prefix_states(self.prefix_cache_dir).prepare(llama, prefix)
                logger.debug("fixed prompt part of %d tokens: %s", len(prefix), source)
            response_format = _llama_response_format(kwargs.get("response_format"))
            check_grammar(llama, response_format)
            answer = llama.create_chat_completion(
                **extra,
                messages=chat,
                temperature=kwargs.get("temperature", self.temperature),
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                seed=kwargs.get("seed", call_seed),
                stop=stop,
                repeat_penalty=kwargs.get("repeat_penalty", self.repeat_penalty),
                response_format=response_format,
            )
            return answer, time.perf_counter() - started

        completion, compute_seconds = runner.submit(complete).result()  # one call at a time, on the model's thread
        choice = completion["choices"][0]
        usage = completion.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model_name": self.model_name,
                "compute_seconds": compute_seconds,  # without the wait for the shared model's lock
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output={"usage": dict(usage)})
