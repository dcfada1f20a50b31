"""A contact sheet: every scene's image in a grid with its number and event, as one PNG."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from videodrafter.media.files import save_png_atomic
from videodrafter.media.fonts import font, wrap_text


def contact_sheet(images: list[Path], captions: list[str], target: Path, *, columns: int = 3, thumb_width: int = 320) -> Path:
    """Lay scene images out in a grid with a caption strip under each."""
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    thumbs = []
    for path in images:
        with Image.open(path) as image:
            scale = thumb_width / image.width
            thumbs.append(image.convert("RGB").resize((thumb_width, max(1, round(image.height * scale))), Image.LANCZOS))
    thumb_height = max(thumb.height for thumb in thumbs)
    caption_height = 58
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
        lines = wrap_text(draw, f"{index + 1}. {caption}", face, thumb_width - 8, 3)
        for line_number, line in enumerate(lines):
            draw.text((x + 4, y + thumb_height + 4 + 17 * line_number), line, fill=(235, 235, 235), font=face)
    return save_png_atomic(sheet, target)
