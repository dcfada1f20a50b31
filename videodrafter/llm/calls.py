"""One LLM call with timing, usage accounting and errors a user can act on."""

from __future__ import annotations

import logging
import time
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage

from videodrafter.errors import LLMUnavailableError, VideoDrafterError
from videodrafter.llm.deadline import LLM_TIMEOUT_SETTING, DeadlinePassed, deadline
from videodrafter.llm.token_meter import TokenTick, report
from videodrafter.llm.usage import TokenUsage

logger = logging.getLogger(__name__)


def _where(model: BaseChatModel) -> str:
    base_url = getattr(model, "openai_api_base", None)
    name = getattr(model, "model_name", None) or type(model).__name__
    return f"'{name}' at {base_url}" if base_url else f"'{name}'"


class ResponseFormatRejected(LLMUnavailableError):
    """The server refused the response_format we sent; a plainer one may work."""


def _is_remote(model: BaseChatModel) -> bool:
    from langchain_openai.chat_models.base import BaseChatOpenAI

    return isinstance(model, BaseChatOpenAI)


def _answer_seconds(model: BaseChatModel) -> float | None:
    """A remote model's timeout, which bounds the whole answer with its transport retries."""
    seconds = getattr(model, "request_timeout", None) if _is_remote(model) else None
    return float(seconds) if isinstance(seconds, (int, float)) else None


def _refuses_response_format(error: Any) -> bool:
    """Servers refuse an unknown response_format with 400/422, or (llama.cpp's) 500 naming it."""
    return error.status_code in (400, 422) or (error.status_code == 500 and "response_format" in str(error))


def _translate_openai_error(error: Exception, model: BaseChatModel, sent_format: bool) -> VideoDrafterError | None:
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a core dependency
        return None
    where = _where(model)
    if isinstance(error, openai.APITimeoutError):
        return LLMUnavailableError(
            f"The LLM {where} did not answer in time.",
            "Raise VIDEODRAFTER_LLM_TIMEOUT_S, check the server's load, or use --llm local:smollm2.",
        )
    if isinstance(error, openai.APIConnectionError):
        return LLMUnavailableError(
            f"Could not connect to the LLM {where}: the server is down or unreachable.",
            "Start the server (or fix the URL in --llm), or run offline with --llm local:smollm2.",
        )
    if isinstance(error, openai.AuthenticationError):
        return LLMUnavailableError(f"The LLM {where} rejected the API key.", "Check OPENAI_API_KEY.")
    if isinstance(error, openai.NotFoundError):
        return LLMUnavailableError(
            f"The server does not serve the model {where}.", "Check the model name in --llm."
        )
    if sent_format and isinstance(error, openai.APIStatusError) and _refuses_response_format(error):
        return ResponseFormatRejected(
            f"The LLM {where} rejected the structured-output request (HTTP {error.status_code}).",
            "A plainer output format will be tried.",
        )
    if isinstance(error, openai.APIStatusError):
        return LLMUnavailableError(
            f"The LLM {where} answered HTTP {error.status_code}: {str(error)[:300]}",
            "Check the server's log; retry later or use another backend.",
        )
    return None


def invoke_chat(
    model: BaseChatModel, messages: list[BaseMessage], usage: TokenUsage, **kwargs: Any
) -> AIMessage:
    """Call the model once; count tokens and time; turn transport failures into clear errors."""
    started = time.perf_counter()
    try:
        with deadline(_answer_seconds(model), LLM_TIMEOUT_SETTING):
            reply = model.invoke(messages, **kwargs)
    except VideoDrafterError:
        raise
    except DeadlinePassed as error:
        raise LLMUnavailableError(
            f"The LLM {_where(model)} did not answer in time: no complete answer within {error.seconds:g} s ({error.setting}).",
            f"Raise {error.setting} or check the server's load"
            + (", or use --llm local:smollm2." if error.setting == LLM_TIMEOUT_SETTING else "."),
        ) from None
    except Exception as error:
        translated = _translate_openai_error(error, model, "response_format" in kwargs)
        if translated is not None:
            raise translated from error
        if _is_remote(model):
            raise LLMUnavailableError(
                f"The LLM {_where(model)} sent something that is not an OpenAI chat completion "
                f"({type(error).__name__}: {str(error)[:200]}).",
                "Check that the URL in --llm points at an OpenAI-compatible /v1 endpoint.",
            ) from error
        if "context window" in str(error) or "exceed context" in str(error):
            raise LLMUnavailableError(
                f"The conversation is too long for the model {_where(model)}: {error}",
                "Shorten the prompt or raise VIDEODRAFTER_LOCAL_N_CTX.",
            ) from error
        raise
    seconds = time.perf_counter() - started
    if not isinstance(reply, AIMessage):  # pragma: no cover - chat models return AIMessage
        reply = AIMessage(content=str(reply.content))
    usage.record(reply, seconds)
    written = (reply.usage_metadata or {}).get("output_tokens", 0)
    report(TokenTick(output_tokens=written, seconds=seconds, finished=True))
    logger.debug("LLM call took %.2fs: %s", seconds, reply.usage_metadata)
    return reply
