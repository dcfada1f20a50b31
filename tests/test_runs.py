"""Run history: `videodrafter runs` lists every run newest first, with its status and where its video is."""

from __future__ import annotations

import json
import os
import re
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
    # without a terminal the batch says what each item does as it happens, not only at the end
    for item in ("v0", "v1"):
        assert re.search(rf"^\d\d:\d\d:\d\d item  {item}\s+running\s+\S", result.stderr, re.MULTILINE), result.stderr
        assert re.search(rf"^\d\d:\d\d:\d\d item  {item}\s+done\s+[\d.]+ s$", result.stderr, re.MULTILINE), result.stderr


def _server_run(runs: Path, thread: str, script_path: Path, **context: object):
    """The graph as LangGraph Server calls it: its own checkpointer, a context with no run folder."""
    from langgraph.checkpoint.memory import InMemorySaver

    from tests.fixtures.settings import SMALL_VIDEO
    from videodrafter.graph.context import RunContext
    from videodrafter.graph.graph import build_graph

    graph = build_graph(checkpointer=InMemorySaver())
    script = json.loads(script_path.read_text())
    config = {"configurable": {"thread_id": thread}}
    run_context = RunContext(runs_dir=runs, voice="none", **SMALL_VIDEO, **context)
    return graph, config, run_context, graph.invoke({"prompt": script["prompt"], "script": script}, config, context=run_context)


def test_a_langgraph_server_run_writes_the_same_records_so_one_list_shows_every_run(tmp_path: Path, monkeypatch) -> None:
    from langgraph.types import Command

    from videodrafter.graph.run_folder import StatusRecord
    from videodrafter.graph.run_history import find_run, list_runs

    runs = tmp_path / "runs"
    script = write_script(tmp_path / "s.json", "served", ["left", "zoom in"])
    _server_run(runs, "served-1", script)
    record = find_run(runs, "served-1")
    assert record.status == "done" and record.prompt == "served: a dog on the beach" and record.video is not None
    assert record.scenes == 2 and StatusRecord.model_validate_json((runs / "served-1" / "status.json").read_text()).status == "done"

    graph, config, context, _ = _server_run(runs, "served-2", script, approve_script=True)
    paused = find_run(runs, "served-2")
    assert paused.status == "waiting_for_approval" and paused.next_step().endswith("--approve")
    graph.invoke(Command(resume={"approved": True}), config, context=context)
    assert find_run(runs, "served-2").status == "done"

    import videodrafter.graph.stages.assemble as assemble

    def broken(*args, **kwargs):
        raise RuntimeError("the encoder fell over")

    monkeypatch.setattr(assemble, "assemble_video", broken)
    try:
        _server_run(runs, "served-3", script)
    except RuntimeError:
        pass
    failed = find_run(runs, "served-3")
    assert failed.status == "failed" and "the encoder fell over" in (failed.error or "") and failed.stage == "assemble"
    assert {r.run_id for r in list_runs(runs)} == {"served-1", "served-2", "served-3"}


def test_sigterm_stops_a_run_as_ctrl_c_does_with_its_status_and_the_command_that_continues(tmp_path: Path) -> None:
    import signal
    import time

    from tests.fixtures.cli import cli_command
    from videodrafter.graph.run_folder import StatusRecord

    runs = tmp_path / "runs"
    script = write_script(tmp_path / "s.json", "term", ["right", "zoom in", "left", "up"], duration_s=3.0)
    process = subprocess.Popen(
        cli_command("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "term", "--engine", "tiny"),
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, env={**os.environ, **SMALL_VIDEO_ENV},
        start_new_session=True,  # a group leader, as under docker or systemd: its children must stop with it
    )
    status = runs / "term" / "status.json"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if status.is_file() and StatusRecord.model_validate_json(status.read_text()).stage in ("scene images", "clips"):
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 130, stderr
    assert "To continue: videodrafter resume term" in " ".join(stderr.split())
    assert StatusRecord.model_validate_json(status.read_text()).status == "interrupted"
    assert re.search(r"\d\d:\d\d:\d\d stop  (scene images|clips)", stderr), stderr
    time.sleep(1)
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError("a child of the stopped run is still running")
