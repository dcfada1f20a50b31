"""`videodrafter export`: a run's timeline for Final Cut Pro, Premiere/Resolve, any NLE (EDL) and
Kdenlive, read back by each format's own OpenTimelineIO adapter."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.media.exports import FORMATS
from videodrafter.media.video import probe_video


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    runs = folder / "runs"
    made = CliRunner()("make", "--script", str(write_script(folder / "s.json", "cut", ["left", "zoom in", "right"])), "--runs-dir", str(runs), "--run-id", "cut")
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


def test_an_unknown_format_or_an_unfinished_run_is_a_clear_error(finished_run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner("export", "cut", "--format", "mov", "--runs-dir", str(finished_run))
    assert unknown.returncode != 0 and "Use one of: fcpxml, premiere-xml, edl, kdenlive" in " ".join(unknown.stderr.split())
    missing = runner("export", "nope", "--format", "edl", "--runs-dir", str(finished_run))
    assert missing.returncode != 0 and "There is no run 'nope'" in missing.stderr
