"""Real ffmpeg encoding, probing with PyAV, crossfades, SRT, contact sheet and OTIO timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from PIL import Image

from videodrafter.media.contact_sheet import contact_sheet
from videodrafter.media.subtitles import Cue, render_srt
from videodrafter.media.timeline import TimelineClip, write_timeline
from videodrafter.media.video import (
    MediaError,
    concatenate_clips,
    crossfaded,
    decode_frames,
    encode_mp4,
    probe_video,
    scene_spans,
)


def _frames(count: int, value: int, size: tuple[int, int] = (48, 64)) -> list[np.ndarray]:
    return [np.full((*size, 3), value, dtype=np.uint8) for _ in range(count)]


def test_encoded_video_probes_as_h264_with_the_right_frames_fps_and_duration(tmp_path: Path) -> None:
    target = encode_mp4(_frames(24, 128), tmp_path / "clip.mp4", fps=12)
    info = probe_video(target)
    assert (info.codec, info.pixel_format) == ("h264", "yuv420p")
    assert (info.width, info.height, info.frames) == (64, 48, 24)
    assert info.fps == pytest.approx(12)
    assert info.duration_s == pytest.approx(2.0)
    assert not list(tmp_path.glob(".clip.*")), "the temporary file must be renamed away"


def test_odd_sizes_and_empty_input_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="even"):
        encode_mp4(_frames(3, 0, (47, 64)), tmp_path / "odd.mp4", fps=8)
    with pytest.raises(MediaError, match="No frames"):
        encode_mp4([], tmp_path / "none.mp4", fps=8)
    assert not (tmp_path / "odd.mp4").exists()


def test_crossfade_blends_and_shortens_by_the_overlap() -> None:
    clips = [_frames(10, 0), _frames(10, 200), _frames(10, 100)]
    joined = list(crossfaded(clips, overlap_frames=3))
    assert len(joined) == 30 - 2 * 3
    means = [float(frame.mean()) for frame in joined]
    assert means[:7] == [0.0] * 7
    assert 0 < means[7] < means[8] < means[9] < 200  # a ramp from black to the second clip
    assert means[10] == 200
    spans = scene_spans([10, 10, 10], 3)  # cut on a whole frame inside each 3-frame fade
    assert spans == [(0, 8), (8, 15), (15, 24)]


def test_concatenated_video_has_every_scene(tmp_path: Path) -> None:
    paths = [encode_mp4(_frames(12, value), tmp_path / f"c{value}.mp4", fps=12) for value in (30, 220)]
    joined = concatenate_clips(paths, tmp_path / "video.mp4", fps=12, crossfade_s=0.25)
    frames = list(decode_frames(joined))
    assert len(frames) == 24 - 3
    assert frames[0].mean() < 50 and frames[-1].mean() > 200


def test_unreadable_clip_gives_a_media_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(MediaError, match="Cannot read"):
        probe_video(broken)


def test_srt_cues_are_numbered_and_timed() -> None:
    text = render_srt([Cue(start_s=0, end_s=2.5, text="The dog\nruns"), Cue(start_s=2.5, end_s=3661.001, text="Sunset")])
    assert text.splitlines()[:4] == ["1", "00:00:00,000 --> 00:00:02,500", "The dog runs", ""]
    assert "00:00:02,500 --> 01:01:01,001" in text


def test_contact_sheet_is_a_grid_of_scenes(tmp_path: Path) -> None:
    images = []
    for index, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]):
        path = tmp_path / f"s{index}.png"
        Image.new("RGB", (160, 90), colour).save(path)
        images.append(path)
    sheet = contact_sheet(images, ["a", "b", "c", "d"], tmp_path / "sheet.png", columns=3, thumb_width=160)
    with Image.open(sheet) as opened:
        assert opened.size == (3 * 172 + 12, 2 * (90 + 58 + 12) + 12)
        assert opened.getpixel((12 + 172 + 5, 12 + 5)) == (0, 255, 0)


def test_timeline_reads_back_with_one_clip_per_scene(tmp_path: Path) -> None:
    clips = [TimelineClip(name=f"scene {n}", media=tmp_path / f"c{n}.mp4", frames=24 + n, metadata={"caption": f"c{n}"}) for n in (1, 2)]
    path = write_timeline("My video", clips, 12.0, tmp_path / "timeline.otio")
    timeline = otio.adapters.read_from_file(str(path))
    track = timeline.tracks[0]
    assert [clip.name for clip in track] == ["scene 1", "scene 2"]
    assert [clip.source_range.duration.value for clip in track] == [25, 26]
    assert track[1].media_reference.target_url.endswith("c2.mp4")
    assert timeline.duration().to_seconds() == pytest.approx(51 / 12)
