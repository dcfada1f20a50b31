"""Per-scene speech artifacts, named by the hash of (text, voice, engine): a resumed or edited run
speaks only the lines that changed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from videodrafter.advisory import AdvisoryStep
from videodrafter.audio.engines import SpeechEngine, SpeechUnavailableError, speech_engine, wav_duration
from videodrafter.audio.spec import VoiceSpec, parse_voice_spec
from videodrafter.media.files import content_hash, is_complete
from videodrafter.script import VideoScript

AUDIO_DIR = "audio"


class NarrationAudio(BaseModel):
    """One scene's spoken narration."""

    scene: int
    text: str
    key: str = Field(description="Hash of the text, the voice and the engine.")
    path: Path
    duration_s: float


def narration_key(text: str, engine: SpeechEngine) -> str:
    return content_hash("narration-v1", text, str(engine.spec), engine.describe())


def narration_path(run_dir: Path, key: str) -> Path:
    return run_dir / AUDIO_DIR / f"narration-{key}.wav"


def _slots(script: VideoScript, voice: str | VoiceSpec) -> tuple[SpeechEngine | None, list[tuple[int, str, str] | None]]:
    engine = speech_engine(voice)
    if engine is None:
        return None, [None] * len(script.scenes)
    slots: list[tuple[int, str, str] | None] = []
    for index, scene in enumerate(script.scenes):
        text = scene.spoken_line
        if not re.search(r"\w", text):
            slots.append(None)
            continue
        slots.append((index, text, narration_key(text, engine)))
    return engine, slots


def find_narration(script: VideoScript, voice: str | VoiceSpec, run_dir: Path) -> list[NarrationAudio | None]:
    """Each scene's speech already on disk (None: silent, or not spoken)."""
    _, slots = _slots(script, voice)
    found: list[NarrationAudio | None] = []
    for slot in slots:
        if slot is None:
            found.append(None)
            continue
        index, text, key = slot
        path = narration_path(run_dir, key)
        found.append(NarrationAudio(scene=index, text=text, key=key, path=path, duration_s=wav_duration(path)) if is_complete(path) else None)
    return found


def speak_scenes(
    script: VideoScript, voice: str | VoiceSpec, run_dir: Path, *, on_scene: Callable[[int, int], None] | None = None
) -> tuple[list[NarrationAudio | None], list[str], int]:
    """(speech per scene, notes, lines spoken now). Lines already on disk are reused.

    An engine that cannot speak (server down, not installed) leaves the remaining scenes silent
    with a note: the video is still made.
    """
    engine, slots = _slots(script, voice)
    speech = speech_step()
    spoken: list[NarrationAudio | None] = []
    made = 0
    for slot in slots:
        if slot is None or engine is None:
            spoken.append(None)
            continue
        index, text, key = slot
        path = narration_path(run_dir, key)
        if not is_complete(path):
            if speech.down:
                spoken.append(None)
                continue
            if on_scene is not None:
                on_scene(index, len(slots))
            if speech.attempt(lambda: engine.synthesize(text, path)) is None:
                spoken.append(None)
                continue
            made += 1
        spoken.append(NarrationAudio(scene=index, text=text, key=key, path=path, duration_s=wav_duration(path)))
    return spoken, speech.notes, made


def speech_step() -> AdvisoryStep:
    """Speech advises: a voice that cannot speak leaves the rest of the scenes silent, with a note."""
    return AdvisoryStep("the narration was not spoken", "scenes without speech are silent", errors=(SpeechUnavailableError,))


def voice_label(voice: str) -> str:
    return str(parse_voice_spec(voice))
