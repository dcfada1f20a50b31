"""Token and call accounting across every LLM call of a stage or a run."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from pydantic import BaseModel


class TokenUsage(BaseModel):
    """Tokens in and out, and how many LLM calls were made."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def record(self, message: AIMessage, seconds: float) -> None:
        usage = message.usage_metadata or {}
        self.calls += 1
        self.input_tokens += int(usage.get("input_tokens", 0) or 0)
        self.output_tokens += int(usage.get("output_tokens", 0) or 0)
        compute = (message.response_metadata or {}).get("compute_seconds")
        self.seconds += float(compute) if compute is not None else seconds

    def add(self, other: TokenUsage) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.seconds += other.seconds
