"""A run killed with SIGKILL mid-way resumes to the end with nothing lost and nothing redone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.cli import cli_command
from tests.fixtures.scripts import dog_and_girl_script
from videodrafter.media.video import probe_video

SCRIPT = dog_and_girl_script(
    [("walk", "left"), ("run", "right"), ("dig", "zoom in"), ("swim", "up"), ("rest", "zoom out"), ("wave", "down")],
    4,
    prompt="a dog's day at the beach",
    title="Beach day",
)


def _env() -> dict[str, str]:
    return {**os.environ, "VIDEODRAFTER_FPS": "24", "PYTHONUNBUFFERED": "1"}


def _wait_for(predicate, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process.poll() is not None:
            raise AssertionError(f"the run ended (rc={process.returncode}) before it could be killed")
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the run to make progress")


def test_kill_minus_nine_during_clips_then_resume(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    runs = tmp_path / "runs"
    run_dir = runs / "killed"
    process = subprocess.Popen(
        cli_command("make", "--script", str(script), "--run-id", "killed", "--runs-dir", str(runs)),
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait_for(lambda: len(list((run_dir / "clips").glob("clip-*.mp4"))) >= 2, 120, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (run_dir / "video.mp4").exists()
    finished = {path: path.stat().st_mtime_ns for path in run_dir.rglob("*") if path.suffix in (".png", ".mp4") or path.name == "script.json"}
    finished_clips = [path for path in finished if path.suffix == ".mp4"]
    assert len(finished_clips) >= 2 and all(probe_video(path).frames == 96 for path in finished_clips)

    resumed = subprocess.run(cli_command("resume", "killed", "--runs-dir", str(runs)), env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    for path, stamp in finished.items():
        assert path.stat().st_mtime_ns == stamp, f"{path.name} was regenerated"
    assert len(list((run_dir / "clips").glob("clip-*.mp4"))) == 6
    info = probe_video(run_dir / "video.mp4")
    assert info.frames == 6 * 96 - 5 * 6  # six 4 s clips at 24 fps, 0.25 s crossfades
    assert not list(run_dir.rglob(".*.mp4")) and not list(run_dir.rglob(".*.png")), "no temporary files are left"


def test_resume_of_an_unknown_run_lists_what_exists(tmp_path: Path) -> None:
    (tmp_path / "runs" / "real-run").mkdir(parents=True)
    (tmp_path / "runs" / "real-run" / "request.json").write_text("{}")
    result = subprocess.run(cli_command("resume", "nope", "--runs-dir", str(tmp_path / "runs")), capture_output=True, text=True, timeout=60, check=False)
    stderr = " ".join(result.stderr.split())
    assert result.returncode == 2 and "Traceback" not in stderr
    assert "no run 'nope'" in stderr and "real-run" in stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not a valid script"), (json.dumps({**SCRIPT, "scenes": [{**SCRIPT["scenes"][0], "background": "moon"}]}), "not a valid script")],
)
def test_a_bad_script_file_is_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    script = tmp_path / "script.json"
    script.write_text(content)
    result = subprocess.run(cli_command("make", "--script", str(script), "--runs-dir", str(tmp_path / "runs")), capture_output=True, text=True, timeout=60, check=False)
    stderr = " ".join(result.stderr.split())
    assert result.returncode == 2 and message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
