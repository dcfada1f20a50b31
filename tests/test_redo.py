"""Redo one scene: its picture and clip drawn again, the rest kept, every try recorded and recoverable."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.agent.edits import RedoScene
from videodrafter.agent.interpret import parse_with_grammar
from videodrafter.graph.redo import REDOS, RedoRecord
from videodrafter.run_inputs import load_script_file


def _made(run: Path) -> set[str]:
    return {path.name for folder in ("scenes", "clips") for path in (run / folder).glob("*") if path.suffix in (".png", ".mp4") and ".last" not in path.name}


def test_redo_draws_one_scene_again_and_an_earlier_try_comes_back_from_its_files(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = write_script(tmp_path / "s.json", "redo", ["left", "zoom in", "right"])
    assert cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "r").returncode == 0
    run = runs / "r"
    first = _made(run)
    first_clip = json.loads((run / "manifest.json").read_text())["scenes"][1]["clip"]["key"]

    redone = cli("redo", "r", "--scene", "2", "--runs-dir", str(runs))
    assert redone.returncode == 0, redone.stderr
    new = sorted(name.split("-")[0] for name in _made(run) - first)
    assert new == ["clip", "scene"], f"one picture and one clip: {new}"
    record = RedoRecord.model_validate_json((run / REDOS).read_text().splitlines()[-1])
    assert record.scene == 2 and record.seed_after != record.seed_before
    said = " ".join(redone.stderr.split())
    assert f"videodrafter redo r --scene 2 --seed {record.seed_before}" in said, said

    made = _made(run)
    back = cli("redo", "r", "--scene", "2", "--seed", str(record.seed_before), "--runs-dir", str(runs))
    assert back.returncode == 0, back.stderr
    assert _made(run) == made, "the earlier try came back from its files: nothing was drawn"
    assert json.loads((run / "manifest.json").read_text())["scenes"][1]["clip"]["key"] == first_clip
    assert len((run / REDOS).read_text().splitlines()) == 2

    missing = cli("redo", "r", "--scene", "9", "--runs-dir", str(runs))
    assert missing.returncode != 0 and "has scenes 1 to 3; there is no scene 9" in " ".join(missing.stderr.split())


def test_chat_redoes_a_scene_with_a_new_seed_or_the_one_asked_for(tmp_path: Path) -> None:
    script = load_script_file(write_script(tmp_path / "s.json", "chat", ["left", "right"]))
    command = parse_with_grammar("redo scene 2", script)
    assert isinstance(command, RedoScene) and command.scene == 2 and command.seed is None
    edited = command.edit(script)
    assert edited.script.scenes[1].seed is not None and edited.script.scenes[0].seed is None
    assert re.match(r"scene 2 is drawn again \(seed \d+\)", edited.summary)
    again = parse_with_grammar("regenerate scene 1 with seed 42", script)
    assert isinstance(again, RedoScene) and again.edit(script).script.scenes[0].seed == 42
