"""Shots that continue: a 'continue' scene's clip starts from the previous clip's last frame, the
chain is part of its key (an edit upstream remakes the chain and nothing else), and the manifest,
the contact sheet, the script checks and the chat all know it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from tests.fixtures.scripts import write_script
from videodrafter.agent.edits import RemoveScene, SetShot
from videodrafter.agent.interpret import parse_with_grammar
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import edit_run, start_run
from videodrafter.media.files import file_digest
from videodrafter.media.video import decode_frames
from videodrafter.run_inputs import load_script_file
from videodrafter.script import ShotKind, VideoScript


def _chained_script(tmp_path: Path) -> VideoScript:
    path = write_script(tmp_path / "s.json", "chain", ["right", "zoom in", "left"], duration_s=1.0)
    data = json.loads(path.read_text())
    data["scenes"][2]["shot"] = "continue"
    path.write_text(json.dumps(data))
    return load_script_file(path)


def _made(run_dir: Path) -> set[str]:
    return {path.name for folder in ("scenes", "clips") for path in (run_dir / folder).glob("*") if path.suffix in (".png", ".mp4") and ".last" not in path.name}


def test_a_continued_shot_starts_where_the_previous_one_ends_and_edits_follow_the_chain(settings: Settings, tmp_path: Path) -> None:
    script = _chained_script(tmp_path)
    first = start_run("", settings, script=script, run_id="chain")
    manifest = Manifest.read(first.run_dir / "manifest.json")
    second_clip, third_clip = manifest.scenes[1].clip, manifest.scenes[2].clip
    assert third_clip.continued_from == 1 and manifest.scenes[2].chosen.continued_from == 1 and second_clip.continued_from is None
    assert third_clip.start_image_sha256 == file_digest(second_clip.last_frame), "scene 3 starts from exactly scene 2's last frame"
    ending = list(decode_frames(second_clip.path))[-1].astype(np.float32)
    opening = next(iter(decode_frames(third_clip.path))).astype(np.float32)
    band = int(ending.shape[0] * 0.75)  # above the caption bar, which says each scene's own action
    assert np.abs(ending[:band] - opening[:band]).mean() < 8, "the picture carries on"
    assert np.abs(ending - opening).mean() < 8

    made = _made(first.run_dir)
    edited = script.model_copy(deep=True)
    edited.scenes[1].event = "chain scene 2, at sunset"
    after_second = edit_run("chain", settings.runs_dir, edited)
    new = sorted(name.split("-")[0] for name in _made(after_second.run_dir) - made)
    assert new == ["clip", "clip", "scene"], f"scene 2's picture and clip, and the clip chained to it: {new}"

    made = _made(after_second.run_dir)
    edited.scenes[0].event = "chain scene 1, in the rain"
    after_first = edit_run("chain", settings.runs_dir, edited)
    assert sorted(name.split("-")[0] for name in _made(after_first.run_dir) - made) == ["clip", "scene"], "scene 1 alone"


def test_a_reference_held_family_conditions_a_continued_clip_on_that_frame_and_the_manifest_says_so(tmp_path: Path) -> None:
    settings = Settings(engine="tiny-vace", runs_dir=tmp_path / "runs", voice="none", crossfade_s=0)
    first = start_run("", settings, script=_chained_script(tmp_path), run_id="tiny-chain")
    manifest = Manifest.read(first.run_dir / "manifest.json")
    second, third = manifest.scenes[1], manifest.scenes[2]
    assert third.clip.continued_from == 1 and third.clip.continued_from_key == second.clip.key and third.shot == "continue"
    assert third.clip.start_image_sha256 == file_digest(second.clip.last_frame), "conditioned on exactly that frame"
    assert second.clip.start_image_sha256 == file_digest(second.chosen.image) and second.shot == "cut"
    assert [(scene.image_family, scene.clip_family) for scene in manifest.scenes] == [
        ("sdxl-ip-adapter", "wan-vace"), ("sdxl-ip-adapter", "wan-vace"), ("", "wan-vace"),
    ], "a continued shot draws no picture of its own"
    assert all(scene.clip.references == ["dog", "beach"] for scene in manifest.scenes), "each clip saw the cast and the place"


def test_a_continued_shot_needs_the_scene_before_it_in_the_same_place_with_the_same_cast(tmp_path: Path) -> None:
    data = json.loads(write_script(tmp_path / "s.json", "x", ["left", "right"]).read_text())
    data["scenes"][0]["shot"] = "continue"
    with pytest.raises(ValidationError, match="scene 1 is marked 'continue'"):
        VideoScript.model_validate(data)
    data["scenes"][0]["shot"] = "cut"
    data["scenes"][1] |= {"shot": "continue", "foreground": []}
    with pytest.raises(ValidationError, match="scene 2 continues scene 1 but its place or cast differs"):
        VideoScript.model_validate(data)


def test_chat_sets_and_clears_a_continued_shot_and_edits_keep_the_chain_valid(tmp_path: Path) -> None:
    script = load_script_file(write_script(tmp_path / "s.json", "x", ["left", "right", "up"]))
    command = parse_with_grammar("continue scene 3 from scene 2", script)
    assert command == SetShot(scene=3, shot=ShotKind.CONTINUE)
    chained = command.edit(script).script
    assert [scene.shot for scene in chained.scenes] == ["cut", "cut", "continue"]
    assert parse_with_grammar("make scene 3 a cut", chained).edit(chained).script.scenes[2].shot == "cut"
    with pytest.raises(InputError, match="only continue the scene just before it"):
        parse_with_grammar("continue scene 3 from scene 1", script)
    with pytest.raises(InputError, match="first scene"):
        SetShot(scene=1, shot="continue").edit(script)
    removed = RemoveScene(scene=2).edit(chained)
    assert [scene.shot for scene in removed.script.scenes] == ["cut", "continue"], "same place and cast: the chain still holds"
    assert "no longer continue" not in removed.summary
    first_gone = RemoveScene(scene=1).edit(SetShot(scene=2, shot="continue").edit(script).script)
    assert first_gone.script.scenes[0].shot == "cut" and "no longer continue" in first_gone.summary


def test_shots_chosen_for_a_planner_without_a_shot_field_carry_on_only_within_a_short_chain(tmp_path: Path) -> None:
    from videodrafter.planning.shot_choice import MAX_SHOTS_IN_A_CHAIN, choose_continued_shots, jumps_in_time

    script = _chained_script(tmp_path)
    same = script.model_copy(update={"scenes": [
        scene.model_copy(update={"foreground": script.scenes[0].foreground, "background": script.scenes[0].background,
                                 "shot": ShotKind.CUT, "event": f"Then, step {number} of the walk."})
        for number, scene in enumerate([*script.scenes, *script.scenes], start=1)
    ]})
    chosen, notes = choose_continued_shots(same)
    shots = [scene.shot.value for scene in chosen.scenes]
    assert shots == ["cut", "continue", "continue", "cut", "continue", "continue"], shots
    assert MAX_SHOTS_IN_A_CHAIN == 3 and len(notes) == 4
    assert chosen.scenes[1].continues and same.scenes[1].shot is ShotKind.CUT, "the input is not changed"
    assert jumps_in_time("The next morning, the dog wakes up.") and jumps_in_time("Years later, she returns.")
    assert not jumps_in_time("Then, the dog shakes off the water.") and not jumps_in_time("Suddenly, a wave crashes in.")
