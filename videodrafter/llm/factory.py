"""One factory: an LLM spec string in, a LangChain chat model out."""

from __future__ import annotations

import os

from langchain_core.language_models.chat_models import BaseChatModel

from videodrafter.config import Settings
from videodrafter.errors import LLMUnavailableError
from videodrafter.llm.deadline import LLM_TIMEOUT_SETTING, deadline_client
from videodrafter.llm.local_chat import LlamaCppChatModel
from videodrafter.llm.local_models import resolve_local_model
from videodrafter.llm.spec import LLMSpec, parse_llm_spec


def _api_key(spec: LLMSpec) -> str:
    if spec.provider == "vllm":
        return os.environ.get("VIDEODRAFTER_VLLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or "EMPTY"
    key = os.environ.get("OPENAI_API_KEY")
    if not key and spec.base_url is None:
        raise LLMUnavailableError(
            f"The backend '{spec}' needs an OpenAI API key and OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, or run offline with --llm local:smollm2.",
        )
    return key or "EMPTY"


def create_chat_model(spec: str | LLMSpec, settings: Settings) -> BaseChatModel:
    """Build the chat model a spec names. Nothing is loaded or contacted until the first call."""
    parsed = parse_llm_spec(spec) if isinstance(spec, str) else spec
    if parsed.is_embedded:
        model_file = resolve_local_model(parsed.model, settings.cache_dir)
        return LlamaCppChatModel(
            model_path=model_file.path,
            model_name=model_file.name,
            chat_format=model_file.chat_format,
            n_ctx=settings.local_n_ctx,
            n_threads=settings.local_threads,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
            seed=settings.seed,
            prefix_cache_dir=settings.cache_dir / "prompt-states",
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=parsed.model,
        base_url=parsed.base_url,
        api_key=_api_key(parsed),
        timeout=settings.llm_timeout_s,
        # httpx's timeout is per read: the client's transport holds each request to it as a whole
        http_client=deadline_client(
            settings.llm_timeout_s, LLM_TIMEOUT_SETTING, parsed.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        ),
        max_retries=settings.llm_transport_retries,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        seed=settings.seed,
    )
