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
) -> Path:
    """Lay scene images out in a grid with a caption strip under each.

    ``candidates``: per scene, every candidate image and the index of the chosen one; scenes with
    more than one get a row of small thumbnails, the chosen one framed in yellow.
    """
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    candidates = candidates or [([], 0)] * len(images)
    strip_height = _strip_height(thumb_width, max(len(paths) for paths, _ in candidates)) if any(len(p) > 1 for p, _ in candidates) else 0
    thumbs = []
    for path in images:
        with Image.open(path) as image:
            scale = thumb_width / image.width
            thumbs.append(image.convert("RGB").resize((thumb_width, max(1, round(image.height * scale))), Image.LANCZOS))
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
        paths, chosen = candidates[index]
        if len(paths) > 1:
            _candidate_strip(sheet, draw, paths, chosen, (x, y + thumb_height + 4), thumb_width)
        lines = wrap_text(draw, f"{index + 1}. {caption}", face, thumb_width - 8, 3)
        for line_number, line in enumerate(lines):
            draw.text((x + 4, y + thumb_height + strip_height + 4 + 17 * line_number), line, fill=(235, 235, 235), font=face)
    return save_png_atomic(sheet, target)


def _strip_height(thumb_width: int, count: int) -> int:
    return max(24, min(thumb_width // max(count, 4), 80) * 9 // 16 + 10)


def _candidate_strip(sheet: Image.Image, draw: ImageDraw.ImageDraw, paths: list[Path], chosen: int, origin: tuple[int, int], width: int) -> None:
    """Small thumbnails of every candidate; the chosen one gets a thick yellow frame."""
    side = min(width // max(len(paths), 4), 80)
    height = side * 9 // 16
    x0, y0 = origin
    for number, path in enumerate(paths):
        with Image.open(path) as image:
            thumb = image.convert("RGB").resize((side - 6, height), Image.LANCZOS)
        x = x0 + number * side
        sheet.paste(thumb, (x + 3, y0 + 3))
        if number == chosen:
            draw.rectangle((x, y0, x + side - 1, y0 + height + 5), outline=CHOSEN, width=3)
