"""H.264 encoding with a real ffmpeg, decoding and probing with PyAV, and crossfaded assembly."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from videodrafter.errors import VideoDrafterError
from videodrafter.media.files import atomic_path


class MediaError(VideoDrafterError):
    """Encoding or decoding a video failed."""


class VideoInfo(BaseModel):
    """What ffprobe would report about a video file."""

    path: Path
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    pixel_format: str


def ffmpeg_executable() -> str:
    """ffmpeg from PATH, else the static build shipped by the imageio-ffmpeg package."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as error:
        raise MediaError(
            "No ffmpeg was found to encode the video.",
            "Install it with `pip install imageio-ffmpeg` (or your system's ffmpeg package).",
        ) from error
    return imageio_ffmpeg.get_ffmpeg_exe()


def encode_mp4(frames: Iterable[np.ndarray], target: Path, fps: float, *, crf: int = 20) -> Path:
    """Encode RGB uint8 frames (all the same size, even sides) as H.264 yuv420p; written atomically."""
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration as error:
        raise MediaError(f"No frames to encode into {target}.", "This is a bug: report it with the run folder.") from error
    height, width = first.shape[:2]
    if width % 2 or height % 2:
        raise MediaError(f"Frames are {width}x{height}; H.264 needs even sides.", "Use an even video width and height.")
    with atomic_path(target) as temporary:
        command = [
            ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps}", "-i", "-",
            "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", str(temporary),
        ]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdin is not None
        try:
            process.stdin.write(np.ascontiguousarray(first, dtype=np.uint8).tobytes())
            for frame in iterator:
                if frame.shape[:2] != (height, width):
                    raise MediaError(
                        f"Frame size changed from {width}x{height} to {frame.shape[1]}x{frame.shape[0]}.",
                        "All frames of one video must have the same size.",
                    )
                process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        except BrokenPipeError:
            pass
        finally:
            process.stdin.close()
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            returncode = process.wait()
        if returncode != 0:
            raise MediaError(f"ffmpeg failed to encode {target}: {stderr.strip()[-500:]}", "Check the disk space and the ffmpeg install.")
    return target


def decode_frames(path: Path) -> Iterator[np.ndarray]:
    """RGB uint8 frames of a video, in order."""
    import av

    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                yield frame.to_ndarray(format="rgb24")
    except (av.error.FFmpegError, OSError) as error:
        raise MediaError(f"Cannot read the video {path}: {error}", "Regenerate that clip.") from error


