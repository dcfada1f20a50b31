"""Inputs a careless or hostile user gives: control characters, huge scripts, paths in session ids,
patterns in messages, copied run folders. Each gets a clear message or is made harmless."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.graph.runner import start_run
from videodrafter.run_inputs import load_script_file


def _edit(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def test_control_characters_never_reach_the_subtitles(settings: Settings, tmp_path: Path) -> None:
    def poison(data: dict) -> None:
        data["scenes"][0]["narration"] = "The dog\x1b[31m runs\x00 home.\n\nThis line would end the subtitle cue."
        data["scenes"][0]["event"] = data["scenes"][0]["narration"]
        data["title"] = "Walk\x1b]0;owned\x07"

    script = load_script_file(_edit(write_script(tmp_path / "s.json", "walk", ["left", "right"]), poison))
    assert script.scenes[0].narration == "The dog runs home. This line would end the subtitle cue."
    outcome = start_run("", settings, script=script, run_id="plain")
    subtitles = outcome.result.subtitles.read_text()
    assert not any(ord(character) < 32 and character != "\n" for character in subtitles), repr(subtitles)
    assert "The dog runs" in subtitles


def test_a_huge_script_is_refused_with_the_limits_before_anything_is_stored(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    many = _edit(write_script(tmp_path / "many.json", "many", ["left"] * 51), lambda data: None)
    result = cli("make", "--script", str(many), "--runs-dir", str(runs))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "at most 50" in " ".join(result.stderr.split()), result.stderr

    def bloat(data: dict) -> None:
        data["entities"] += [{"id": f"e{n}", "name": f"thing {n}", "kind": "foreground", "description": "x" * 500} for n in range(3000)]

    huge = _edit(write_script(tmp_path / "huge.json", "huge", ["left"]), bloat)
    result = cli("make", "--script", str(huge), "--runs-dir", str(runs))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "a script may be at most 1 MB" in " ".join(result.stderr.split()), result.stderr
    assert not runs.exists() or not any(runs.iterdir()), "nothing was stored"


def test_a_message_that_quotes_a_pattern_is_shown_whole(cli: CliRunner, tmp_path: Path) -> None:
    bad = _edit(write_script(tmp_path / "bad.json", "bad", ["left"]), lambda data: data["entities"][0].update(id="Bad Id"))
    result = cli("make", "--script", str(bad), "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode != 0
    assert "[a-z0-9]" in result.stderr, result.stderr


def test_a_chat_session_id_cannot_name_a_folder_outside_the_sessions(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for session in ("../../escaped", str(tmp_path / "elsewhere")):
        result = cli("chat", "--session", session, "--new", "-m", "show", "--runs-dir", str(runs))
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "is not a valid chat session id" in " ".join(result.stderr.split()), result.stderr
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "elsewhere").exists()


def test_a_copied_run_folder_is_its_own_run_listed_and_resumed_under_its_folder_name(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = write_script(tmp_path / "s.json", "copied", ["left", "zoom in"])
    paused = cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "original", "--approve")
    assert paused.returncode == 0, paused.stderr
    shutil.copytree(runs / "original", runs / "copy")

    listed = {record["run_id"]: record for record in json.loads(cli("runs", "--runs-dir", str(runs), "--format", "json").stdout)}
    assert set(listed) == {"original", "copy"}
    assert listed["copy"]["next_step"].startswith("videodrafter resume copy ") and listed["copy"]["run_dir"] == str(runs / "copy")

    resumed = cli("resume", "copy", "--approve", "--runs-dir", str(runs))
    assert resumed.returncode == 0, resumed.stderr
    assert (runs / "copy" / "video.mp4").is_file() and not (runs / "original" / "video.mp4").exists()
    listed = {record["run_id"]: record["status"] for record in json.loads(cli("runs", "--runs-dir", str(runs), "--format", "json").stdout)}
    assert listed == {"original": "waiting_for_approval", "copy": "done"}


def test_a_photo_in_a_format_the_readme_does_not_promise_is_refused_with_what_to_do(tmp_path: Path) -> None:
    import pytest
    from PIL import Image

    from videodrafter.errors import InputError
    from videodrafter.media.images import load_user_photo

    for kind in ("BMP", "GIF", "TIFF"):
        path = tmp_path / f"dog.{kind.lower()}"
        Image.new("RGB", (64, 64), "brown").save(path, format=kind)
        with pytest.raises(InputError) as refused:
            load_user_photo(path)
        assert f"is a {kind} file; PNG, JPEG and WebP are taken" in refused.value.message and "Convert it" in refused.value.hint
    Image.new("RGB", (64, 64), "brown").save(tmp_path / "dog.webp", format="WEBP")
    assert load_user_photo(tmp_path / "dog.webp").size == (64, 64)


def test_damaged_saved_progress_is_a_clear_failure_and_moving_it_aside_resumes_without_redoing_work(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = write_script(tmp_path / "s.json", "damaged", ["left", "zoom in"])
    assert cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "d").returncode == 0
    run = runs / "d"
    made = {path.name: path.stat().st_mtime_ns for path in (run / "clips").glob("*.mp4")}
    (run / "video.mp4").unlink()
    checkpoints = run / "checkpoints.sqlite"
    for companion in run.glob("checkpoints.sqlite-*"):
        companion.unlink()
    checkpoints.write_bytes(b"this is not a database" * 100)

    damaged = cli("resume", "d", "--runs-dir", str(runs))
    said = " ".join(damaged.stderr.split())
    assert damaged.returncode != 0 and "Traceback" not in damaged.stderr
    assert "saved progress" in said and "is damaged" in said and f"mv {checkpoints}" in said, said
    assert json.loads((run / "status.json").read_text())["status"] == "failed"

    checkpoints.rename(run / "checkpoints.sqlite.damaged")
    again = cli("resume", "d", "--runs-dir", str(runs))
    assert again.returncode == 0, again.stderr
    assert (run / "video.mp4").is_file()
    assert {path.name: path.stat().st_mtime_ns for path in (run / "clips").glob("*.mp4")} == made, "no clip was made again"


def test_a_full_disk_fails_the_run_with_what_to_do_and_a_resume_finishes_it(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    import errno
    import os

    import pytest

    import videodrafter.graph.stages.assemble as assemble
    from videodrafter.errors import StorageError
    from videodrafter.graph.driver import RunFailed
    from videodrafter.graph.runner import resume_run

    script = load_script_file(write_script(tmp_path / "s.json", "full", ["left", "right"]))
    real = assemble.assemble_video

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(settings.runs_dir / "full" / "video.mp4"))

    monkeypatch.setattr(assemble, "assemble_video", disk_full)
    with pytest.raises(RunFailed) as failed:
        start_run("", settings, script=script, run_id="full")
    assert "the disk is full" in failed.value.message and "video.mp4" in failed.value.message
    assert "Free some space" in failed.value.hint and "videodrafter resume full" in failed.value.hint
    assert json.loads((settings.runs_dir / "full" / "status.json").read_text())["status"] == "failed"

    monkeypatch.setattr(assemble, "assemble_video", real)
    assert resume_run("full", settings.runs_dir).result.video.is_file()

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(StorageError) as refused:
        start_run("", settings.model_copy(update={"runs_dir": tmp_path / "elsewhere"}), script=script, run_id="ro")
    assert "the file system is read-only" in refused.value.message and "--runs-dir" in refused.value.hint


def test_a_run_whose_request_is_damaged_is_listed_as_failed_not_hidden(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert cli("make", "--script", str(write_script(tmp_path / "s.json", "kept", ["left"])), "--runs-dir", str(runs), "--run-id", "k").returncode == 0
    (runs / "k" / "request.json").write_text("{ not json")
    listed = cli("runs", "--runs-dir", str(runs), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [record] = json.loads(listed.stdout)
    assert record["run_id"] == "k" and record["status"] == "failed" and "request.json is damaged" in record["error"]
    assert record["video"] == str(runs / "k" / "video.mp4")
    resumed = cli("resume", "k", "--runs-dir", str(runs))
    assert resumed.returncode != 0 and "Traceback" not in resumed.stderr and "is damaged" in resumed.stderr


def test_a_prompt_the_embedded_model_cannot_read_is_refused_before_any_work(cli: CliRunner, tmp_path: Path) -> None:
    from videodrafter.planning.inputs import looks_english

    runs = tmp_path / "runs"
    for prompt in ("dos animales juegan en un parque con una pelota", "собака играет на пляже"):
        refused = cli("make", prompt, "--runs-dir", str(runs))
        said = " ".join(refused.stderr.split())
        assert refused.returncode != 0 and "only understands English" in said and "--llm openai:gpt-4o" in said, said
    assert not runs.exists(), "nothing was started"
    assert cli("script", "le chat et le chien dans le jardin").returncode != 0
    for prompt in ("a dog's day at the beach", "Pablo and Maria at the fiesta del sol", "robot moon"):
        assert looks_english(prompt), prompt
