"""One Settings object: defaults, descriptions and VIDEODRAFTER_* environment overrides."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LLM = "local:smollm2"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "videodrafter"


class Settings(BaseSettings):
    """Every knob of a run. Override any field with VIDEODRAFTER_<FIELD> (e.g. VIDEODRAFTER_LLM)."""

    model_config = SettingsConfigDict(env_prefix="VIDEODRAFTER_", extra="ignore")

    llm: str = Field(
        default=DEFAULT_LLM,
        description="LLM spec: 'local:smollm2', 'local:gemma3', 'local:/path/model.gguf', "
        "'openai:gpt-4o' or 'vllm:<model>@<base_url>'.",
    )
    prompt_set: str = Field(default="v1", description="Versioned prompt set under videodrafter/prompts.")
    min_scenes: int = Field(default=3, ge=1, le=20, description="Fewest scenes the planner may write.")
    max_scenes: int = Field(default=6, ge=1, le=20, description="Most scenes the planner may write.")
    max_prompt_chars: int = Field(default=2000, ge=10, description="Longest prompt accepted.")
    plan_max_attempts: int = Field(
        default=3, ge=1, le=20,
        description="LLM rounds per structured stage; the last one mends what it can (the paper used 5).",
    )
    enrich_rounds: int = Field(default=3, ge=1, le=3, description="Dialogue rounds of entity enrichment.")
    llm_temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(default=1024, ge=16, description="Token cap of one LLM answer.")
    llm_timeout_s: float = Field(default=120.0, gt=0, description="Seconds to wait for one LLM answer.")
    llm_transport_retries: int = Field(
        default=1, ge=0, le=10, description="Retries of a failed HTTP call to a remote LLM."
    )
    seed: int = Field(default=0, description="Seed for sampling; the same seed gives the same run.")
    local_n_ctx: int = Field(default=8192, ge=512, description="Context window of an embedded GGUF model.")
    local_threads: int | None = Field(default=None, ge=1, description="CPU threads for llama.cpp.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Assembled model files.")
    runs_dir: Path = Field(default=Path("runs"), description="Where run directories are written.")

    @model_validator(mode="after")
    def _check_scene_bounds(self) -> Settings:
        if self.min_scenes > self.max_scenes:
            raise ValueError(
                f"min_scenes ({self.min_scenes}) is larger than max_scenes ({self.max_scenes})"
            )
        return self
