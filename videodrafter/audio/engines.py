"""Speech engines behind one small protocol: text in, a WAV file out.

Every engine's output goes through ffmpeg into one format (mono, 16-bit, ``SAMPLE_RATE``), so the
mixer and the duration reads never care which engine spoke, nor whether a server sent WAV or MP3.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Protocol

from videodrafter.audio.spec import VoiceSpec, parse_voice_spec
from videodrafter.errors import VideoDrafterError
from videodrafter.llm.deadline import DeadlinePassed, deadline_client
from videodrafter.media.files import atomic_path
from videodrafter.media.video import ffmpeg_executable

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24000
OPENAI_BASE_URL = "https://api.openai.com/v1"
TTS_KEY_VARIABLE = "VIDEODRAFTER_TTS_API_KEY"
"""Bearer key for an openai-compatible speech server that wants one (OPENAI_API_KEY is for OpenAI's)."""


class SpeechUnavailableError(VideoDrafterError):
    """The speech engine could not speak (not installed, server down, bad answer)."""


class SpeechEngine(Protocol):
    """Anything that reads a line aloud into a WAV file."""

    spec: VoiceSpec

    def describe(self) -> dict[str, str]:
        """What identifies the voice: part of every speech artifact's key."""

    def synthesize(self, text: str, target: Path) -> Path:
        """Speak ``text`` into ``target`` (mono WAV at SAMPLE_RATE), written atomically."""


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


def _normalise(source: Path, target: Path) -> Path:
    """Any audio ffmpeg reads → mono 16-bit WAV at SAMPLE_RATE, written atomically."""
    with atomic_path(target) as temporary:
        done = subprocess.run(
            [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
             "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", "-f", "wav", str(temporary)],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise SpeechUnavailableError(
                f"The speech engine's audio could not be read: {done.stderr.strip()[-300:]}",
                "Check that the speech server answers with WAV or MP3 audio.",
            )
    return target


class EspeakEngine:
    """espeak-ng from the system packages: robotic, offline and fast."""

    def __init__(self, spec: VoiceSpec, words_per_minute: int = 160) -> None:
        self.spec = spec
        self.words_per_minute = words_per_minute

    @staticmethod
    def executable() -> str:
        found = shutil.which("espeak-ng") or shutil.which("espeak")
        if not found:
            raise SpeechUnavailableError(
                "espeak-ng is not installed, so the narration cannot be spoken offline.",
                "Install it with `apt-get install espeak-ng` (make setup does), choose a server with "
                "--voice openai-compatible:<model>@<url>, or make a silent video with --voice none.",
            )
        return found

    def describe(self) -> dict[str, str]:
        return {"engine": "espeak", "voice": self.spec.voice, "wpm": str(self.words_per_minute)}

    def synthesize(self, text: str, target: Path) -> Path:
        with tempfile.TemporaryDirectory(prefix="espeak-") as folder:
            raw = Path(folder) / "speech.wav"
            # the text goes in on stdin: a line that starts with '-' is not taken for an option
            done = subprocess.run(
                [self.executable(), "-v", self.spec.voice, "-s", str(self.words_per_minute), "-w", str(raw), "--stdin"],
                input=text, capture_output=True, text=True, check=False, timeout=120,
            )
            if done.returncode != 0 or not raw.is_file():
                raise SpeechUnavailableError(
                    f"espeak-ng failed with the voice '{self.spec.voice}': {done.stderr.strip()[-300:]}",
                    "List its voices with `espeak-ng --voices` and pass one as --voice espeak:<voice>.",
                )
            return _normalise(raw, target)


class OpenAISpeechEngine:
    """The OpenAI ``/v1/audio/speech`` endpoint, which self-hosted servers (Kokoro, Piper, …) also speak."""

    def __init__(self, spec: VoiceSpec, timeout_s: float = 60.0) -> None:
        """``timeout_s`` bounds each line as a whole: connecting, sending and every byte of the audio."""
        self.spec = spec
        self.timeout_s = timeout_s

    @property
    def url(self) -> str:
        return f"{self.spec.base_url or OPENAI_BASE_URL}/audio/speech"

    def api_key(self) -> str | None:
        if self.spec.base_url is None:
            return os.environ.get("OPENAI_API_KEY")
        return os.environ.get(TTS_KEY_VARIABLE)

    def describe(self) -> dict[str, str]:
        return {"engine": "openai", "model": self.spec.model, "voice": self.spec.voice, "base_url": self.spec.base_url or OPENAI_BASE_URL}

    def synthesize(self, text: str, target: Path) -> Path:
        import httpx

        key = self.api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body = {"model": self.spec.model, "input": text, "voice": self.spec.voice, "response_format": "wav"}
        try:
            # a total deadline: httpx's own timeout is per read, and a server that drips bytes never trips it
            with deadline_client(self.timeout_s, "the speech engine's limit", self.url) as client:
                response = client.post(self.url, json=body, headers=headers)
        except DeadlinePassed as error:
            raise SpeechUnavailableError(
                f"The speech server {self.url} did not send its audio within {error.seconds:g} s.",
                "Check the server's load, or make a silent video with --voice none.",
            ) from None
        except httpx.HTTPError as error:
            raise SpeechUnavailableError(
                f"The speech server {self.url} could not be reached: {error}.",
                "Start the server (or check --voice), or make a silent video with --voice none.",
            ) from error
        if response.status_code != 200:
            raise SpeechUnavailableError(
                f"The speech server {self.url} answered {response.status_code}: {response.text[:200]}",
                "Check the model and voice names of --voice and the server's API key.",
            )
        if not response.content:
            raise SpeechUnavailableError(f"The speech server {self.url} sent no audio.", "Check the server's logs.")
        with tempfile.TemporaryDirectory(prefix="tts-") as folder:
            raw = Path(folder) / "speech"
            raw.write_bytes(response.content)
            return _normalise(raw, target)


def speech_engine(voice: str | VoiceSpec) -> SpeechEngine | None:
    """The engine for a voice spec; None for 'none' (a silent video)."""
    spec = voice if isinstance(voice, VoiceSpec) else parse_voice_spec(voice)
    if spec.engine == "none":
        return None
    if spec.engine == "espeak":
        return EspeakEngine(spec)
    return OpenAISpeechEngine(spec)


def check_voice(voice: str, *, needed: bool = True) -> VoiceSpec:
    """The voice spec names something usable: checked before any work, like --llm and --engine.

    A server's reachability is not checked here: a server that is down gives a silent video with a
    note, not a failed run.
    """
    spec = parse_voice_spec(voice)
    if not needed:
        return spec
    if spec.engine == "espeak":
        EspeakEngine.executable()
    elif spec.engine == "openai" and spec.base_url is None and not os.environ.get("OPENAI_API_KEY"):
        raise SpeechUnavailableError(
            f"The voice '{voice}' needs an OpenAI API key and OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, or speak offline with --voice espeak.",
        )
    return spec
