"""The video's sound: each scene's speech placed at its start (short fades), brought to the voice's
loudness; the music bed under it at its own loudness, ducked while someone speaks; one static gain
each (so the mix is exactly speech + music), a soft limit on the peaks, encoded as AAC and muxed
with the (already encoded) video."""

from __future__ import annotations

import re
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
"""The narration's loudness unless Settings.voice_level_db says otherwise."""
MARGIN_DB = 10.0
"""While someone speaks the music stays at least this far under the speech, whatever the levels."""
HOP_S = 0.02
WINDOW_S = 0.4
"""Speech and music levels are compared over windows this long, one every HOP_S."""
RAMP_S = 0.2
"""The ducking starts this long before the speech and ends this long after it."""
SPEECH_FLOOR = 10 ** (-50 / 20)
"""A window whose speech is quieter than this (RMS, after the voice's gain) is not speaking."""
LIMIT = 10 ** (-1.5 / 20)
"""Peaks above this (dBFS) are softly limited, as loudnorm's true-peak limit did."""
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


class Levels(BaseModel):
    """Loudness of the voice and the music (LUFS) and how far the music drops while someone speaks (dB)."""

    voice_db: float = TARGET_LUFS
    music_db: float = -26.0
    ducking_db: float = 12.0


class Soundtrack(BaseModel, arbitrary_types_allowed=True):
    """The mix and its two parts, sample for sample: ``mix == soft_limit(speech + music)``."""

    speech: np.ndarray
    music: np.ndarray
    mix: np.ndarray


def soundtrack(placements: list[Placement], duration_s: float, bed: np.ndarray | None, levels: Levels) -> Soundtrack:
    """Speech at ``levels.voice_db``; the bed (already ``duration_s`` long) at ``levels.music_db``, ducked under the speech."""
    speech = _at_loudness(narration_track(placements, duration_s), levels.voice_db)
    music = np.zeros_like(speech)
    if bed is not None:
        music = _at_loudness(bed[: len(speech)], levels.music_db)
        music = music * ducking_gain(speech, music, levels.ducking_db)
    return Soundtrack(speech=speech, music=music.astype(np.float32), mix=soft_limit(speech + music))


def ducking_gain(speech: np.ndarray, music: np.ndarray, ducking_db: float, margin_db: float = MARGIN_DB) -> np.ndarray:
    """The music's gain per sample: ``ducking_db`` down where the speech is, and lower still wherever that
    would leave the music less than ``margin_db`` (+1 dB to spare) under the speech in a WINDOW_S window.

    A min filter then a box mean of the same radius: the gain moves over RAMP_S and never rises above
    what any hop in reach asks for (the mean of values each at most the hop's own target).
    """
    hop = round(HOP_S * SAMPLE_RATE)
    speech_rms, music_rms = _window_rms(speech, hop), _window_rms(music, hop)
    speaking = speech_rms > SPEECH_FLOOR
    room = speech_rms * 10 ** (-(margin_db + 1) / 20) / np.maximum(music_rms, 1e-9)
    gain = np.ones(len(speech_rms))
    gain[speaking] = np.minimum(10 ** (-ducking_db / 20), room[speaking])
    radius = max(1, round(RAMP_S / HOP_S))
    padded = np.pad(gain, radius, mode="edge")
    lowest = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1).min(axis=1)
    smooth = np.convolve(np.pad(lowest, radius, mode="edge"), np.ones(2 * radius + 1) / (2 * radius + 1), mode="valid")
    centres = np.arange(len(smooth)) * hop + hop / 2
    return np.interp(np.arange(len(speech)), centres, smooth).astype(np.float32)


def _window_rms(samples: np.ndarray, hop: int) -> np.ndarray:
    """RMS of a WINDOW_S window centred on each hop."""
    half = round(WINDOW_S * SAMPLE_RATE / 2)
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    centres = np.arange(0, len(samples), hop) + hop // 2
    low, high = np.clip(centres - half, 0, len(samples)), np.clip(centres + half, 0, len(samples))
    return np.sqrt((energy[high] - energy[low]) / np.maximum(high - low, 1))


def soft_limit(samples: np.ndarray) -> np.ndarray:
    """Samples above LIMIT bend smoothly towards full scale; the rest pass untouched."""
    over = np.abs(samples) > LIMIT
    out = samples.astype(np.float32).copy()
    excess = (np.abs(samples[over]) - LIMIT) / (1 - LIMIT)
    out[over] = np.sign(samples[over]) * (LIMIT + (1 - LIMIT) * np.tanh(excess))
    return out


def _at_loudness(samples: np.ndarray, lufs: float) -> np.ndarray:
    """``samples`` with one gain that brings their integrated loudness to ``lufs`` (silence stays silent)."""
    measured = loudness_lufs(samples)
    return samples if measured is None else (samples * 10 ** ((lufs - measured) / 20)).astype(np.float32)


def loudness_lufs(samples: np.ndarray) -> float | None:
    """EBU R128 integrated loudness by ffmpeg's ebur128; None for silence (or too short to gate)."""
    if not len(samples) or not np.any(samples):
        return None
    with tempfile.TemporaryDirectory(prefix="loudness-") as folder:
        path, scale = Path(folder) / "track.wav", max(1.0, float(np.abs(samples).max()))
        _write_wav(samples / scale, path)
        done = subprocess.run(
            [ffmpeg_executable(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
            capture_output=True, text=True, check=False,
        )
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)
    if not found or float(found[-1]) <= -69.0:
        return None
    return float(found[-1]) + 20 * np.log10(scale)


def _write_wav(samples: np.ndarray, target: Path) -> None:
    with wave.open(str(target), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def write_wav(samples: np.ndarray, target: Path) -> Path:
    """A mono 16-bit WAV at SAMPLE_RATE, written atomically (the music stem the timeline points at)."""
    with atomic_path(target) as temporary:
        _write_wav(samples, temporary)
    return target


def mux_narration(video: Path, samples: np.ndarray, target: Path) -> Path:
    """``video`` with ``samples`` (a ``Soundtrack.mix`` as long as the picture) as its one AAC track.

    Two ffmpeg calls: the track alone (AAC at 48 kHz), and a stream copy of both into the mp4. In
    one call, ``-t`` with a copied video stream cut the audio a frame short; encoded alone, the AAC
    track carries its exact length (the mp4 edit list trims the encoder's priming).
    """
    with tempfile.TemporaryDirectory(prefix="narration-") as folder:
        track, encoded = Path(folder) / "track.wav", Path(folder) / "track.m4a"
        _write_wav(samples, track)
        _ffmpeg(["-i", str(track), "-af", "aresample=48000", "-c:a", "aac", "-b:a", "128k", "-ac", "1", str(encoded)], target)
        with atomic_path(target) as temporary:
            _ffmpeg(
                ["-i", str(video), "-i", str(encoded), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(temporary)],
                target,
            )
    return target


def _ffmpeg(arguments: list[str], target: Path) -> None:
    done = subprocess.run([ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y", *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise MediaError(f"ffmpeg failed to add the sound to {target}: {done.stderr.strip()[-500:]}", "Check the disk space and the ffmpeg install.")
