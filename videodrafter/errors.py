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


class StorageError(VideoDrafterError):
    """The runs folder cannot be written: the disk is full, the folder is read-only or not ours."""

    REASONS = {
        28: ("the disk is full", "Free some space (or point --runs-dir / VIDEODRAFTER_RUNS_DIR at a larger disk)"),
        122: ("the disk quota is used up", "Free some space within your quota"),
        30: ("the file system is read-only", "Use a writable folder with --runs-dir or VIDEODRAFTER_RUNS_DIR"),
        13: ("permission was denied", "Use a folder you can write with --runs-dir or VIDEODRAFTER_RUNS_DIR, or fix its permissions"),
    }
    """errno → (what happened, what to do)."""

    @classmethod
    def translate(cls, error: BaseException) -> BaseException:
        """An OSError of a full, read-only or foreign folder as a StorageError; any other error as it is."""
        if not isinstance(error, OSError) or error.errno not in cls.REASONS:
            return error
        what, todo = cls.REASONS[error.errno]
        where = f" writing {error.filename}" if error.filename else ""
        return cls(f"Could not write{where}: {what}.", f"{todo}; everything finished so far is kept.")
