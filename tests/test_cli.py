"""The command line as a user meets it: real subprocesses, real exit codes, no tracebacks."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.cli import run_cli
from videodrafter.graph.manifest import Manifest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["script", ""], "The prompt is empty"),
        (["script", "x" * 50_000], "The prompt is 50,000 characters long"),
        (["script", "a dog", "--llm", "bogus"], "is not an LLM spec"),
        (["script", "a dog", "--llm", "local:nope"], "Unknown embedded model"),
        (["script", "a dog", "--prompts", "v9"], "Unknown prompt set 'v9'"),
        (["script", "a dog", "--scenes", "0"], "0 scenes were asked for"),
    ],
)
def test_bad_input_gets_a_clear_error_and_no_traceback(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_bad_settings_from_the_environment_are_named() -> None:
    result = run_cli("script", "a dog", env={"VIDEODRAFTER_MIN_SCENES": "9", "VIDEODRAFTER_MAX_SCENES": "2"})
    assert result.returncode == 2
    assert "min_scenes (9) is larger than max_scenes (2)" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_script_prints_json_and_writes_a_file_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "script.json"
    result = run_cli("script", "a dog's day at the beach", "--scenes", "3", "--format", "json", "-o", str(target), "--enrich", "none")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert len(printed["scenes"]) == 3
    assert json.loads(target.read_text()) == printed
    assert "local:smollm2" in result.stderr and "tok/s" in result.stderr


@pytest.mark.slow
def test_script_table_output() -> None:
    result = run_cli("script", "a kite festival", "--scenes", "2", "--enrich", "none")
    assert result.returncode == 0, result.stderr
    assert "event" in result.stdout and "Entities" in result.stdout and "camera" in result.stdout


@pytest.mark.slow
def test_make_runs_the_whole_pipeline_offline_on_the_embedded_defaults(tmp_path) -> None:
    result = run_cli(
        "make", "a dog's day at the beach", "--scenes", "3", "--runs-dir", str(tmp_path), "--run-id", "demo",
        env={"VIDEODRAFTER_VIDEO_WIDTH": "320", "VIDEODRAFTER_VIDEO_HEIGHT": "180"},
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "demo" / "manifest.json").read_text())
    assert Manifest.read(tmp_path / "demo" / "manifest.json").narration.voice == manifest["narration"]["voice"]
    assert manifest["llm"] == "local:smollm2" and manifest["engine"]["engine"] == "animatic"
    assert len(manifest["scenes"]) == 3 and manifest["video"]["codec"] == "h264"
    assert manifest["usage"]["calls"] >= 2
    assert "video.mp4" in " ".join(result.stdout.split())


def test_version_and_verbose_after_the_command() -> None:
    from videodrafter import __version__

    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"videodrafter {__version__}"
    for args in (["-v", "script", ""], ["script", "", "-v"], ["script", "", "--verbose"]):
        result = run_cli(*args)
        assert result.returncode == 2 and "The prompt is empty" in result.stderr, args
        assert "No such option" not in result.stderr


COMMANDS = ["script", "make", "resume", "batch", "eval", "chat", "serve", "runs"]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_has_examples_and_plain_labels(command: str) -> None:
    result = run_cli(command, "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Examples:" in text and f"videodrafter {command}" in text
    for odd in ("{", "<list", "<str>", "<bool>", "<int>", "<path>"):
        assert odd not in text, f"{odd!r} in the help of {command}"


def test_engine_help_lists_every_preset() -> None:
    from videodrafter.engines.registry import engine_names

    text = " ".join(run_cli("make", "--help", env={"COLUMNS": "200"}).stdout.split())
    for name in engine_names():
        assert f" {name} " in text.replace(",", " ").replace("(", " ").replace(")", " "), name
