"""`videodrafter export`: a run's timeline for Final Cut Pro, Premiere/Resolve, any NLE (EDL) and
Kdenlive, read back by each format's own OpenTimelineIO adapter; and a CapCut / Jianying draft
folder, read back by pyJianYingDraft's own loader."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import opentimelineio as otio
import pyJianYingDraft as capcut
import pymediainfo
import pytest

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.errors import VideoDrafterError
from videodrafter.media.exports import FORMATS, export_timeline
from videodrafter.media.video import probe_video


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    runs = folder / "runs"
    made = CliRunner()("make", "--script", str(write_script(folder / "s.json", "cut", ["left", "zoom in", "right"])), "--runs-dir", str(runs), "--run-id", "cut")
    assert made.returncode == 0, made.stderr
    return runs


@pytest.fixture(scope="module")
def scored_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run with a music bed under the narration: every track a CapCut draft carries."""
    folder = tmp_path_factory.mktemp("capcut")
    runs = folder / "runs"
    script = write_script(folder / "s.json", "tune", ["left", "zoom in", "right"])
    made = CliRunner()("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "tune", "--music", "auto")
    assert made.returncode == 0, made.stderr
    return runs


@pytest.mark.parametrize("export_format", sorted(FORMATS))
def test_each_export_reads_back_with_the_runs_clips_and_length(finished_run: Path, export_format: str) -> None:
    exported = CliRunner()("export", "cut", "--format", export_format, "--runs-dir", str(finished_run))
    assert exported.returncode == 0, exported.stderr
    path = Path(exported.stdout.strip())
    assert path.is_file() and path.parent == finished_run / "cut" / "export"
    adapter = FORMATS[export_format][0]
    read = otio.adapters.read_from_file(str(path), adapter_name=adapter)
    timeline = read if isinstance(read, otio.schema.Timeline) else read[0]
    source = otio.adapters.read_from_file(str(finished_run / "cut" / "timeline.otio"))
    picture = next(track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video)
    original = next(track for track in source.tracks if track.kind == otio.schema.TrackKind.Video)
    assert len(picture.find_clips()) == len(original.find_clips()) == 6, "each scene and its held frames"
    video = probe_video(finished_run / "cut" / "video.mp4")
    assert abs(picture.duration().to_seconds() - video.duration_s) <= 1 / video.fps + 1e-6, (picture.duration(), video.duration_s)


def test_a_capcut_draft_reads_back_with_the_runs_clips_length_narration_music_and_subtitles(scored_run: Path) -> None:
    exported = CliRunner()("export", "tune", "--format", "capcut", "--runs-dir", str(scored_run))
    assert exported.returncode == 0, exported.stderr
    run = scored_run / "tune"
    path = Path(exported.stdout.strip())
    assert path.parent == run / "export" and {"draft_content.json", "draft_meta_info.json"} <= {file.name for file in path.iterdir()}
    draft = capcut.DraftFolder(str(path.parent)).load_template(path.name)
    tracks = {track.name: track for track in draft.imported_tracks}
    assert {name: tracks[name].track_type for name in ("scenes", "narration", "music", "subtitles")} == {
        "scenes": capcut.TrackType.video, "narration": capcut.TrackType.audio, "music": capcut.TrackType.audio, "subtitles": capcut.TrackType.text,
    }

    # the picture: each scene and its held frames, cut where the video cuts, as long as the video
    picture = tracks["scenes"].segments
    video = probe_video(run / "video.mp4")
    assert len(picture) == 6, "each scene and its held frames"
    assert all(after.start == before.end for before, after in zip(picture, picture[1:])), [segment.target_timerange for segment in picture]
    frame = 1 / video.fps + 1e-6
    assert picture[0].start == 0 and abs(picture[-1].end / capcut.SEC - video.duration_s) <= frame, (picture[-1].end, video.duration_s)
    assert abs(draft.duration / capcut.SEC - video.duration_s) <= frame
    timeline = otio.adapters.read_from_file(str(run / "timeline.otio"))
    scenes = next(track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video).find_clips()
    videos = {material["id"]: material for material in draft.imported_materials["videos"]}
    media = [Path(videos[segment.material_id]["path"]) for segment in picture]
    assert all(file.is_absolute() and file.is_file() and file.is_relative_to(run) for file in media), media
    assert [file.name.split(".")[0] for file in media] == [Path(clip.media_reference.target_url).stem for clip in scenes], "the scenes in order"
    assert [videos[segment.material_id]["type"] for segment in picture] == ["video", "photo"] * 3, "a held frame is the clip's last picture"

    # the sound: each scene's narration, and the music bed from the first frame to the last
    audios = {material["id"]: material for material in draft.imported_materials["audios"]}
    narration = [Path(audios[segment.material_id]["path"]) for segment in tracks["narration"].segments]
    assert len(narration) == 3 and all(file.is_absolute() and file.parent == run / "audio" and file.name.startswith("narration-") for file in narration)
    (music,) = tracks["music"].segments
    assert Path(audios[music.material_id]["path"]) == run / "audio" / "music.wav"
    assert music.start == 0 and abs(music.end / capcut.SEC - video.duration_s) <= frame

    # the subtitles: the cues of video.srt, in order
    cues = [block.split("\n", 2)[2] for block in (run / "video.srt").read_text(encoding="utf-8").strip().split("\n\n")]
    texts = {material["id"]: json.loads(material["content"])["text"] for material in draft.imported_materials["texts"]}
    assert [texts[segment.material_id] for segment in tracks["subtitles"].segments] == cues and len(cues) == 3


def test_a_capcut_export_without_its_library_or_libmediainfo_says_what_to_install(finished_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pyJianYingDraft", None)  # as if it were not installed
        with pytest.raises(VideoDrafterError, match=r"pip install pyJianYingDraft"):
            export_timeline(finished_run / "cut", "capcut")
    with monkeypatch.context() as patch:
        patch.setattr(pymediainfo.MediaInfo, "can_parse", classmethod(lambda cls, library_file=None: False))
        with pytest.raises(VideoDrafterError, match=r"libmediainfo0v5"):
            export_timeline(finished_run / "cut", "capcut")
    assert not (finished_run / "cut" / "export" / "cut.capcut").exists()


def test_an_unknown_format_or_an_unfinished_run_is_a_clear_error(finished_run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner("export", "cut", "--format", "mov", "--runs-dir", str(finished_run))
    assert unknown.returncode != 0 and "Use one of: fcpxml, premiere-xml, edl, kdenlive, capcut" in " ".join(unknown.stderr.split())
    missing = runner("export", "nope", "--format", "edl", "--runs-dir", str(finished_run))
    assert missing.returncode != 0 and "There is no run 'nope'" in missing.stderr
