"""One narration track: each scene's speech placed at its start, short fades, EBU R128 loudness
normalisation, encoded as AAC and muxed with the (already encoded) video."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from videodrafter.audio.engines import SAMPLE_RATE
from videodrafter.media.files import atomic_path
from videodrafter.media.video import MediaError, ffmpeg_executable

TARGET_LUFS = -16.0
FADE_S = 0.02
"""Fade in and out of each spoken line: no click where speech meets the silence of a cut."""


class Placement(BaseModel):
    """A speech file and where on the video's clock it starts."""

    path: Path
    start_s: float


def read_wav(path: Path) -> np.ndarray:
    """Mono float samples of a WAV written by the speech engines (16-bit, SAMPLE_RATE)."""
    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != SAMPLE_RATE or handle.getsampwidth() != 2 or handle.getnchannels() != 1:
            raise MediaError(f"{path} is not a narration WAV (mono 16-bit {SAMPLE_RATE} Hz).", "Delete it; it will be spoken again.")
        data = handle.readframes(handle.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def narration_track(placements: list[Placement], duration_s: float) -> np.ndarray:
    """The whole track as float samples, exactly ``duration_s`` long; lines past the end are cut."""
    track = np.zeros(round(duration_s * SAMPLE_RATE), dtype=np.float32)
    fade = max(1, round(FADE_S * SAMPLE_RATE))
    for placement in placements:
        samples = read_wav(placement.path).copy()
        ramp = np.linspace(0.0, 1.0, min(fade, len(samples) // 2) + 2, dtype=np.float32)[1:-1]
        if len(ramp):
            samples[: len(ramp)] *= ramp
            samples[len(samples) - len(ramp):] *= ramp[::-1]
        start = round(placement.start_s * SAMPLE_RATE)
        end = min(len(track), start + len(samples))
        if end > start:
            track[start:end] += samples[: end - start]
    return np.clip(track, -1.0, 1.0)


def _write_wav(samples: np.ndarray, target: Path) -> None:
    with wave.open(str(target), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def mux_narration(video: Path, placements: list[Placement], duration_s: float, target: Path) -> Path:
    """``video`` with the narration as its one AAC track, as long as the picture.

    Two ffmpeg calls: the track alone (loudnorm, one pass, to about TARGET_LUFS; then AAC), and a
    stream copy of both into the mp4. In one call, ``-t`` with a copied video stream cut the audio a
    frame short; encoded alone, the AAC track carries its exact length (the mp4 edit list trims the
    encoder's priming).
    """
    with tempfile.TemporaryDirectory(prefix="narration-") as folder:
        track, encoded = Path(folder) / "track.wav", Path(folder) / "track.m4a"
        _write_wav(narration_track(placements, duration_s), track)
        _ffmpeg(
            ["-i", str(track), "-af", f"loudnorm=I={TARGET_LUFS}:TP=-1.5:LRA=11,aresample=48000", "-c:a", "aac", "-b:a", "128k", "-ac", "1", str(encoded)],
            target,
        )
        with atomic_path(target) as temporary:
            _ffmpeg(
                ["-i", str(video), "-i", str(encoded), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(temporary)],
                target,
            )
    return target


def _ffmpeg(arguments: list[str], target: Path) -> None:
    done = subprocess.run([ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y", *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise MediaError(f"ffmpeg failed to add the narration to {target}: {done.stderr.strip()[-500:]}", "Check the disk space and the ffmpeg install.")
