"""The music bed: a user's audio file fitted to the video, or one synthesised offline from the script's mood.

``settings.music`` is 'none', 'auto' or a file. A file is decoded by ffmpeg (WAV, MP3, OGG, FLAC),
looped (with a short crossfade at each seam) or trimmed to the video's length, with a fade in and
out. 'auto' reads a mood from the script's words (``mood_of``) and plays that mood's chord
progression as soft sine/triangle pads (``synthesise_bed``), seeded by the run's seed: the same
script and seed give the same samples. Levels and ducking are the mixer's (``audio/mixer.py``).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from videodrafter.audio.engines import SAMPLE_RATE
from videodrafter.errors import InputError
from videodrafter.media.video import ffmpeg_executable

if TYPE_CHECKING:
    from videodrafter.config import Settings

MUSIC_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac")
FADE_S = 1.0
"""Fade in at the start and out at the end of the bed (at most a quarter of the video each)."""
LOOP_CROSSFADE_S = 0.05
"""Where a looped file meets its own start: a short crossfade, no click."""
MAX_MUSIC_BYTES = 200_000_000

MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "calm": ("calm", "quiet", "peaceful", "gentle", "sleep", "sleeps", "nap", "naps", "rest", "dream", "soft", "lake", "garden", "morning"),
    "happy": ("happy", "joy", "play", "plays", "party", "fun", "sunny", "dance", "dances", "laugh", "laughs", "celebrate", "birthday", "friend", "friends"),
    "tense": ("chase", "chases", "danger", "storm", "dark", "escape", "escapes", "fight", "fights", "thief", "steal", "steals", "monster", "scary", "hunt"),
    "sad": ("sad", "lost", "alone", "cry", "cries", "rain", "rainy", "goodbye", "tears", "lonely", "miss", "misses", "grey"),
    "epic": ("epic", "battle", "hero", "dragon", "quest", "journey", "space", "mountain", "king", "queen", "castle", "adventure", "storm"),
}
"""A mood's words. The title's words count twice, the events' and lines' once; the most counted mood
wins, a tie goes to the earlier mood in this table, no word at all gives 'calm'."""


class Mood(BaseModel):
    """How a mood sounds: chords (MIDI notes), seconds per chord, and the pad's wave."""

    chords: list[list[int]]
    chord_s: float
    wave: str = Field(description="'sine' (soft) or 'triangle' (brighter).")


MOODS: dict[str, Mood] = {
    "calm": Mood(chords=[[60, 64, 67, 71], [57, 60, 64, 67], [53, 57, 60, 64], [55, 59, 62, 67]], chord_s=4.0, wave="sine"),
    "happy": Mood(chords=[[60, 64, 67], [55, 59, 62], [57, 60, 64], [53, 57, 60]], chord_s=2.0, wave="triangle"),
    "tense": Mood(chords=[[57, 60, 64], [58, 62, 65], [57, 60, 64], [56, 59, 62, 65]], chord_s=2.0, wave="triangle"),
    "sad": Mood(chords=[[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62]], chord_s=4.0, wave="sine"),
    "epic": Mood(chords=[[50, 57, 62, 65], [46, 53, 58, 62], [53, 60, 65, 69], [48, 55, 60, 64]], chord_s=3.0, wave="triangle"),
}


class MusicSource(BaseModel):
    """What the bed was made from (recorded in the manifest, part of the assembly's key)."""

    kind: str = Field(description="'file' or 'auto'.")
    path: str = Field(default="", description="The user's file, as given.")
    sha256: str = Field(default="", description="The file's content hash.")
    mood: str = Field(default="", description="'auto': the mood read from the script.")
    seed: int | None = Field(default=None, description="'auto': the seed of the synthesis.")

    def describe(self) -> str:
        return f"auto: {self.mood}, seed {self.seed}" if self.kind == "auto" else f"file: {self.path} (sha256 {self.sha256[:12]})"


def mood_of(title: str, texts: list[str]) -> str:
    """The script's mood: see MOOD_WORDS."""
    counts = dict.fromkeys(MOODS, 0)
    for weight, text in [(2, title), *((1, text) for text in texts)]:
        for word in re.findall(r"[a-z]+", text.lower()):
            for mood, words in MOOD_WORDS.items():
                counts[mood] += weight * (word in words)
    best = max(counts.values())
    return next(mood for mood in MOODS if counts[mood] == best) if best else "calm"


def music_source(music: str, *, title: str, texts: list[str], seed: int) -> MusicSource | None:
    """None for 'none'; the mood and seed for 'auto'; the file and its hash otherwise (checked by ``check_music``)."""
    if music == "none":
        return None
    if music == "auto":
        return MusicSource(kind="auto", mood=mood_of(title, texts), seed=seed)
    try:
        content = Path(music).expanduser().read_bytes()
    except OSError as error:  # gone since the run's inputs were checked
        raise InputError(f"Cannot read the music file {music}: {error.strerror}.", "Check the path, or use --music auto.") from error
    return MusicSource(kind="file", path=music, sha256=hashlib.sha256(content).hexdigest())


