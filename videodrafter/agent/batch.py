"""Self-correcting, resumable batch generation.

Each item is a checkpointed run. A failed item is retried (bounded): a run that failed after its
script was written is resumed (finished artifacts are kept); a run whose planning failed starts
over with another seed. Killing the batch and running the same command again (same --batch-id)
skips finished items, resumes interrupted ones and tries failed ones again. A worker that dies
(killed, out of memory) is replaced and its item tried again on a live one, without counting as an
attempt (at most ``MAX_WORKER_DEATHS`` times per item).

Items run one at a time in this process, ``workers`` at a time in worker processes, or on Ray actors.
While an item runs, its record carries the stage its run's ``status.json`` names and when the attempt
started; ``results.jsonl`` (beside ``batch.sqlite``) lists every item that finished or failed.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from videodrafter.agent.batch_items import BatchItem
from videodrafter.agent.batch_store import BatchStore, ItemRecord, ItemStatus
from videodrafter.agent.batch_worker import ItemResult, item_settings
from videodrafter.agent.executors import POLL_S, Executor, LocalExecutor, ProcessExecutor, RayExecutor, WorkSpec
from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.run_inputs import check_choices

ExecutorName = Literal["local", "ray"]


class BatchSummary(BaseModel):
    batch_id: str
    folder: str
    executor: str
    total: int
    done: int
    failed: int
    seconds: float
    llm_calls: int
    tokens: int
    failures: dict[str, str] = Field(default_factory=dict)
    videos: dict[str, str] = Field(default_factory=dict, description="Each finished item's video, by item id.")
    worker_load_counts: list[dict[str, int]] = Field(default_factory=list)
    worker_deaths: int = Field(default=0, description="Workers that died during the batch; each was replaced and its item tried again.")


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the batch; the items under way are marked interrupted and resume next time."""

    def __init__(self, batch_id: str, interrupted: list[str]) -> None:
        super().__init__(f"The batch '{batch_id}' was interrupted.")
        self.batch_id = batch_id
        self.interrupted = interrupted


MAX_WORKER_DEATHS = 2
"""Workers that may die under one item before its tries count as attempts (an item that kills every
worker, e.g. out of memory, must still end)."""


def _first_spec(record: ItemRecord, batch_id: str) -> WorkSpec | None:
    base = f"{batch_id}-{record.item.id}"
    if record.status is ItemStatus.DONE:
        return None
    if record.status is ItemStatus.QUEUED:
        return WorkSpec(item=record.item, run_id=base, attempt=1)
    if record.status in (ItemStatus.RUNNING, ItemStatus.INTERRUPTED):  # killed or Ctrl-C: pick its run up where it stopped
        return WorkSpec(item=record.item, run_id=record.run_id or base, attempt=max(record.attempts, 1), seed_offset=_offset(record.run_id))
    # failed: running the batch again is asking for another try, whatever the last run's retries were
    return WorkSpec(item=record.item, run_id=record.run_id or base, attempt=record.attempts + 1, seed_offset=_offset(record.run_id))


def _offset(run_id: str | None) -> int:
    if run_id and "-retry" in run_id:
        return int(run_id.rsplit("-retry", 1)[1])
    return 0


def _retry_spec(spec: WorkSpec, planning_failed: bool, batch_id: str) -> WorkSpec:
    attempt = spec.attempt + 1
    if planning_failed:  # same seed, same LLM answer: try another seed in a fresh run
        return WorkSpec(item=spec.item, run_id=f"{batch_id}-{spec.item.id}-retry{attempt - 1}", attempt=attempt, seed_offset=attempt - 1)
    return spec.model_copy(update={"attempt": attempt})  # resume: keep what is finished


def run_batch(
    items: list[BatchItem],
    settings: Settings,
    *,
    batch_id: str,
    executor: ExecutorName = "local",
    workers: int | None = None,
    retries: int = 1,
    ray_address: str | None = None,
    on_update: Callable[[list[ItemRecord]], None] = lambda _records: None,
) -> BatchSummary:
    started = time.perf_counter()
    base = json.loads(settings.model_dump_json())
    _check_items(items, base)
    store = BatchStore(settings.runs_dir / "batches" / batch_id)
    try:
        # 1. what is left to do: new items, interrupted ones, failed ones (a rerun tries them again)
        store.register(items)
        records = {record.item.id: record for record in store.records()}
        wanted = {item.id for item in items}
        pending = deque(spec for record in records.values() if record.item.id in wanted and (spec := _first_spec(record, batch_id)))
        runner = _executor(executor, base, workers, ray_address, items_left=len(pending))
        # 2. run it, retrying failures, until nothing is pending or under way
        try:
            _run_pending(pending, records, store, runner, batch_id=batch_id, retries=retries, runs_dir=settings.runs_dir, on_update=on_update)
            load_counts = runner.load_counts()
        except KeyboardInterrupt:
            stopped = _mark_interrupted(records, store)
            on_update(store.records())
            raise BatchInterrupted(batch_id, stopped) from None
        finally:
            runner.close()
        # 3. the summary of this batch's items
        final = [record for record in store.records() if record.item.id in wanted]
        summary = _summary(
            final, batch_id=batch_id, folder=store.folder, executor=f"{executor} ({runner.capacity} at a time)",
            seconds=time.perf_counter() - started, load_counts=load_counts,
        ).model_copy(update={"worker_deaths": runner.worker_deaths})
        store.write_results()
        store.write_summary(summary.model_dump(mode="json"))
        return summary
    finally:
        store.close()


