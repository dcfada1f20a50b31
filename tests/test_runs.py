"""Run history: `videodrafter runs` lists every run newest first, with its status and where its video is."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.fixtures.cli import run_cli
from tests.fixtures.scripts import write_items, write_script
from tests.fixtures.settings import SMALL_VIDEO_ENV


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={**SMALL_VIDEO_ENV, "COLUMNS": "250"})  # a wide terminal: the table is not cut


def test_runs_lists_done_and_paused_runs_newest_first(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    empty = _cli("runs", "--runs-dir", str(runs))
    assert empty.returncode == 0 and "No runs" in empty.stderr

    script = write_script(tmp_path / "script.json", "first", ["left", "zoom in"])
    done = _cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "first")
    assert done.returncode == 0, done.stderr
    paused = _cli("make", "--script", str(write_script(tmp_path / "s2.json", "second", ["right"])), "--runs-dir", str(runs), "--run-id", "second", "--approve")
    assert paused.returncode == 0, paused.stderr
    (runs / "not-a-run").mkdir()  # a folder killed before its request: not listed

    listed = _cli("runs", "--runs-dir", str(runs), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert [record["run_id"] for record in records] == ["second", "first"]
    second, first = records
    assert first["status"] == "done" and first["scenes"] == 2 and first["video"] == str(runs / "first" / "video.mp4")
    assert first["prompt"] == "first: a dog on the beach" and first["next_step"] is None
    assert second["status"] == "waiting_for_approval" and second["video"] is None and second["scenes"] == 1
    assert second["next_step"].startswith("videodrafter resume second") and second["next_step"].endswith("--approve")

    table = " ".join(_cli("runs", "--runs-dir", str(runs)).stdout.split())
    assert table.index("second: a dog") < table.index("first: a dog")
    assert "waiting for approval" in table and str(runs / "first" / "video.mp4") in table


def test_a_killed_run_reads_as_interrupted(tmp_path: Path) -> None:
    from videodrafter.errors import InputError
    from videodrafter.graph.run_history import find_run, list_runs

    runs = tmp_path / "runs"
    run_dir = runs / "killed"
    run_dir.mkdir(parents=True)
    (run_dir / "request.json").write_text(json.dumps({"run_id": "killed", "prompt": "p", "settings": {}, "created_at": "2026-01-01T00:00:00"}))
    (run_dir / "status.json").write_text(json.dumps({"status": "running", "stage": "scenes"}))
    (run_dir / "run.lock").write_text(json.dumps({"pid": 2**22 + 1, "host": os.uname().nodename}))  # no such process
    record = find_run(runs, "killed")
    assert record.status == "interrupted" and record.stage == "scenes" and record.next_step() == f"videodrafter resume killed --runs-dir {runs}"
    assert [r.run_id for r in list_runs(runs)] == ["killed"]
    try:
        find_run(runs, "nope")
    except InputError as error:
        assert "There is no run 'nope'" in error.message and "killed" in error.hint
    else:
        raise AssertionError("an unknown run must be refused")


def test_batch_summary_shows_each_video(tmp_path: Path) -> None:
    items = write_items(tmp_path, 2)
    result = _cli("batch", str(items), "--runs-dir", str(tmp_path / "runs"), "--batch-id", "b")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.replace("│", " ").split())
    for item in ("v0", "v1"):
        assert f"video {item} {tmp_path / 'runs' / f'b-{item}' / 'video.mp4'}" in out
