"""Errors a user can act on: each names the problem and what to do about it."""

from __future__ import annotations


class VideoDrafterError(Exception):
    """Base class for every error shown to a user instead of a traceback."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InputError(VideoDrafterError):
    """The user's input (prompt, file, option) cannot be used as given."""


class LLMSpecError(VideoDrafterError):
    """An LLM spec string such as ``vllm:glm-4@http://host/v1`` is malformed or unknown."""


class LLMUnavailableError(VideoDrafterError):
    """The LLM backend could not be reached, timed out, or is not installed."""


class PlanningError(VideoDrafterError):
    """The LLM did not produce a usable script within the allowed attempts."""
