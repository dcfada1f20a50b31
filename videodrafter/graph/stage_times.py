"""How long each stage took in this machine's earlier runs: the estimate a stage shows when it starts.

Kept in ``<runs_dir>/stage-times.json``, per stage and per what decides its time (the LLM for the
LLM stages, the engine and profile for the media stages, the voice for narration). A stage that
counts its items (clips 0/4) is estimated per item. Two runs finishing a stage at the same moment
may keep only one of their times: it is an estimate, so the file takes no lock.
"""

from __future__ import annotations

import logging
import statistics
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from videodrafter.config import Settings
from videodrafter.media.files import write_json_atomic

log = logging.getLogger(__name__)

STAGE_TIMES = "stage-times.json"
KEEP = 20
"""Times kept per key: the median of the last twenty follows a machine that got faster or busier."""
LLM_STAGES = frozenset({"script", "enrich"})


class StageTime(BaseModel):
    """One finished stage."""

    seconds: float = Field(ge=0, description="How long the stage took.")
    items: int = Field(default=0, ge=0, description="Items it made (clips, scene images); 0 when it does not count them.")


class StageTimes(BaseModel):
    """``stage-times.json``: the recent times of every stage, keyed by ``stage_key``."""

    stages: dict[str, list[StageTime]] = Field(default_factory=dict, description="Recent times per stage key, oldest first.")

    @classmethod
    def read(cls, runs_dir: Path) -> StageTimes:
        """The recorded times; a missing or damaged file is no history (it is rewritten whole next time)."""
        try:
            return cls.model_validate_json((runs_dir / STAGE_TIMES).read_text())
        except (OSError, ValidationError, ValueError):
            return cls()

    def estimate(self, key: str, items: int) -> float | None:
        """The median earlier time, per item when both count items; None without history."""
        times = self.stages.get(key)
        if not times:
            return None
        per_item = [time.seconds / time.items for time in times if time.items]
        if items and per_item:
            return round(statistics.median(per_item) * items, 1)
        return round(statistics.median(time.seconds for time in times), 1)

    def add(self, key: str, seconds: float, items: int) -> None:
        self.stages[key] = [*self.stages.get(key, []), StageTime(seconds=round(seconds, 2), items=items)][-KEEP:]


def stage_key(stage: str, settings: Settings) -> str:
    """What a stage's time depends on: 'script · local:smollm2', 'clips · tiny · quality'."""
    if stage in LLM_STAGES:
        return f"{stage} · {settings.llm}"
    if stage == "narration":
        return f"{stage} · {settings.voice}"
    return f"{stage} · {settings.engine} · {settings.profile}"


def record_stage_time(runs_dir: Path, key: str, seconds: float, items: int) -> None:
    """Add a finished stage's time; a runs folder that cannot be written costs the run nothing."""
    times = StageTimes.read(runs_dir)
    times.add(key, seconds, items)
    try:
        write_json_atomic(runs_dir / STAGE_TIMES, times.model_dump(mode="json"))
    except OSError as problem:
        log.warning("could not record how long '%s' took: %s", key, problem)