def _executor(name: ExecutorName, base: dict, workers: int | None, ray_address: str | None, *, items_left: int) -> Executor:
    """local: one item at a time in this process (the default), or worker processes, no more than there
    are items left (a retry only ever takes a finished attempt's place); ray: ``workers`` actors (default 2)."""
    if name == "ray":
        return RayExecutor(base, workers or 2, ray_address)
    processes = min(workers or 1, items_left)
    return ProcessExecutor(base, processes) if processes > 1 else LocalExecutor(base)


def _check_items(items: list[BatchItem], base: dict) -> None:
    """A typo in one item's engine or LLM is reported before any item is made."""
    for item in items:
        try:
            check_choices(item_settings(base, item, 0), llm_needed=item.script is None)
        except VideoDrafterError as error:
            raise InputError(f"Batch item '{item.id}': {error.message}", error.hint) from None


def _run_pending(
    pending: deque[WorkSpec],
    records: dict[str, ItemRecord],
    store: BatchStore,
    runner: Executor,
    *,
    batch_id: str,
    retries: int,
    runs_dir: Path,
    on_update: Callable[[list[ItemRecord]], None],
) -> None:
    """Keep the runner full; record each result as it comes, and queue a failed item's retry."""
    in_flight = 0
    shown = time.monotonic()

    def tick() -> None:  # while items run: their stage and time, at most twice a second
        nonlocal shown
        if time.monotonic() - shown >= POLL_S:
            shown = time.monotonic()
            _refresh_stages(records, store, runs_dir)
            on_update(store.records())

    on_update(store.records())
    while pending or in_flight:
        while pending and in_flight < runner.capacity:
            spec = pending.popleft()
            record = records[spec.item.id].model_copy(update={
                "status": ItemStatus.RUNNING, "attempts": spec.attempt, "run_id": spec.run_id, "error": "", "stage": None,
                "started_at": time.time(),
            })
            records[spec.item.id] = record
            store.save(record)
            runner.submit(spec)
            in_flight += 1
            on_update(store.records())
        spec, result = runner.next_result(tick)
        in_flight -= 1
        records[spec.item.id] = _with_result(records[spec.item.id], result)
        if not result.ok and result.worker_died and spec.worker_deaths < MAX_WORKER_DEATHS:
            pending.append(spec.model_copy(update={"worker_deaths": spec.worker_deaths + 1}))  # again, on a live worker
        elif not result.ok and spec.attempt <= retries:
            pending.append(_retry_spec(spec, result.planning_failed, batch_id))
        store.save(records[spec.item.id])
        store.write_results()
        on_update(store.records())


def _refresh_stages(records: dict[str, ItemRecord], store: BatchStore, runs_dir: Path) -> None:
    """A running item's stage, from its run's status.json (written by whichever process drives the run)."""
    for item_id, record in records.items():
        if record.status is ItemStatus.RUNNING and record.run_id:
            stage = _run_stage(runs_dir / record.run_id)
            if stage and stage != record.stage:
                records[item_id] = record.model_copy(update={"stage": stage})
                store.save(records[item_id])


def _run_stage(run_dir: Path) -> str | None:
    """'clips 2/4 (~40 s)' from a run's status.json (the estimate: how long the stage took in earlier
    runs); None while it has none (or is being replaced)."""
    from videodrafter.graph.run_folder import STATUS

    try:
        status = json.loads((run_dir / STATUS).read_text())
    except (OSError, ValueError):
        return None
    stage = status.get("stage") if isinstance(status, dict) else None
    if not stage or status.get("status") != "running":
        return None
    done, total, estimate = status.get("done"), status.get("total"), status.get("estimate_s")
    counted = f"{stage} {done}/{total}" if isinstance(total, int) and total > 0 and isinstance(done, int) else str(stage)
    return f"{counted} (~{estimate:.0f} s)" if isinstance(estimate, (int, float)) and estimate > 0 else counted


def _with_result(record: ItemRecord, result: ItemResult) -> ItemRecord:
    """The record after one attempt: done with its video, or failed with its error; time and tokens add up."""
    update = {
        "stage": None,
        "started_at": None,
        "seconds": record.seconds + result.seconds,
        "llm_calls": record.llm_calls + result.llm_calls,
        "tokens": record.tokens + result.tokens,
    }
    if result.ok:
        update |= {"status": ItemStatus.DONE, "video": result.video, "error": ""}
    else:
        update |= {"status": ItemStatus.FAILED, "error": result.error}
    return record.model_copy(update=update)


def _mark_interrupted(records: dict[str, ItemRecord], store: BatchStore) -> list[str]:
    """Ctrl-C: the items under way are marked interrupted (they resume next time); their ids."""
    stopped = []
    for item_id, record in records.items():
        if record.status is ItemStatus.RUNNING:
            records[item_id] = record.model_copy(update={"status": ItemStatus.INTERRUPTED, "error": "interrupted (Ctrl-C)", "started_at": None})
            store.save(records[item_id])
            stopped.append(item_id)
    return stopped


def _summary(
    final: list[ItemRecord], *, batch_id: str, folder: Path, executor: str, seconds: float, load_counts: list[dict[str, int]]
) -> BatchSummary:
    return BatchSummary(
        batch_id=batch_id,
        folder=str(folder),
        executor=executor,
        total=len(final),
        done=sum(record.status is ItemStatus.DONE for record in final),
        failed=sum(record.status is ItemStatus.FAILED for record in final),
        seconds=seconds,
        llm_calls=sum(record.llm_calls for record in final),
        tokens=sum(record.tokens for record in final),
        failures={record.item.id: record.error for record in final if record.status is ItemStatus.FAILED},
        videos={record.item.id: record.video for record in final if record.status is ItemStatus.DONE and record.video},
        worker_load_counts=load_counts,
    )
