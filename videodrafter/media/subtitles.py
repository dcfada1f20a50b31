"""SRT subtitles: one cue per scene, timed to the assembled video."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from videodrafter.media.files import write_text_atomic


class Cue(BaseModel):
    start_s: float
    end_s: float
    text: str


def srt_timestamp(seconds: float) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, remainder = divmod(milliseconds, 3_600_000)
    minutes, remainder = divmod(remainder, 60_000)
    secs, millis = divmod(remainder, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def render_srt(cues: list[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cues, start=1):
        text = " ".join(cue.text.split())
        blocks.append(f"{number}\n{srt_timestamp(cue.start_s)} --> {srt_timestamp(cue.end_s)}\n{text}\n")
    return "\n".join(blocks)


def write_srt(cues: list[Cue], target: Path) -> Path:
    return write_text_atomic(target, render_srt(cues))
