"""Structured output: ask for JSON (schema-constrained where the backend can), validate, feed errors back."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from videodrafter.errors import PlanningError
from videodrafter.llm.calls import ResponseFormatRejected, invoke_chat
from videodrafter.llm.usage import TokenUsage

logger = logging.getLogger(__name__)

T = TypeVar("T")

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class OutputProblem(ValueError):
    """What is wrong with an LLM answer, worded for the LLM to fix on the next round."""


def describe_validation_error(error: ValidationError) -> str:
    """A compact, LLM-readable list of what failed validation."""
    lines = []
    for item in error.errors()[:12]:
        where = ".".join(str(part) for part in item["loc"]) or "answer"
        lines.append(f"- {where}: {item['msg']}")
    return "\n".join(lines)


def extract_json_object(text: str) -> Any:
    """The first JSON object in an answer, tolerating code fences and chatter around it."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start = candidate.find("{")
    end = candidate.rfind("}")
    if start < 0 or end <= start:
        raise OutputProblem("The answer contains no JSON object. Answer with one JSON object only.")
    try:
        # strict=False: a raw newline or tab inside a string (a model quoting the prompt) is not an error
        return json.loads(candidate[start : end + 1], strict=False)
    except json.JSONDecodeError as error:
        reason = error.msg.removesuffix(" at")  # 'Invalid control character at' reads 'at at character 88'
        raise OutputProblem(f"The JSON is malformed ({reason} at character {error.pos}).") from error


def json_response_formats(name: str, schema: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Structured-output requests from strictest to plainest.

    OpenAI and vLLM take ``json_schema``; llama.cpp's Python server takes ``json_object`` with a
    schema; any server takes no response_format (the prompt then carries the format).
    The embedded backend turns the first into a llama.cpp grammar.
    """
    return [
        {"type": "json_schema", "json_schema": {"name": name, "schema": schema}},
        {"type": "json_object", "schema": schema},
        None,
    ]


_ACCEPTED_FORMAT: dict[tuple[str, str, str], int] = {}
"""Per backend, the index of the first response format it accepted, so we negotiate once."""


def _backend_key(model: BaseChatModel) -> tuple[str, str, str]:
    return (
        type(model).__name__,
        str(getattr(model, "openai_api_base", "") or ""),
        str(getattr(model, "model_name", "") or ""),
    )


class StructuredResult(BaseModel, Generic[T]):
    """A validated value and what it cost to get it."""

    value: T
    attempts: int
    problems: list[str] = []
    """The problems fed back to the LLM on the way, one per failed attempt."""
    raw: str = ""


M = TypeVar("M", bound=BaseModel)


def generate_json_model(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[M],
    *,
    max_attempts: int,
    usage: TokenUsage,
    stage: str,
    retry_hint: str = "Your answer could not be read",
) -> M:
    """One JSON object validated as ``schema``, the schema sent as a response format where the backend takes one."""
    return generate_structured(
        model,
        messages,
        lambda text, _last: schema.model_validate(extract_json_object(text)),
        max_attempts=max_attempts,
        usage=usage,
        feedback=lambda problem: f"{retry_hint}: {problem}\nAnswer with the JSON object only.",
        response_formats=json_response_formats(schema.__name__, schema.model_json_schema()),
        stage=stage,
    ).value


def generate_structured(
    model: BaseChatModel,
    messages: list[BaseMessage],
    parse: Callable[[str, bool], T],
    *,
    max_attempts: int,
    usage: TokenUsage,
    feedback: Callable[[str], str],
    response_formats: list[dict[str, Any] | None] | None = None,
    stage: str = "structured output",
) -> StructuredResult[T]:
    """Ask, parse, and on failure send the problem back, at most ``max_attempts`` rounds.

    ``parse(text, last_attempt)`` turns the answer into the value or raises OutputProblem /
    ValidationError / ValueError; on the last attempt it may mend what it can instead of
    rejecting. ``feedback`` renders the message that tells the LLM what to fix.
    """
    history = list(messages)
    problems: list[str] = []
    formats = response_formats or [None]
    key = _backend_key(model)
    format_index = min(_ACCEPTED_FORMAT.get(key, 0), len(formats) - 1)
    for attempt in range(1, max_attempts + 1):
        while True:
            response_format = formats[format_index]
            kwargs: dict[str, Any] = {"response_format": response_format} if response_format else {}
            try:
                reply = invoke_chat(model, history, usage, **kwargs)
            except ResponseFormatRejected:
                if format_index + 1 >= len(formats):
                    raise
                format_index += 1
                logger.info("%s: backend refused a response format; trying a plainer one", stage)
                continue
            _ACCEPTED_FORMAT[key] = format_index
            break
        text = str(reply.content)
        try:
            if reply.response_metadata.get("finish_reason") == "length":
                raise OutputProblem("The answer was cut off before it ended. Write a shorter answer.")
            value = parse(text, attempt == max_attempts)
        except ValidationError as error:
            problem = describe_validation_error(error)
        except ValueError as error:
            problem = str(error)
        else:
            return StructuredResult[Any](value=value, attempts=attempt, problems=problems, raw=text)
        logger.info("%s attempt %d/%d rejected: %s", stage, attempt, max_attempts, problem.splitlines()[0])
        problems.append(problem)
        # Only the latest rejected answer and its problem go back: the context stays bounded.
        history = [*messages, AIMessage(content=text), HumanMessage(content=feedback(problem))]
    raise PlanningError(
        f"The LLM gave no usable {stage} in {max_attempts} attempts. Last problem: {problems[-1]}",
        "Try again with another --seed, a clearer prompt, or a stronger backend (--llm).",
    )
