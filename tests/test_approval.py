"""`make --approve` pauses with the draft in script.json; the person's edits there (or in --script FILE)
are what `resume --approve` renders, a bad edit keeps the run paused, and the manifest says what changed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.graph.manifest import Manifest


def _status(cli: CliRunner, runs: Path, run_id: str) -> str:
    listed = cli("runs", "--runs-dir", str(runs), "--format", "json")
    return next(record["status"] for record in json.loads(listed.stdout) if record["run_id"] == run_id)


def test_edits_to_the_paused_script_json_are_what_gets_rendered(tmp_path: Path, cli: CliRunner) -> None:
    runs = tmp_path / "runs"
    paused = cli("make", "--script", str(write_script(tmp_path / "s.json", "draft", ["left", "right"])), "--runs-dir", str(runs), "--run-id", "a", "--approve")
    assert paused.returncode == 0, paused.stderr
    draft_file = runs / "a" / "script.json"
    assert draft_file.is_file(), "the file the user is told to review exists while the run is paused"
    assert "script.json" in paused.stderr and "edit" in paused.stderr

    script = json.loads(draft_file.read_text())
    script["scenes"][0]["event"] = "The brown dog digs for a crab."
    script["scenes"][0]["narration"] = "The dog digs for a crab."
    script["scenes"][1]["camera"] = {"direction": "zoom in", "speed": "slow"}
    script["entities"][0]["description"] = "a small brown dog with a red collar"
    draft_file.write_text("{ not json")  # a bad edit first: clear error, nothing lost, still paused
    bad = cli("resume", "a", "--runs-dir", str(runs), "--approve")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "is not a valid script" in bad.stderr, bad.stderr
    assert _status(cli, runs, "a") == "waiting_for_approval" and not (runs / "a" / "video.mp4").exists()

    draft_file.write_text(json.dumps(script, indent=2))
    done = cli("resume", "a", "--runs-dir", str(runs), "--approve")
    assert done.returncode == 0, done.stderr
    final = json.loads(draft_file.read_text())
    assert final["scenes"][0]["event"] == "The brown dog digs for a crab." and final["scenes"][1]["camera"]["direction"] == "zoom in"
    assert final["entities"][0]["description"] == "a small brown dog with a red collar"
    manifest = Manifest.read(runs / "a" / "manifest.json")
    assert manifest.approval is not None and manifest.approval.edited and manifest.approval.source == "script.json"
    assert {"scene 1 event", "scene 1 narration", "scene 2 camera", "entity dog description"} <= set(manifest.approval.changes)
    assert manifest.scenes[1].chosen.prompt == "draft scene 2" and manifest.scenes[0].prompt == "The brown dog digs for a crab."
    assert final["scenes"][0]["narration"] == "The dog digs for a crab."
    # the edited scene is what is shown: its edited line, which the subtitle and the voice share
    assert "The dog digs for a crab." in (runs / "a" / "video.srt").read_text()


def test_resume_approve_with_a_script_file_and_an_unedited_draft(tmp_path: Path, cli: CliRunner) -> None:
    runs = tmp_path / "runs"
    for run_id in ("b", "c"):
        paused = cli("make", "--script", str(write_script(tmp_path / f"{run_id}.json", run_id, ["up"])), "--runs-dir", str(runs), "--run-id", run_id, "--approve")
        assert paused.returncode == 0, paused.stderr
    replacement = write_script(tmp_path / "other.json", "replaced", ["down"])
    done = cli("resume", "b", "--runs-dir", str(runs), "--approve", "--script", str(replacement))
    assert done.returncode == 0, done.stderr
    assert json.loads((runs / "b" / "script.json").read_text())["title"] == "replaced"
    assert Manifest.read(runs / "b" / "manifest.json").approval.source == str(replacement)

    untouched = cli("resume", "c", "--runs-dir", str(runs), "--approve")
    assert untouched.returncode == 0, untouched.stderr
    approval = Manifest.read(runs / "c" / "manifest.json").approval
    assert approval is not None and not approval.edited and approval.source == "draft" and approval.changes == []

    again = cli("resume", "c", "--runs-dir", str(runs), "--approve", "--script", str(replacement))
    assert again.returncode == 2 and "not waiting for approval" in again.stderr and "Traceback" not in again.stderr
