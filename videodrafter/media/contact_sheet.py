"""A contact sheet: every scene's image in a grid with its number and event, as one PNG.

Scenes that had several candidates get a strip of them under the image, the chosen one framed."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from videodrafter.media.files import save_png_atomic
from videodrafter.media.fonts import font, wrap_text


CHOSEN = (255, 196, 0)
"""The frame around the chosen candidate."""


def contact_sheet(
    images: list[Path],
    captions: list[str],
    target: Path,
    *,
    columns: int = 3,
    thumb_width: int = 320,
    candidates: list[tuple[list[Path], int]] | None = None,
    continued: list[bool] | None = None,
) -> Path:
    """Lay scene images out in a grid with a caption strip under each.

    ``candidates``: per scene, every candidate image and the index of the chosen one; scenes with
    more than one get a row of small thumbnails, the chosen one framed in yellow. ``continued``: per
    scene, whether its shot carries on the one before (a badge on its picture, which is that shot's
    last frame).
    """
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    candidates = candidates or [([], 0)] * len(images)
    thumbs = []
    for path in images:
        with Image.open(path) as image:
            scale = thumb_width / image.width
            thumbs.append(image.convert("RGB").resize((thumb_width, max(1, round(image.height * scale))), Image.LANCZOS))
    # one strip height for every scene: the tallest strip (fewer candidates make larger thumbnails)
    strip_height = max(
        (_strip_height(thumb_width, len(paths), thumb.height / thumb_width) for thumb, (paths, _) in zip(thumbs, candidates, strict=True) if len(paths) > 1),
        default=0,
    )
    thumb_height = max(thumb.height for thumb in thumbs)
    caption_height = 58 + strip_height
    columns = max(1, min(columns, len(thumbs)))
    rows = math.ceil(len(thumbs) / columns)
    margin = 12
    sheet = Image.new(
        "RGB",
        (columns * (thumb_width + margin) + margin, rows * (thumb_height + caption_height + margin) + margin),
        (24, 24, 28),
    )
    draw = ImageDraw.Draw(sheet)
    face = font(14)
    for index, (thumb, caption) in enumerate(zip(thumbs, captions, strict=True)):
        column, row = index % columns, index // columns
        x = margin + column * (thumb_width + margin)
        y = margin + row * (thumb_height + caption_height + margin)
        sheet.paste(thumb, (x, y))
        if continued and continued[index]:
            _continuation_badge(draw, (x, y), face, index)
        paths, chosen = candidates[index]
        if len(paths) > 1:
            _candidate_strip(sheet, draw, paths, chosen, (x, y + thumb_height + 4), thumb_width, thumb.height / thumb_width)
        lines = wrap_text(draw, f"{index + 1}. {caption}", face, thumb_width - 8, 3)
        for line_number, line in enumerate(lines):
            draw.text((x + 4, y + thumb_height + strip_height + 4 + 17 * line_number), line, fill=(235, 235, 235), font=face)
    return save_png_atomic(sheet, target)


def _continuation_badge(draw: ImageDraw.ImageDraw, origin: tuple[int, int], face, index: int) -> None:
    """A yellow tab on a continued shot's picture: it is where shot ``index`` (1-based: index) ended."""
    label = f"continues shot {index}"
    left, top, right, bottom = draw.textbbox((0, 0), label, font=face)
    x, y = origin
    draw.rectangle([x, y, x + right - left + 12, y + bottom - top + 10], fill=(250, 204, 21))
    draw.text((x + 6 - left, y + 5 - top), label, fill=(24, 24, 28), font=face)


def _candidate_side(width: int, count: int) -> int:
    """The width of one candidate's cell in the strip (frame included)."""
    return min(width // max(count, 4), 80)


def _candidate_height(width: int, count: int, aspect: float) -> int:
    """A candidate thumbnail's height: its cell's width less the frame, at the scene image's aspect."""
    return max(1, round((_candidate_side(width, count) - 6) * aspect))


def _strip_height(width: int, count: int, aspect: float) -> int:
    return _candidate_height(width, count, aspect) + 10  # the frame (3 + 3) and the gap above the caption


def _candidate_strip(sheet: Image.Image, draw: ImageDraw.ImageDraw, paths: list[Path], chosen: int, origin: tuple[int, int], width: int, aspect: float) -> None:
    """Small thumbnails of every candidate; the chosen one gets a thick yellow frame."""
    side = _candidate_side(width, len(paths))
    height = _candidate_height(width, len(paths), aspect)
    x0, y0 = origin
    for number, path in enumerate(paths):
        with Image.open(path) as image:
            thumb = image.convert("RGB").resize((side - 6, height), Image.LANCZOS)
        x = x0 + number * side
        sheet.paste(thumb, (x + 3, y0 + 3))
        if number == chosen:
            draw.rectangle((x, y0, x + side - 1, y0 + height + 5), outline=CHOSEN, width=3)
