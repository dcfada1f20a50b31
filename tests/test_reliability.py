"""Nothing redone, nothing unreadable, no run lost (issue 13): prompts, resume, locks, Ctrl-C, timeline."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.fixtures.cli import CliRunner, cli_command
from tests.fixtures.scripts import write_items, write_script
from tests.fixtures.settings import SMALL_VIDEO_ENV
from videodrafter.agent.batch_items import read_batch_file
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.graph.runner import resume_run, start_run
from videodrafter.media.video import probe_video
from videodrafter.planning.inputs import validate_prompt
from videodrafter.script import VideoScript


class _Killed(BaseException):
    """Stands in for SIGKILL inside a step: nothing catches it, and the step's state update is never saved."""


def _script(tmp_path: Path, scenes: int = 2, name: str = "script.json", duration_s: float = 1.0) -> Path:
    cameras = ["left", "zoom in", "right", "up", "down", "zoom out"]
    return write_script(tmp_path / name, "reliable", cameras[:scenes], duration_s)


def _load(path: Path) -> VideoScript:
    return VideoScript.model_validate_json(path.read_text())


def _said(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join(result.stderr.split())


# 1, 2: prompts


def test_prompts_lose_control_characters_and_escape_codes_but_keep_emoji_and_other_scripts() -> None:
    settings = Settings()
    assert validate_prompt("a \x1b[31mred\x1b[0m 🐶 dog\x07 plays", settings) == "a red 🐶 dog plays"
    assert validate_prompt("小狗在\t海滩上\x00玩 👨‍👩‍👧", settings) == "小狗在 海滩上 玩 👨\u200d👩\u200d👧"
    assert validate_prompt("\x1b]0;title\x07a cat\u200b naps", settings) == "a cat naps"


@pytest.mark.parametrize("prompt", ["\u00a0\u200b\u3000", "\u200b\u200d\ufeff", "\x1b[0m\x07 \u2060"])
def test_a_prompt_of_only_invisible_characters_is_empty(prompt: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty: it has only invisible characters"):
        validate_prompt(prompt, Settings())
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "a", "prompt": prompt}) + "\n")
    with pytest.raises(InputError, match="neither a prompt nor a script"):
        read_batch_file(items)


