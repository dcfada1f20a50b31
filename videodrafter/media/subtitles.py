"""SRT subtitles: one cue per scene, timed to the assembled video; and the same cues burned into its frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pydantic import BaseModel, Field

from videodrafter.media.files import write_text_atomic
from videodrafter.media.fonts import font, wrap_text


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


class SubtitleStyle(BaseModel):
    """How subtitles are burned into the picture (Settings.subtitle_*)."""

    burn: bool = True
    position: str = Field(default="bottom", description="'bottom' or 'top'.")
    size: float = Field(default=5.0, description="Text height, percent of the frame height.")
    box: bool = Field(default=True, description="A dark box behind the text; off: outlined text.")


def caption_overlay(text: str, width: int, height: int, style: SubtitleStyle) -> Image.Image | None:
    """An RGBA layer with ``text`` wrapped (at most two lines) at the style's place; None for no text."""
    if not text.strip() or not style.burn:
        return None
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    size = max(6, round(height * style.size / 100))
    face = font(size)
    line_height, padding = round(size * 1.3), max(2, size // 2)
    lines = wrap_text(draw, " ".join(text.split()), face, width - 4 * padding, 2)
    band = line_height * len(lines) + 2 * padding
    top = 0 if style.position == "top" else height - band
    if style.box:
        draw.rectangle([0, top, width, top + band], fill=(0, 0, 0, 150))
    outline = {} if style.box else {"stroke_width": max(1, size // 12), "stroke_fill": (0, 0, 0, 255)}
    for number, line in enumerate(lines):
        draw.text((2 * padding, top + padding + number * line_height), line, fill=(255, 255, 255, 255), font=face, **outline)
    return overlay


def burn_cues(frames: Iterable[np.ndarray], cues: list[Cue], fps: float, style: SubtitleStyle) -> Iterator[np.ndarray]:
    """The frames with the cue shown at each frame's middle instant drawn over them (as the SRT times it)."""
    overlays: dict[str, Image.Image | None] = {}
    for index, frame in enumerate(frames):
        moment = (index + 0.5) / fps
        text = next((cue.text for cue in cues if cue.start_s <= moment < cue.end_s), "")
        if text not in overlays:
            overlays[text] = caption_overlay(text, frame.shape[1], frame.shape[0], style)
        overlay = overlays[text]
        if overlay is None:
            yield frame
            continue
        composed = Image.fromarray(frame, mode="RGB").convert("RGBA")
        composed.alpha_composite(overlay)
        yield np.asarray(composed.convert("RGB"), dtype=np.uint8)
