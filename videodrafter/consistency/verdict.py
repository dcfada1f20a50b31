"""What the vision critic answers, validated like every structured LLM output."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class Verdict(BaseModel):
    """The critic's judgement of one picture (or one clip) against the references."""

    consistent: bool = Field(description="Every referenced entity looks like its reference and the event is shown.")
    score: int = Field(ge=1, le=5, description="1: unrelated to the references … 5: the same subjects, clearly.")
    problems: list[str] = Field(default_factory=list, max_length=8, description="Short descriptions of what is wrong.")
    revised_prompt: str | None = Field(
        default=None, max_length=600, description="A prompt that would fix the problems (None: keep the prompt)."
    )

    @field_validator("problems")
    @classmethod
    def _short(cls, problems: list[str]) -> list[str]:
        for problem in problems:
            if len(problem) > 200:
                raise ValueError("each problem must be a short phrase (at most 200 characters)")
        return [problem.strip() for problem in problems if problem.strip()]

    @field_validator("revised_prompt")
    @classmethod
    def _blank_is_none(cls, prompt: str | None) -> str | None:
        return prompt.strip() or None if prompt is not None else None
