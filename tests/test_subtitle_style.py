"""Subtitle style (issue 28, item 5): burned-in captions on or off, at the bottom or the top, their size
and box, drawn by the assembly on the cues of video.srt (always written). Measured as pixel
differences of a frame against a caption-less render of the same clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from videodrafter.config import Settings
from videodrafter.media.video import decode_frames, encode_mp4
from videodrafter.run_resources import RunResources
from videodrafter.tools.assembly import AssembleArgs, ClipEntry, assemble_video

WIDTH, HEIGHT, FPS = 160, 96, 6


@pytest.fixture
def clips(tmp_path: Path) -> list[ClipEntry]:
    """Two clean one-second clips of a mid-grey gradient (no caption of their own)."""
    x = np.linspace(90, 170, WIDTH)[None, :, None]
    y = np.linspace(-20, 20, HEIGHT)[:, None, None]
    picture = np.clip(np.broadcast_to(x + y, (HEIGHT, WIDTH, 3)), 0, 255).astype(np.uint8)
    entries = []
    for number in (1, 2):
        clip = encode_mp4([picture] * FPS, tmp_path / f"clip{number}.mp4", FPS)
        image = tmp_path / f"scene{number}.png"
        Image.fromarray(picture).save(image)
        entries.append(ClipEntry(clip=clip, scene_image=image, caption=f"Scene {number}: the brown dog runs along the beach."))
    return entries


def _render(clips: list[ClipEntry], folder: Path, **style) -> tuple[np.ndarray, Path]:
    """The middle frame of the first scene, and the run's SRT."""
    settings = Settings(runs_dir=folder.parent, video_width=WIDTH, video_height=HEIGHT, fps=FPS, crossfade_s=0, voice="none", **style)
    result = assemble_video(AssembleArgs(title="Captions", clips=clips, output_dir=folder), RunResources(settings))
    return list(decode_frames(result.video))[FPS // 2].astype(np.int16), result.subtitles


def _changed(frame: np.ndarray, reference: np.ndarray, rows: slice) -> float:
    """Share of pixels in ``rows`` that differ visibly (more than codec noise) from the reference."""
    return float((np.abs(frame[rows] - reference[rows]).max(axis=2) > 40).mean())


TOP, BOTTOM = slice(0, HEIGHT // 4), slice(HEIGHT - HEIGHT // 4, HEIGHT)


def test_captions_follow_the_subtitle_settings_and_the_srt_is_always_written(clips: list[ClipEntry], tmp_path: Path) -> None:
    off, off_srt = _render(clips, tmp_path / "off", subtitle_burn=False)
    raw = next(iter(decode_frames(clips[0].clip))).astype(np.int16)
    assert _changed(off, raw, BOTTOM) == 0 and _changed(off, raw, TOP) == 0, "captions off: nothing drawn"
    assert "Scene 1: the brown dog" in off_srt.read_text(), "the SRT is written with captions off"
    bottom, _ = _render(clips, tmp_path / "bottom")
    assert _changed(bottom, off, BOTTOM) > 0.5 and _changed(bottom, off, TOP) == 0
    top, top_srt = _render(clips, tmp_path / "top", subtitle_position="top")
    assert _changed(top, off, TOP) > 0.5 and _changed(top, off, BOTTOM) == 0
    assert top_srt.read_text() == off_srt.read_text()
    # without the box only the letters (and their outline) change the picture
    bare, _ = _render(clips, tmp_path / "bare", subtitle_box=False)
    assert 0.02 < _changed(bare, off, BOTTOM) < _changed(bottom, off, BOTTOM) / 2
    # a bigger size takes more rows
    big, _ = _render(clips, tmp_path / "big", subtitle_size=12)

    def rows(frame: np.ndarray) -> int:
        return int((np.abs(frame - off).max(axis=2) > 40).any(axis=1).sum())

    assert rows(big) > rows(bottom) * 1.5


def test_a_new_style_remakes_the_video_and_keeps_the_other_deliverables(clips: list[ClipEntry], tmp_path: Path) -> None:
    folder = tmp_path / "run"
    _render(clips, folder)
    before = {name: (folder / name).stat().st_mtime_ns for name in ("video.mp4", "video.srt", "contact_sheet.png")}
    _render(clips, folder, subtitle_position="top")
    after = {name: (folder / name).stat().st_mtime_ns for name in before}
    assert after["video.mp4"] != before["video.mp4"]
    assert (after["video.srt"], after["contact_sheet.png"]) == (before["video.srt"], before["contact_sheet.png"])


def test_an_animatic_run_with_captions_off_has_a_clean_picture(settings: Settings, tmp_path: Path) -> None:
    from tests.fixtures.scripts import write_script
    from videodrafter.graph.runner import start_run
    from videodrafter.run_inputs import load_script_file

    script = load_script_file(write_script(tmp_path / "script.json", "Clean", ["left", "right"]))
    outcome = start_run("", settings.model_copy(update={"voice": "none", "subtitle_burn": False}), script=script, run_id="clean")
    assert outcome.result is not None
    frames = list(decode_frames(outcome.result.video))
    clean = [np.asarray(Image.open(path).convert("RGB"), dtype=np.int16) for path in (outcome.run_dir / "clips").glob("*.last.png")]
    # each scene's last frame in the video is its clip's uncaptioned last frame, as the clips stage saved it
    # (a caption band changes nearly all of its pixels; H.264 only a few at the pictograms' edges)
    for end in (frames[len(frames) // 2 - 1].astype(np.int16), frames[-1].astype(np.int16)):
        assert min(_changed(end, picture, BOTTOM) for picture in clean) < 0.05


def test_make_takes_every_subtitle_setting_and_refuses_a_size_out_of_range(tmp_path: Path) -> None:
    from tests.fixtures.cli import run_cli
    from tests.fixtures.scripts import write_script

    script = write_script(tmp_path / "script.json", "Styled", ["left", "right"])
    too_big = run_cli("make", "--script", str(script), "--subtitle-size", "30", "--runs-dir", str(tmp_path / "runs"), "--dry-run")
    assert too_big.returncode == 2 and "subtitle_size" in too_big.stderr and "Traceback" not in too_big.stderr
    styled = run_cli(
        "make", "--script", str(script), "--subtitle-size", "9", "--no-subtitle-box", "--subtitle-position", "top",
        "--runs-dir", str(tmp_path / "runs"), "--run-id", "styled", "--voice", "none", env={"VIDEODRAFTER_VIDEO_WIDTH": "160", "VIDEODRAFTER_VIDEO_HEIGHT": "96"},
    )
    assert styled.returncode == 0, styled.stderr
    request = (tmp_path / "runs" / "styled" / "request.json").read_text()
    assert '"subtitle_size": 9.0' in request and '"subtitle_box": false' in request and '"subtitle_position": "top"' in request