def probe_video(path: Path) -> VideoInfo:
    """Frame count (by decoding), fps, duration, codec and size of a video."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(0)
            frames = stream.frames or sum(1 for _ in container.decode(video=0))  # mp4 headers carry the count
            codec = stream.codec_context.name
            width, height = stream.codec_context.width, stream.codec_context.height
            pixel_format = stream.codec_context.pix_fmt or ""
    except (av.error.FFmpegError, OSError, IndexError) as error:
        raise MediaError(f"Cannot read the video {path}: {error}", "Regenerate it.") from error
    fps = float(rate)
    return VideoInfo(
        path=path, codec=codec, width=width, height=height, fps=fps, frames=frames,
        duration_s=frames / fps if fps else 0.0, pixel_format=pixel_format,
    )


def crossfade_overlaps(lengths: list[int], overlap_frames: int) -> list[int]:
    """Frames shared by clip i and clip i+1 in ``crossfaded`` output (one fewer than clips)."""
    return [
        min(overlap_frames, lengths[index] // 2, lengths[index + 1] // 2) for index in range(len(lengths) - 1)
    ]


def fade_cuts(overlaps: list[int]) -> list[tuple[int, int]]:
    """(frames before the cut, frames after it) of each crossfade: the cut sits in the middle of the
    fade, on a whole frame, so the timeline, the subtitles and the video all cut at the same frame."""
    return [(overlap // 2, overlap - overlap // 2) for overlap in overlaps]


def scene_spans(lengths: list[int], overlap_frames: int) -> list[tuple[float, float]]:
    """(first, end) frame positions of each scene in the joined video, cut in the middle of each fade.

    Scene i starts where the video shows clip i's first frame, plus the part of the fade before the cut.
    """
    cuts = fade_cuts(crossfade_overlaps(lengths, overlap_frames))
    spans, start = [], 0
    for index, length in enumerate(lengths):
        first = start + (cuts[index - 1][0] if index else 0)
        if index < len(cuts):
            next_start = start + length - sum(cuts[index])
            end = next_start + cuts[index][0]
        else:
            next_start = end = start + length
        spans.append((float(first), float(end)))
        start = next_start
    return spans


def hold_frames(lengths: list[int], overlap_frames: int, needed: list[int]) -> list[int]:
    """Frames of its last picture each clip holds at its end so that its scene (as ``scene_spans``
    cuts it) lasts at least ``needed`` frames: the picture waits for the narration, never the reverse.

    A hold is never shorter than a crossfade, so the fade into the next scene only eats held frames.
    A longer clip can widen its fades, which shortens the span again: a few rounds settle it.
    """
    holds = [0] * len(lengths)
    for _ in range(8):
        spans = scene_spans([length + hold for length, hold in zip(lengths, holds, strict=True)], overlap_frames)
        short = [max(0, need - round(end - first)) for need, (first, end) in zip(needed, spans, strict=True)]
        if not any(short):
            break
        holds = [hold + (max(gap, overlap_frames) if gap and not hold else gap) for hold, gap in zip(holds, short, strict=True)]
    return holds


def crossfaded(clips: list[list[np.ndarray]], overlap_frames: int) -> Iterator[np.ndarray]:
    """Concatenate clips, blending the last ``overlap_frames`` of each into the next one's first."""
    previous_tail: list[np.ndarray] = []
    for index, clip in enumerate(clips):
        overlap = min(overlap_frames, len(clip) // 2, len(previous_tail)) if index else 0
        tail_start = len(previous_tail) - overlap
        yield from previous_tail[:tail_start]
        for step in range(overlap):
            weight = (step + 1) / (overlap + 1)
            blended = previous_tail[tail_start + step].astype(np.float32) * (1 - weight) + clip[step].astype(np.float32) * weight
            yield np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        keep = min(overlap_frames, len(clip) // 2) if index < len(clips) - 1 else 0
        body_end = len(clip) - keep
        yield from clip[overlap:body_end]
        previous_tail = clip[body_end:]
    yield from previous_tail


def concatenate_clips(
    clip_paths: list[Path], target: Path, fps: float, *, crossfade_s: float = 0.0, holds: list[int] | None = None,
    overlay: Callable[[Iterable[np.ndarray]], Iterable[np.ndarray]] | None = None,
) -> Path:
    """Join scene clips into one H.264 video, optionally crossfading between scenes; clip i ends
    with ``holds[i]`` more frames of its last picture (see ``hold_frames``); ``overlay`` draws on the
    joined frames (burned-in subtitles)."""
    if not clip_paths:
        raise MediaError("There are no clips to assemble.", "Generate at least one scene clip first.")
    clips = [list(decode_frames(path)) for path in clip_paths]
    for path, clip in zip(clip_paths, clips, strict=True):
        if not clip:
            raise MediaError(f"The clip {path} has no frames.", "Regenerate that scene's clip.")
    sizes = {clip[0].shape for clip in clips}
    if len(sizes) > 1:
        raise MediaError(f"Clips have different frame sizes: {sorted(sizes)}.", "Regenerate the clips at one size.")
    if holds:
        clips = [clip + [clip[-1]] * hold for clip, hold in zip(clips, holds, strict=True)]
    joined = crossfaded(clips, round(crossfade_s * fps))
    return encode_mp4(overlay(joined) if overlay else joined, target, fps)