def music_bed(source: MusicSource, duration_s: float) -> np.ndarray:
    """The bed, exactly ``duration_s`` long at SAMPLE_RATE, faded in and out, peak-normalised (levels are the mixer's)."""
    length = round(duration_s * SAMPLE_RATE)
    raw = synthesise_bed(MOODS[source.mood], source.seed or 0, length) if source.kind == "auto" else fit_length(decode_music(Path(source.path).expanduser()), length)
    peak = float(np.abs(raw).max()) if len(raw) else 0.0
    return with_fades(raw / peak if peak > 0 else raw, FADE_S)


def decode_music(path: Path) -> np.ndarray:
    """Mono float samples at SAMPLE_RATE of any file ffmpeg reads."""
    done = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        capture_output=True, check=False,
    )
    samples = np.frombuffer(done.stdout, dtype="<f4")
    if done.returncode != 0 or not len(samples):
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no sound in it"]
        raise InputError(f"The music file {path} is not audio ffmpeg can read ({reason[0][:200]}).", "Give a WAV, MP3, OGG or FLAC file, or --music auto.")
    return samples.astype(np.float32)


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """``samples`` trimmed to ``length``, or looped to it with a LOOP_CROSSFADE_S crossfade at each seam."""
    if len(samples) >= length:
        return samples[:length].copy()
    overlap = min(round(LOOP_CROSSFADE_S * SAMPLE_RATE), len(samples) // 4)
    out = samples.astype(np.float32).copy()
    ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
    while len(out) < length:
        if overlap:
            out[-overlap:] = out[-overlap:] * ramp[::-1] + samples[:overlap] * ramp
        out = np.concatenate([out, samples[overlap:]])
    return out[:length]


def with_fades(samples: np.ndarray, fade_s: float) -> np.ndarray:
    """A raised-cosine fade in and out, each at most a quarter of the whole."""
    fade = min(round(fade_s * SAMPLE_RATE), len(samples) // 4)
    out = samples.astype(np.float32).copy()
    if fade:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))).astype(np.float32)
        out[:fade] *= ramp
        out[len(out) - fade:] *= ramp[::-1]
    return out


def synthesise_bed(mood: Mood, seed: int, length: int) -> np.ndarray:
    """Pads playing the mood's chords in turn; the seed picks the key (±3 semitones), the first chord and the detune."""
    rng = np.random.default_rng(seed)
    transpose = int(rng.integers(-3, 4))
    first = int(rng.integers(len(mood.chords)))
    detune = float(rng.uniform(0.5, 2.0))
    chord_len = round(mood.chord_s * SAMPLE_RATE)
    time = np.arange(length, dtype=np.float64) / SAMPLE_RATE
    out = np.zeros(length, dtype=np.float64)
    for start in range(0, length, chord_len):
        # each chord sounds a little past its slot so consecutive chords overlap in their envelopes
        end = min(length, start + chord_len + chord_len // 4)
        chord = mood.chords[(first + start // chord_len) % len(mood.chords)]
        t = time[start:end]
        envelope = _pad_envelope(end - start, chord_len)
        for note in chord:
            frequency = 440.0 * 2 ** ((note + transpose - 69) / 12)
            for cents in (-detune, detune):
                out[start:end] += envelope * _wave(mood.wave, frequency * 2 ** (cents / 1200), t) / (2 * len(chord))
    return out.astype(np.float32)


def _pad_envelope(samples: int, chord_len: int) -> np.ndarray:
    attack = max(1, min(samples, chord_len // 3))
    release = max(1, samples - chord_len * 3 // 4)
    envelope = np.ones(samples)
    envelope[:attack] = np.linspace(0.0, 1.0, attack)
    envelope[samples - release:] *= np.linspace(1.0, 0.0, release)
    return envelope


def _wave(kind: str, frequency: float, t: np.ndarray) -> np.ndarray:
    phase = frequency * t
    if kind == "triangle":
        return 0.7 * (2 * np.abs(2 * (phase - np.floor(phase + 0.5))) - 1) + 0.3 * np.sin(2 * np.pi * phase)
    return np.sin(2 * np.pi * phase) + 0.15 * np.sin(4 * np.pi * phase)


def check_music(settings: Settings) -> None:
    """A music file that is missing, too big, not a WAV/MP3/OGG/FLAC or not audio is an InputError, before any work."""
    music = settings.music
    if music in ("none", "auto"):
        return
    path = Path(music).expanduser()
    if path.suffix.lower() not in MUSIC_SUFFIXES:
        raise InputError(f"The music '{music}' is neither 'none', 'auto' nor a WAV, MP3, OGG or FLAC file.", "Use --music none, --music auto or a path to an audio file.")
    if not path.is_file():
        raise InputError(f"The music file {path} does not exist.", "Check the path, or use --music auto.")
    if path.stat().st_size > MAX_MUSIC_BYTES:
        raise InputError(f"The music file {path} is larger than {MAX_MUSIC_BYTES // 1_000_000} MB.", "Use a shorter or compressed file.")
    try:
        done = subprocess.run(
            [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-t", "1", "-i", str(path), "-vn", "-ac", "1", "-f", "s16le", "-"],
            capture_output=True, check=False, timeout=60,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"Reading the music file {path} took over a minute.", "Give a plain WAV, MP3, OGG or FLAC file.") from None
    if done.returncode != 0 or not done.stdout:
        raise InputError(f"The music file {path} is not audio ffmpeg can read.", "Give a WAV, MP3, OGG or FLAC file, or --music auto.")