def test_make_refuses_an_invisible_prompt_before_making_a_folder(tmp_path: Path, cli: CliRunner) -> None:
    result = cli("make", "\u00a0\u200b\u3000", "--runs-dir", str(tmp_path / "runs"), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "The prompt is empty: it has only invisible characters" in _said(result)
    assert not (tmp_path / "runs").exists()


# 3: one source of defaults


def test_resume_finds_runs_in_videodrafter_runs_dir(tmp_path: Path, cli: CliRunner) -> None:
    env = {"VIDEODRAFTER_RUNS_DIR": str(tmp_path / "elsewhere")}
    made = cli("make", "--script", str(_script(tmp_path)), "--run-id", "r", "--approve", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "elsewhere" / "r" / "request.json").is_file() and not (tmp_path / "runs").exists()
    assert "videodrafter resume r --approve" in _said(made), "the hint needs no --runs-dir: the variable names it"
    resumed = cli("resume", "r", "--approve", env=env, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert probe_video(tmp_path / "elsewhere" / "r" / "video.mp4").frames == 2 * 6 - 2  # 0.25 s fade at 6 fps: 2 frames


# 4: a finished artifact is never rewritten


def _stamps(paths) -> dict[Path, tuple[int, int]]:
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in paths}


def test_scene_images_made_before_a_kill_are_reused_not_rewritten(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from videodrafter.graph.stages import scene_images

    real = scene_images.generate_scene_candidates
    calls: list[int] = []

    def dies_on_the_third(args, tools):  # one call per scene (one candidate each by default)
        calls.append(1)
        if len(calls) == 3:
            raise _Killed
        return real(args, tools)

    monkeypatch.setattr(scene_images, "generate_scene_candidates", dies_on_the_third)
    with pytest.raises(_Killed):
        start_run("", settings, script=_load(_script(tmp_path, scenes=4)), run_id="k")
    monkeypatch.setattr(scene_images, "generate_scene_candidates", real)
    run_dir = settings.runs_dir / "k"
    before = _stamps(run_dir.glob("scenes/scene-*.png"))
    assert len(before) == 2
    outcome = resume_run("k", settings.runs_dir)
    assert outcome.status == "done"
    assert _stamps(before) == before, "a finished scene image was written again"
    assert len(list(run_dir.glob("scenes/scene-*.png"))) == 4


def test_a_finished_video_is_reused_when_the_assembly_is_resumed(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from videodrafter.tools import assembly

    real = assembly.write_srt

    def dies(*args, **kwargs):
        raise _Killed

    monkeypatch.setattr(assembly, "write_srt", dies)
    with pytest.raises(_Killed):
        start_run("", settings, script=_load(_script(tmp_path)), run_id="v")
    monkeypatch.setattr(assembly, "write_srt", real)
    video = settings.runs_dir / "v" / "video.mp4"
    before = _stamps([video])
    assert resume_run("v", settings.runs_dir).status == "done"
    assert _stamps([video]) == before, "video.mp4 was encoded again"
    assert (settings.runs_dir / "v" / "video.srt").is_file()


# 5: temporary files of a killed writer


def test_stale_temporary_files_are_removed_when_a_run_resumes(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from videodrafter.graph.stages import clips

    def dies(args, tools):
        raise _Killed

    monkeypatch.setattr(clips, "generate_scene_clip", dies)
    with pytest.raises(_Killed):
        start_run("", settings, script=_load(_script(tmp_path)), run_id="t")
    monkeypatch.undo()
    run_dir = settings.runs_dir / "t"
    scene = next(run_dir.glob("scenes/scene-*.png"))
    left = [
        run_dir / "scenes" / f".{scene.stem}.partial-q8w2z1ab.png",  # what a SIGKILL during a write leaves
        run_dir / "scenes" / f".{scene.stem}.k3j9x0pa.png",  # the name earlier versions used
        run_dir / "clips" / ".clip-0123456789abcdef.partial-zz00yy11.mp4",
    ]
    for path in left:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"")
    assert resume_run("t", settings.runs_dir).status == "done"
    assert not [path for path in left if path.exists()]
    assert not [path for path in run_dir.rglob(".*") if path.is_file()], "no hidden file is left in a finished run"


# 6: file modes


def test_artifacts_get_the_mode_the_umask_asks_for(settings: Settings, tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        start_run("", settings, script=_load(_script(tmp_path)), run_id="m")
    finally:
        os.umask(previous)
    modes = {path.relative_to(settings.runs_dir).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in (settings.runs_dir / "m").rglob("*") if path.is_file()}
    assert {"m/video.mp4", "m/manifest.json", "m/script.json", "m/timeline.otio"} <= set(modes)
    assert {name: mode for name, mode in modes.items() if mode != 0o644} == {}


# 7: the timeline is the video


def test_the_timeline_has_the_videos_crossfades_duration_and_cut_points(settings: Settings, tmp_path: Path) -> None:
    import opentimelineio as otio

    fading = settings.model_copy(update={"fps": 12, "crossfade_s": 0.25})  # 3-frame fades: the cut sits on a whole frame
    outcome = start_run("", fading, script=_load(_script(tmp_path, scenes=3, duration_s=1.5)), run_id="otio")
    assert outcome.result is not None
    video = probe_video(outcome.result.video)
    assert video.frames == 3 * 18 - 2 * 3
    timeline = otio.adapters.read_from_file(str(outcome.result.timeline))
    track = timeline.tracks[0]
    transitions = [item for item in track if isinstance(item, otio.schema.Transition)]
    clips = [item for item in track if isinstance(item, otio.schema.Clip)]
    assert len(transitions) == 2 and len(clips) == 3
    assert all((t.in_offset + t.out_offset).value == 3 for t in transitions)
    assert timeline.duration().to_seconds() == pytest.approx(video.duration_s)
    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)", outcome.result.subtitles.read_text())

    def seconds(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    starts = [seconds(*cue[:4]) for cue in cues]
    cuts = [track.range_of_child(clip).start_time.to_seconds() for clip in clips]
    assert starts == pytest.approx(cuts, abs=1e-3)
    assert seconds(*cues[-1][4:]) == pytest.approx(video.duration_s, abs=1e-3)
    for clip in clips:  # every clip, with its fade handles, stays inside its media
        available = clip.media_reference.available_range
        head, tail = track.handles_of_child(clip)
        assert clip.source_range.start_time - (head or otio.opentime.RationalTime(0, 12)) >= available.start_time
        assert clip.source_range.end_time_exclusive() + (tail or otio.opentime.RationalTime(0, 12)) <= available.end_time_exclusive()


# 8: inputs checked early


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "bogus"], "Unknown engine 'bogus'. What to do: Choose one of: animatic, tiny"),
        (["--llm", "bogus"], "'bogus' is not an LLM spec"),
        (["--llm", "local:nope"], "Unknown embedded model 'nope'"),
    ],
)
def test_a_bad_engine_or_llm_is_refused_before_any_work(args: list[str], message: str, tmp_path: Path, cli: CliRunner) -> None:
    started = time.monotonic()
    result = cli("make", "a dog's day at the beach", *args, "--runs-dir", str(tmp_path / "runs"), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in _said(result)
    assert not (tmp_path / "runs").exists()
    assert time.monotonic() - started < 30, "no LLM was run"


def test_eval_checks_its_llms_and_engine_before_any_case(cli: CliRunner) -> None:
    for args, message in ((["--llm", "bogus"], "'bogus' is not an LLM spec"), (["--engine", "nope"], "Unknown engine 'nope'")):
        result = cli("eval", *args, timeout=60)
        assert result.returncode == 2 and message in _said(result) and "Traceback" not in result.stderr


def test_resume_takes_engine_and_llm_overrides_and_records_them(tmp_path: Path, cli: CliRunner) -> None:
    runs = tmp_path / "runs"
    assert cli("make", "--script", str(_script(tmp_path)), "--run-id", "o", "--approve", "--runs-dir", str(runs)).returncode == 0
    refused = cli("resume", "o", "--approve", "--engine", "bogus", "--runs-dir", str(runs), timeout=60)
    assert refused.returncode == 2 and "Unknown engine 'bogus'" in _said(refused) and "animatic" in _said(refused)
    assert not (runs / "o" / "video.mp4").exists()
    resumed = cli("resume", "o", "--approve", "--llm", "local:gemma3", "--engine", "animatic", "--runs-dir", str(runs))
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((runs / "o" / "manifest.json").read_text())
    assert manifest["llm"] == "local:gemma3"
    assert manifest["resume_overrides"][0]["settings"] == {"engine": "animatic", "llm": "local:gemma3"}
    request = json.loads((runs / "o" / "request.json").read_text())
    assert request["settings"]["llm"] == "local:smollm2", "what the run started with stays on record"
    assert request["overrides"][0]["settings"]["llm"] == "local:gemma3"


def _with_photo(script_path: Path, photo: str) -> Path:
    document = json.loads(script_path.read_text())
    document["entities"][0]["reference_image"] = photo
    script_path.write_text(json.dumps(document))
    return script_path


@pytest.mark.parametrize("photo", ["missing.png", "not-a-picture.png"])
def test_a_bad_reference_photo_is_reported_before_a_run_folder_exists(photo: str, tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "not-a-picture.png").write_text("hello")
    script = _with_photo(_script(tmp_path), photo)
    result = cli("make", "--script", str(script), "--runs-dir", str(tmp_path / "runs"), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Entity 'brown dog'" in _said(result) and photo in _said(result)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_relative_reference_photos_are_found_next_to_the_script(tmp_path: Path, cli: CliRunner) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    Image.new("RGB", (64, 64), (150, 90, 40)).save(folder / "dog.png")
    script = _with_photo(_script(folder), "dog.png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli("make", "--script", str(script), "--run-id", "p", "--runs-dir", str(tmp_path / "runs"), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "runs" / "p" / "manifest.json").read_text())
    assert manifest["references"]["dog"]["source"] == "photo"


# 9: one driver per run


def test_one_process_drives_a_run_at_a_time(settings: Settings, tmp_path: Path, cli: CliRunner) -> None:
    from videodrafter.graph.run_folder import RunBusy, RunLock

    paused = start_run("", settings.model_copy(update={"approve_script": True}), script=_load(_script(tmp_path)), run_id="l")
    assert paused.status == "waiting_for_approval"
    run_dir = settings.runs_dir / "l"
    lock = RunLock(run_dir, "l")
    try:
        with pytest.raises(RunBusy):
            resume_run("l", settings.runs_dir, approve={"approved": True})
        other = cli("resume", "l", "--approve", "--runs-dir", str(settings.runs_dir), timeout=60)
    finally:
        lock.release()
    said = _said(other)
    assert other.returncode == 2 and "Traceback" not in other.stderr
    assert f"already being worked on by process {os.getpid()}" in said and " since " in said
    assert not (run_dir / "video.mp4").exists(), "the refused resume did no work"
    assert resume_run("l", settings.runs_dir, approve={"approved": True}).status == "done"


# 10: Ctrl-C


def _interrupt_when(command: list[str], ready, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Start ``command`` in its own process group, wait for ``ready()``, then Ctrl-C it as a terminal would."""
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command made no progress"
        time.sleep(0.02)
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    return subprocess.CompletedProcess(command, process.returncode, out, err), elapsed


def test_ctrl_c_stops_a_batch_promptly_marks_the_item_and_says_how_to_resume(tmp_path: Path) -> None:
    from videodrafter.agent.batch_store import BatchStore, ItemStatus

    items = write_items(tmp_path, 2, duration_s=3)
    runs = tmp_path / "runs"
    command = cli_command("batch", str(items), "--batch-id", "c", "--runs-dir", str(runs))
    env = {**SMALL_VIDEO_ENV, "VIDEODRAFTER_FPS": "24"}  # clips slow enough that the Ctrl-C lands inside one
    result, elapsed = _interrupt_when(command, lambda: any(runs.glob("c-v0/clips/clip-*.mp4")), env)
    said = _said(result)
    assert result.returncode == 130 and "Traceback" not in result.stderr
    assert elapsed < 2.0, f"took {elapsed:.1f} s to stop"
    assert "Interrupted." in said and f"videodrafter batch {items} --batch-id c --runs-dir {runs}" in said
    store = BatchStore(runs / "batches" / "c")
    try:
        assert [record.status for record in store.records()] == [ItemStatus.INTERRUPTED, ItemStatus.QUEUED]
    finally:
        store.close()
    again = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "2/2 done" in " ".join(again.stdout.split())


def test_ctrl_c_in_make_keeps_the_work_and_prints_the_resume_command(tmp_path: Path, cli: CliRunner) -> None:
    runs = tmp_path / "runs"
    command = cli_command("make", "--script", str(_script(tmp_path, duration_s=3)), "--run-id", "i", "--runs-dir", str(runs))
    result, elapsed = _interrupt_when(command, lambda: any(runs.glob("i/clips/clip-*.mp4")), {**SMALL_VIDEO_ENV, "VIDEODRAFTER_FPS": "24"})
    assert result.returncode == 130 and "Traceback" not in result.stderr
    assert elapsed < 2.0
    assert f"videodrafter resume i --runs-dir {runs}" in _said(result)
    resumed = cli("resume", "i", "--runs-dir", str(runs), env={"VIDEODRAFTER_FPS": "24"})
    assert resumed.returncode == 0, resumed.stderr
    assert not [path for path in (runs / "i").rglob(".*") if path.is_file()]


def test_ctrl_c_in_chat_says_how_to_continue(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = cli_command("chat", "--runs-dir", str(runs))  # a new session
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not list(runs.glob("sessions/*/session.json")):  # waiting for a line on stdin
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    session = next(runs.glob("sessions/*/session.json")).parent.name
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)
    said = " ".join(err.split())
    assert process.returncode == 130 and "Traceback" not in err
    assert "Interrupted." in said and f"videodrafter chat --session {session} --runs-dir {runs}" in said


def test_a_script_files_prompt_loses_control_characters(tmp_path: Path) -> None:
    from videodrafter.run_inputs import load_script_file

    script = {
        "prompt": "a \x1b[31mred\x1b[0m 🐶 dog\x07 plays", "title": "t",
        "entities": [{"id": "dog", "name": "dog", "kind": "foreground"}, {"id": "park", "name": "park", "kind": "background"}],
        "scenes": [{"event": "The dog plays.", "action": "plays", "foreground": ["dog"], "background": "park"}],
    }
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    assert load_script_file(path).prompt == "a red 🐶 dog plays"
