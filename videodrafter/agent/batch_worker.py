"""Making one batch item; the same function runs in-process, in a worker process or inside a Ray actor."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from videodrafter.agent.batch_items import BatchItem
from videodrafter.config import Settings
from videodrafter.errors import VideoDrafterError

log = logging.getLogger(__name__)


class ItemResult(BaseModel):
    ok: bool
    run_id: str
    error: str = ""
    planning_failed: bool = False
    seconds: float = 0.0
    llm_calls: int = 0
    tokens: int = 0
    video: str | None = None
    worker_died: bool = False
    """The worker process died under the item (killed, out of memory): not the item's fault, so it is tried again on a live worker."""


def item_settings(base: dict[str, Any], item: BatchItem, seed_offset: int) -> Settings:
    overrides = {key: value for key, value in {"llm": item.llm, "engine": item.engine}.items() if value}
    seed = (item.seed if item.seed is not None else base.get("seed", 0)) + seed_offset
    return Settings(**{**base, **overrides, "seed": seed, "approve_script": False})


def execute_item(
    item: BatchItem, run_id: str, base_settings: dict[str, Any], seed_offset: int = 0, on_event: Callable[[Any], None] = lambda _event: None,
) -> ItemResult:
    """Start the item's run, or resume it if its folder already has progress. Never raises for bad items
    (Ctrl-C still stops it: the run records itself as interrupted). ``on_event``: the run's progress events."""
    from videodrafter.graph.run_folder import REQUEST
    from videodrafter.run_inputs import load_script_file
    from videodrafter.graph.runner import resume_run, start_run

    started = time.perf_counter()
    settings = item_settings(base_settings, item, seed_offset)
    run_dir = settings.runs_dir / run_id
    if run_dir.is_dir() and not (run_dir / REQUEST).exists() and not any(run_dir.iterdir()):
        run_dir.rmdir()  # killed between creating the folder and writing the request: nothing to keep
    try:
        if (run_dir / REQUEST).is_file():
            outcome = resume_run(run_id, settings.runs_dir, on_event=on_event)
        else:
            script = load_script_file(Path(item.script)) if item.script else None
            outcome = start_run(item.prompt, settings, scenes=item.scenes, script=script, run_id=run_id, on_event=on_event)
    except VideoDrafterError as error:
        return ItemResult(
            ok=False, run_id=run_id, error=str(error), seconds=time.perf_counter() - started,
            planning_failed=not (run_dir / "script.json").is_file(),
        )
    except Exception as error:  # a bug or a broken file must not stop the other items
        log.exception("batch item %s failed", item.id)
        return ItemResult(
            ok=False, run_id=run_id, error=f"{type(error).__name__}: {error}", seconds=time.perf_counter() - started,
            planning_failed=not (run_dir / "script.json").is_file(),
        )
    usage = outcome.usage
    return ItemResult(
        ok=True, run_id=run_id, seconds=time.perf_counter() - started, llm_calls=usage.calls,
        tokens=usage.input_tokens + usage.output_tokens, video=str(outcome.result.video) if outcome.result else None,
    )
