"""Fault injection: `videodrafter make --script` killed with SIGKILL at random moments, resumed after each kill.

Kill points are drawn with a fixed seed: mostly "just after the run has finished one to three more files"
(the moment a step's files exist but its checkpoint does not), sometimes "a while after start-up", so the
kills spread over start-up, references, scene images, clips and assembly. After every kill the files
finished so far are recorded; at the end each of them must be the same file (inode and mtime), the video
must be valid and equal to an uninterrupted run's, and no temporary file may remain.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtures.cli import cli_command
from tests.fixtures.scripts import dog_and_girl_script
from videodrafter.media.video import probe_video

SEED = 13
KILLS = 12
ENV = {"VIDEODRAFTER_VIDEO_WIDTH": "256", "VIDEODRAFTER_VIDEO_HEIGHT": "144", "VIDEODRAFTER_FPS": "12", "PYTHONUNBUFFERED": "1"}
SCRIPT = dog_and_girl_script(
    [("walk", "left"), ("run", "right"), ("dig", "zoom in"), ("wave", "up")],
    1.5,
    prompt='a dog and a girl at the beach',
    title="Faults",
)
DELIVERABLES = ("video.mp4", "video.srt", "contact_sheet.png", "timeline.otio")


def _finished(run_dir: Path) -> dict[Path, tuple[int, int]]:
    """Files that are complete now: hash-named artifacts, and deliverables the output ledger vouches for."""
    paths = [path for folder in ("entities", "scenes", "clips") for path in (run_dir / folder).glob("*") if not path.name.startswith(".")]
    ledger = run_dir / "outputs.json"
    if ledger.is_file():
        try:
            recorded = json.loads(ledger.read_text())
        except ValueError:
            recorded = {}
        paths += [run_dir / name for name in DELIVERABLES if name in recorded and (run_dir / name).is_file()]
    stamps = {}
    for path in paths:
        info = path.stat()
        stamps[path] = (info.st_ino, info.st_mtime_ns)
    return stamps


def _stage(run_dir: Path) -> str:
    """Where the run is, judged by what exists."""
    if (run_dir / "outputs.json").exists():
        return "assembly"
    for folder, stage in (("clips", "clips"), ("scenes", "scene images"), ("entities", "references")):
        if any((run_dir / folder).glob("*")):
            return stage
    return "start"


def _digests(folder: Path, pattern: str) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.glob(pattern))}


@pytest.mark.slow
def test_random_kills_then_resume_lose_nothing_and_redo_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    env = {**os.environ, **ENV}
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    runs = tmp_path / "runs"
    clean = subprocess.run(cli_command("make", "--script", str(script), "--run-id", "clean", "--runs-dir", str(runs)), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert clean.returncode == 0, clean.stderr

    finished: dict[Path, tuple[int, int]] = {}
    stages: Counter[str] = Counter()
    run_dirs = [runs / "faults-0"]
    while sum(stages.values()) < KILLS:
        run_dir = run_dirs[-1]
        if (run_dir / "request.json").exists():
            command = cli_command("resume", run_dir.name, "--runs-dir", str(runs))
        else:
            command = cli_command("make", "--script", str(script), "--run-id", run_dir.name, "--runs-dir", str(runs))
        if rng.random() < 0.15:  # during start-up or wherever the first steps are
            target, delay = len(_finished(run_dir)), rng.uniform(0.0, 2.0)
        else:  # just after the next file or two is finished: the step's own checkpoint is not written yet
            target, delay = len(_finished(run_dir)) + rng.randint(1, 3), rng.choice([0.0, rng.uniform(0.0, 0.05), rng.uniform(0.0, 0.3)])
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        while process.poll() is None and len(_finished(run_dir)) < target:
            time.sleep(0.01)
        time.sleep(delay)
        if process.poll() is not None:  # it finished before the kill point: kill the next run instead
            assert process.returncode == 0, process.stderr.read() if process.stderr else ""
            run_dirs.append(runs / f"faults-{len(run_dirs)}")
            continue
        stage = _stage(run_dir)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        stages[stage] += 1
        for path, stamp in _finished(run_dir).items():
            finished.setdefault(path, stamp)
    print(f"kills by stage: {dict(stages)}; runs: {len(run_dirs)}")
    assert len(stages) >= 3, f"kills landed in too few stages: {dict(stages)}"

    for run_dir in run_dirs:
        if (run_dir / "request.json").exists():
            final = subprocess.run(cli_command("resume", run_dir.name, "--runs-dir", str(runs)), env=env, capture_output=True, text=True, timeout=300, check=False)
        else:  # the last kill came before the run wrote its request
            final = subprocess.run(
                cli_command("make", "--script", str(script), "--run-id", run_dir.name, "--runs-dir", str(runs)), env=env, capture_output=True, text=True, timeout=300, check=False
            )
        assert final.returncode == 0 and "Traceback" not in final.stderr, final.stderr
        info = probe_video(run_dir / "video.mp4")
        assert (info.codec, info.frames) == ("h264", 4 * 18 - 3 * 3)
        for folder, pattern in (("scenes", "scene-*.png"), ("clips", "clip-*.mp4")):
            assert _digests(run_dir / folder, pattern) == _digests(runs / "clean" / folder, pattern), f"{folder} differ from an uninterrupted run"
        assert not [path for path in run_dir.rglob(".*") if path.is_file()], "temporary files remain"

    now = {path: stamp for run_dir in run_dirs for path, stamp in _finished(run_dir).items()}
    rewritten = sorted(path.relative_to(runs).as_posix() for path, stamp in finished.items() if now.get(path) != stamp)
    assert rewritten == [], f"finished files were made again (kills: {dict(stages)})"
