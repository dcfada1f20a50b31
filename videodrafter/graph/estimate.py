"""What a run will take, before it starts (`make --dry-run`): its stages, LLM calls and tokens,
seconds per stage and the API price; nothing is written.

Seconds come from this machine's earlier runs (``stage_times``: per stage and LLM / engine / profile,
per item where the stage counts items), else from typical figures for the engine's kind (the
benchmarks' tables). LLM calls and tokens come from earlier runs' manifests with the same LLM, else
from typical figures. Prices come from ``prices.yaml`` (or ``VIDEODRAFTER_PRICES_FILE``).
"""

from __future__ import annotations

import json
import os
import statistics
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from videodrafter.config import Settings
from videodrafter.graph.stage_times import StageTimes, stage_key
from videodrafter.script import VideoScript

Source = Literal["earlier runs", "typical"]

TYPICAL_SECONDS_PER_ITEM: dict[str, dict[str, float]] = {
    # the embedded LLM on 2 idle cores; a remote LLM answers a call in a few seconds
    "local": {"script": 20.0, "enrich": 8.0},
    "remote": {"script": 15.0, "enrich": 5.0, "critic": 5.0},
    # engines: per reference / scene image / clip, from benchmarks/README.md
    "animatic": {"references": 0.5, "scene images": 0.3, "consistency": 0.1, "clips": 1.0, "assemble": 2.0},
    "tiny": {"references": 3.0, "scene images": 2.0, "consistency": 0.5, "clips": 5.0, "assemble": 3.0},
    "gpu": {"references": 6.0, "scene images": 6.0, "consistency": 1.0, "clips": 47.0, "assemble": 5.0},
    "speech": {"narration": 1.5},
}
"""Seconds per item where this machine has no history: a first estimate, replaced by measured times."""
TYPICAL_LLM = {"local": (9, 6000, 900), "remote": (9, 9000, 2500)}
"""(calls, input tokens, output tokens) of a script with enrichment, where no earlier run used the LLM."""
DEFAULT_SCENES = 4


class StageEstimate(BaseModel):
    """One stage of the coming run."""

    stage: str = Field(description="The stage's name, as progress shows it.")
    items: int = Field(description="What it makes: scenes, references, clips (0: not counted).")
    seconds: float = Field(description="Expected seconds.")
    source: Source = Field(description="Where the figure comes from: this machine's earlier runs, or typical figures.")


class RunEstimate(BaseModel):
    """What `make --dry-run` prints."""

    stages: list[StageEstimate] = Field(description="The stages that will run, in order.")
    llm: str = Field(description="The LLM spec.")
    llm_calls: int = Field(description="Expected LLM calls (0 with a finished script).")
    input_tokens: int = Field(description="Expected tokens sent.")
    output_tokens: int = Field(description="Expected tokens written.")
    llm_source: Source = Field(description="Where the LLM figures come from.")
    price_usd: float = Field(description="Expected API price (0 for local and self-hosted models).")
    price_note: str = Field(description="How the price was found.")

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)


def _engine_kind(engine: str) -> str:
    if engine == "animatic":
        return "animatic"
    return "tiny" if engine.startswith("tiny") else "gpu"


def _stage_counts(settings: Settings, scenes: int, entities: int, planning: bool) -> list[tuple[str, int, str]]:
    """(stage, items, kind of typical figure) of the stages that will run."""
    stages: list[tuple[str, int, str]] = []
    llm_kind = "local" if settings.llm.startswith("local:") else "remote"
    if planning:
        # the script stage counts review rounds, as its progress does
        stages.append(("script", settings.review_rounds, llm_kind))
        if settings.enrich != "none":
            stages.append(("enrich", entities, llm_kind))
    kind = _engine_kind(settings.engine)
    stages += [("references", entities, kind), ("scene images", scenes, kind), ("consistency", scenes, kind)]
    if settings.critic:
        stages.append(("critic", scenes, "remote"))
    stages.append(("clips", scenes, kind))
    if settings.voice != "none":
        stages.append(("narration", scenes, "speech"))
    stages.append(("assemble", 1, kind))
    return stages


def _llm_history(runs_dir: Path, llm: str) -> tuple[int, int, int] | None:
    """Median (calls, input, output tokens) of earlier runs' manifests that planned with ``llm``."""
    found = []
    for path in sorted(runs_dir.glob("*/manifest.json"))[-50:]:
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        usage = manifest.get("usage") or {}
        if manifest.get("llm") == llm and usage.get("calls"):
            found.append((usage["calls"], usage.get("input_tokens", 0), usage.get("output_tokens", 0)))
    if not found:
        return None
    return tuple(int(statistics.median(values)) for values in zip(*found, strict=True))  # type: ignore[return-value]


def _prices() -> dict:
    override = os.environ.get("VIDEODRAFTER_PRICES_FILE")
    text = Path(override).read_text() if override else resources.files("videodrafter").joinpath("prices.yaml").read_text()
    return yaml.safe_load(text) or {}


def _price(llm: str, input_tokens: int, output_tokens: int) -> tuple[float, str]:
    provider, _, model = llm.partition(":")
    if provider != "openai":
        return 0.0, f"{provider} models run on your own machine or server: no API price"
    table = _prices().get("openai", {})
    for name in sorted(table, key=len, reverse=True):
        if model.startswith(name):
            per_in, per_out = table[name]
            return round((input_tokens * per_in + output_tokens * per_out) / 1e6, 4), f"{name}: ${per_in}/M in, ${per_out}/M out"
    return 0.0, f"no price known for '{model}': add it to a prices file (VIDEODRAFTER_PRICES_FILE)"


def estimate_run(settings: Settings, *, scenes: int | None = None, script: VideoScript | None = None) -> RunEstimate:
    """The coming run's stages, LLM use and price; reads earlier runs, writes nothing."""
    count = len(script.scenes) if script is not None else scenes or min(max(DEFAULT_SCENES, settings.min_scenes), settings.max_scenes)
    entities = len(script.entities) if script is not None else count + 1
    times = StageTimes.read(settings.runs_dir)
    stages = []
    for stage, items, kind in _stage_counts(settings, count, entities, planning=script is None):
        measured = times.estimate(stage_key(stage, settings), items)
        typical = TYPICAL_SECONDS_PER_ITEM[kind].get(stage, 1.0) * max(items, 1)
        stages.append(StageEstimate(stage=stage, items=items, seconds=measured if measured is not None else typical,
                                    source="earlier runs" if measured is not None else "typical"))
    calls = tokens_in = tokens_out = 0
    source: Source = "typical"
    if script is None:
        history = _llm_history(settings.runs_dir, settings.llm)
        source = "earlier runs" if history else "typical"
        calls, tokens_in, tokens_out = history or TYPICAL_LLM["local" if settings.llm.startswith("local:") else "remote"]
    price, note = _price(settings.llm, tokens_in, tokens_out)
    return RunEstimate(stages=stages, llm=settings.llm, llm_calls=calls, input_tokens=tokens_in, output_tokens=tokens_out,
                       llm_source=source, price_usd=price, price_note=note)
