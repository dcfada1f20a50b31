"""What a video's sound track is: codec, duration, loudness (for tests, benchmarks and the README's numbers)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pydantic import BaseModel

from videodrafter.media.video import MediaError, ffmpeg_executable


class AudioInfo(BaseModel):
    codec: str
    duration_s: float
    sample_rate: int
    channels: int
    mean_volume_db: float
    max_volume_db: float
    integrated_lufs: float | None = None


def audio_streams(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return len(container.streams.audio)


def probe_audio(path: Path) -> AudioInfo:
    """The first audio stream of ``path``: duration from its decoded samples, volume from ffmpeg's volumedetect and ebur128."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            codec, rate, channels = stream.codec_context.name, stream.codec_context.sample_rate, stream.codec_context.channels
    except (av.error.FFmpegError, OSError, IndexError) as error:
        raise MediaError(f"{path} has no readable audio stream: {error}", "Make the video again with a --voice other than none.") from error
    # ffmpeg, not PyAV, counts the samples: it applies the mp4 edit list that trims the AAC priming
    decoded = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-f", "s16le", "-"],
        capture_output=True, check=False,
    )
    samples = len(decoded.stdout) // 2
    done = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0", "-af", "volumedetect,ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )
    mean = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", done.stderr)
    peak = re.search(r"max_volume: (-?[\d.]+|-inf) dB", done.stderr)
    lufs = re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)
    if not mean or not peak:
        raise MediaError(f"ffmpeg could not measure the volume of {path}: {done.stderr.strip()[-300:]}", "Check the ffmpeg install.")
    return AudioInfo(
        codec=codec, duration_s=samples / rate, sample_rate=rate, channels=channels,
        mean_volume_db=float(mean[1]), max_volume_db=float(peak[1]), integrated_lufs=float(lufs[-1]) if lufs else None,
    )
