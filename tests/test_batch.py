"""Batch generation: status table, bounded retries, resume after kill -9, concurrent batches, local worker processes, Ray."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.cli import cli_command
from tests.fixtures.scripts import write_items, write_script
from tests.fixtures.settings import small_settings
from videodrafter.agent.batch import run_batch
from videodrafter.agent.batch_items import read_batch_file
from videodrafter.agent.batch_store import RESULTS, BatchStore, ItemOutcome, ItemStatus
from videodrafter.errors import InputError
from videodrafter.media.video import probe_video


def test_txt_and_jsonl_batch_files_are_checked_up_front(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("# my batch\na dog at the beach\n\na robot paints\n")
    assert [(item.id, item.prompt) for item in read_batch_file(prompts)] == [("001", "a dog at the beach"), ("002", "a robot paints")]
    bad = tmp_path / "items.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"prompt": "x", "scenes": 99}\n')
    with pytest.raises(InputError, match="Line 2"):
        read_batch_file(bad)
    duplicate = tmp_path / "dup.jsonl"
    duplicate.write_text('{"id": "a", "prompt": "x"}\n{"id": "a", "prompt": "y"}\n')
    with pytest.raises(InputError, match="appears twice"):
        read_batch_file(duplicate)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(InputError, match="no items"):
        read_batch_file(empty)


def test_a_batch_makes_every_item_and_retries_a_broken_one_a_bounded_number_of_times(tmp_path: Path) -> None:
    items_file = write_items(tmp_path, 2, extra=[{"id": "broken", "script": "missing.json"}])
    seen = []
    summary = run_batch(read_batch_file(items_file), small_settings(tmp_path / "runs"), batch_id="b1", retries=2, on_update=seen.append)
    assert (summary.total, summary.done, summary.failed) == (3, 2, 1)
    assert "missing.json" in summary.failures["broken"]
    store = BatchStore(tmp_path / "runs" / "batches" / "b1")
    records = {record.item.id: record for record in store.records()}
    store.close()
    assert records["broken"].attempts == 3 and records["broken"].status is ItemStatus.FAILED
    assert {ItemStatus.QUEUED, ItemStatus.RUNNING, ItemStatus.DONE} <= {r.status for snapshot in seen for r in snapshot}
    for item_id in ("v0", "v1"):
        assert probe_video(Path(records[item_id].video)).frames == 12
    assert json.loads((tmp_path / "runs" / "batches" / "b1" / "summary.json").read_text())["done"] == 2
    # a running item showed its stage and how long it had been at it
    running = [record for snapshot in seen for record in snapshot if record.status is ItemStatus.RUNNING and record.stage]
    assert running and all(record.started_at and record.progress().startswith(record.stage) for record in running)
    results = _results(tmp_path / "runs" / "batches" / "b1")
    assert [(line.item_id, line.status) for line in results] == [("v0", "done"), ("v1", "done"), ("broken", "failed")]
    assert results[0].video == records["v0"].video and results[0].seconds > 0 and results[0].error == ""
    assert "missing.json" in results[2].error and results[2].attempts == 3 and results[2].video is None


def _results(folder: Path) -> list[ItemOutcome]:
    """results.jsonl beside batch.sqlite: every line a whole record."""
    return [ItemOutcome.model_validate_json(line) for line in (folder / RESULTS).read_text().splitlines()]


def test_local_workers_make_items_at_once_each_in_a_process_of_its_own(tmp_path: Path) -> None:
    items = read_batch_file(write_items(tmp_path, 2, extra=[{"id": "broken", "script": "missing.json"}]))
    seen = []
    summary = run_batch(items, small_settings(tmp_path / "runs"), batch_id="w", workers=2, retries=0, on_update=seen.append)
    assert (summary.done, summary.failed) == (2, 1)
    assert any(sum(record.status is ItemStatus.RUNNING for record in snapshot) == 2 for snapshot in seen)
    runs = [tmp_path / "runs" / f"w-v{index}" for index in range(2)]
    started = [(run / "request.json").stat().st_mtime for run in runs]
    finished = [(run / "video.mp4").stat().st_mtime for run in runs]
    assert started[1] < finished[0] and started[0] < finished[1], "the two items did not run at the same time"
    # two processes, each loaded its models once (the parent loads none)
    assert len(summary.worker_load_counts) == 2
    assert all(any(name.startswith("u2net:") for name in counts) for counts in summary.worker_load_counts)
    assert all(count == 1 for counts in summary.worker_load_counts for count in counts.values())
    assert any(record.stage and record.progress() for snapshot in seen for record in snapshot if record.status is ItemStatus.RUNNING)
    assert [(line.item_id, line.status) for line in _results(tmp_path / "runs" / "batches" / "w")] == [("v0", "done"), ("v1", "done"), ("broken", "failed")]


def test_sigterm_stops_every_worker_with_recorded_statuses_and_the_command_that_continues(tmp_path: Path) -> None:
    items_file = write_items(tmp_path, 3, duration_s=3)
    runs = tmp_path / "runs"
    command = cli_command("batch", str(items_file), "--batch-id", "term", "--runs-dir", str(runs), "--workers", "2")
    process = subprocess.Popen(
        command, env={**os.environ, "VIDEODRAFTER_FPS": "24"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not all((runs / f"term-v{index}" / "status.json").exists() for index in range(2)):  # both workers are on an item
        assert process.poll() is None and time.monotonic() < deadline, "the batch ended before it could be stopped"
        time.sleep(0.05)
    workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False).stdout.split()
    process.send_signal(signal.SIGTERM)  # to the batch process only: it must stop its workers itself
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "--workers 2" in " ".join(stderr.split()) and "To continue" in stderr
    store = BatchStore(runs / "batches" / "term")
    statuses = {record.item.id: record.status for record in store.records()}
    store.close()
    assert statuses == {"v0": ItemStatus.INTERRUPTED, "v1": ItemStatus.INTERRUPTED, "v2": ItemStatus.QUEUED}
    assert all(json.loads((runs / f"term-v{index}" / "status.json").read_text())["status"] == "interrupted" for index in range(2))
    assert workers and not [pid for pid in workers if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"], "a worker outlived the batch"


def _state(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_one_batch_at_a_time_per_batch_id(tmp_path: Path) -> None:
    store = BatchStore(tmp_path / "b")
    try:
        with pytest.raises(InputError, match="already running"):
            BatchStore(tmp_path / "b")
    finally:
        store.close()


def test_a_killed_batch_resumes_without_redoing_finished_items(tmp_path: Path) -> None:
    items_file = write_items(tmp_path, 3, duration_s=3)
    runs = tmp_path / "runs"
    env = {**os.environ, "VIDEODRAFTER_FPS": "24"}
    command = cli_command("batch", str(items_file), "--batch-id", "kill", "--runs-dir", str(runs))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (runs / "kill-v1" / "request.json").exists():  # item v0 is recorded done, v1 is under way
        assert process.poll() is None and time.monotonic() < deadline, "the batch ended before it could be killed"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert [line.item_id for line in _results(runs / "batches" / "kill")] == ["v0"]  # the kill left a whole file
    first_video = runs / "kill-v0" / "video.mp4"
    stamp = first_video.stat().st_mtime_ns
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert first_video.stat().st_mtime_ns == stamp, "a finished item was made again"
    assert all((runs / f"kill-v{index}" / "video.mp4").is_file() for index in range(3))
    assert "3/3 done" in " ".join(resumed.stdout.split())
    assert [(line.item_id, line.status) for line in _results(runs / "batches" / "kill")] == [(f"v{index}", "done") for index in range(3)]


def test_two_batches_on_one_runs_folder_do_not_clobber_each_other(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folders = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        folders.append(write_items(tmp_path / name, 2))
    processes = [
        subprocess.Popen(
            cli_command("batch", str(path), "--runs-dir", str(runs)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "VIDEODRAFTER_FPS": "6", "VIDEODRAFTER_CROSSFADE_S": "0", "VIDEODRAFTER_VIDEO_WIDTH": "160", "VIDEODRAFTER_VIDEO_HEIGHT": "96"},
        )
        for path in folders
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    run_dirs = sorted(path.parent for path in runs.glob("*/video.mp4"))
    assert len(run_dirs) == 4
    for run_dir in run_dirs:  # every run still holds its own script and a complete video
        request = json.loads((run_dir / "request.json").read_text())
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["title"] == request["script"]["title"]
        assert probe_video(run_dir / "video.mp4").frames == 12


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_executor_matches_the_local_executor_and_keeps_models_per_worker(tmp_path: Path, ray_cluster) -> None:
    items = read_batch_file(write_items(tmp_path, 3))
    local = run_batch(items, small_settings(tmp_path / "local"), batch_id="same", executor="local")
    distributed = run_batch(items, small_settings(tmp_path / "ray"), batch_id="same", executor="ray", workers=2)
    assert (local.done, distributed.done) == (3, 3)
    assert len(distributed.worker_load_counts) == 2
    # every model a worker used (U²-Net, the engine, the embedder) was loaded once in that worker
    assert all(any(name.startswith("u2net:") for name in counts) for counts in distributed.worker_load_counts)
    assert all(count == 1 for counts in distributed.worker_load_counts for count in counts.values())
    for index in range(3):
        run = f"same-v{index}"
        for relative in ("script.json",):
            assert (tmp_path / "local" / run / relative).read_text() == (tmp_path / "ray" / run / relative).read_text()
        local_scenes = sorted((tmp_path / "local" / run / "scenes").glob("*.png"))
        ray_scenes = sorted((tmp_path / "ray" / run / "scenes").glob("*.png"))
        assert [p.name for p in local_scenes] == [p.name for p in ray_scenes]
        assert [_digest(p) for p in local_scenes] == [_digest(p) for p in ray_scenes]
        assert probe_video(tmp_path / "ray" / run / "video.mp4").frames == probe_video(tmp_path / "local" / run / "video.mp4").frames


@pytest.mark.slow
def test_ray_and_local_write_the_same_script_with_the_embedded_llm(tmp_path: Path, ray_cluster) -> None:
    from videodrafter.agent.batch_items import BatchItem

    items = [BatchItem(id="dog", prompt="a dog's day at the beach", scenes=3, seed=5)]
    settings = small_settings(critique=False)
    local = run_batch(items, settings.model_copy(update={"runs_dir": tmp_path / "local"}), batch_id="llm")
    distributed = run_batch(items, settings.model_copy(update={"runs_dir": tmp_path / "ray"}), batch_id="llm", executor="ray", workers=1)
    assert (local.done, distributed.done) == (1, 1)
    assert distributed.llm_calls == local.llm_calls >= 2
    assert (tmp_path / "local" / "llm-dog" / "script.json").read_text() == (tmp_path / "ray" / "llm-dog" / "script.json").read_text()


def test_the_status_table_shows_a_running_items_stage_and_time() -> None:
    import time

    from rich.console import Console

    from videodrafter.agent.batch_items import BatchItem
    from videodrafter.agent.batch_store import ItemRecord, ItemStatus
    from videodrafter.display import batch_table

    record = ItemRecord(item=BatchItem(id="a", prompt="a dog"), status=ItemStatus.RUNNING, attempts=1, stage="clips 1/3", started_at=time.time() - 12)
    console = Console(record=True, width=160)
    console.print(batch_table("b", [record]))
    assert "clips 1/3, 12 s" in console.export_text()


def test_a_ray_worker_killed_mid_batch_is_replaced_and_every_item_is_done(tmp_path: Path, ray_cluster, monkeypatch) -> None:
    import ray

    from videodrafter.agent import executors

    started: list[executors.RayExecutor] = []
    real_init = executors.RayExecutor.__init__

    def remember(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(executors.RayExecutor, "__init__", remember)
    killed: list[str] = []

    def kill_a_busy_worker(records) -> None:
        running = [record for record in records if record.status is ItemStatus.RUNNING]
        if running and not killed and started and started[0]._in_flight:
            _spec, actor = next(iter(started[0]._in_flight.values()))
            ray.kill(actor, no_restart=True)
            killed.append(running[0].item.id)

    items = read_batch_file(write_items(tmp_path, 3))
    summary = run_batch(items, small_settings(tmp_path / "runs"), batch_id="dies", executor="ray", workers=2, retries=0, on_update=kill_a_busy_worker)
    assert killed, "a worker was killed while it had an item"
    assert (summary.done, summary.failed) == (3, 0), summary.failures
    assert summary.worker_deaths == 1
    assert len(started[0].actors) == 2


def test_running_a_batch_again_tries_its_failed_items_again(tmp_path: Path) -> None:
    items_file = write_items(tmp_path, 1, extra=[{"id": "late", "script": "late.json"}])
    settings = small_settings(tmp_path / "runs")
    first = run_batch(read_batch_file(items_file), settings, batch_id="again", retries=0)
    assert (first.done, first.failed) == (1, 1)
    write_script(tmp_path / "late.json", "late", ["left"])  # the user fixes what failed, then runs the same batch
    second = run_batch(read_batch_file(items_file), settings, batch_id="again", retries=0)
    assert (second.done, second.failed) == (2, 0), second.failures


def test_a_running_items_stage_carries_its_count_and_the_estimate_from_earlier_runs(tmp_path: Path) -> None:
    from videodrafter.agent.batch import _run_stage

    run = tmp_path / "r"
    run.mkdir()
    (run / "status.json").write_text(json.dumps({"status": "running", "stage": "clips", "done": 1, "total": 4, "estimate_s": 40.2}))
    assert _run_stage(run) == "clips 1/4 (~40 s)"
    (run / "status.json").write_text(json.dumps({"status": "running", "stage": "script"}))
    assert _run_stage(run) == "script"
