"""Placing segmented foreground references into a frame according to a scene layout."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from videodrafter.engines.base import ForegroundCutout, SceneLayout


def compose_foreground(canvas: Image.Image, cutouts: list[ForegroundCutout], layout: SceneLayout, *, shadow: bool = True) -> Image.Image:
    """Paste each cutout, scaled to fit its layout box and standing on the box's bottom edge."""
    canvas = canvas.convert("RGB").copy()
    width, height = canvas.size
    for cutout in cutouts:
        box = layout.boxes.get(cutout.entity_id)
        if box is None:
            continue
        x0, y0, x1, y1 = box.pixels(width, height)
        figure = cutout.image.convert("RGBA")
        bbox = figure.getchannel("A").point(lambda value: 255 if value > 40 else 0).getbbox()
        if bbox:
            figure = figure.crop(bbox)
        scale = min((x1 - x0) / figure.width, (y1 - y0) / figure.height)
        figure = figure.resize((max(1, round(figure.width * scale)), max(1, round(figure.height * scale))), Image.LANCZOS)
        left = x0 + ((x1 - x0) - figure.width) // 2
        top = y1 - figure.height
        if shadow:
            shade = Image.new("L", canvas.size, 0)
            ImageDraw.Draw(shade).ellipse(
                [left + figure.width * 0.1, y1 - max(2, height // 36), left + figure.width * 0.9, y1 + max(2, height // 45)],
                fill=110,
            )
            canvas.paste((0, 0, 0), mask=shade.filter(ImageFilter.GaussianBlur(max(1, height // 72))))
        canvas.paste(figure, (left, top), mask=figure.getchannel("A"))
    return canvas


def foreground_mask(layout: SceneLayout, width: int, height: int) -> Image.Image:
    """White where any foreground entity stands (the fg IP-Adapter's region)."""
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for box in layout.boxes.values():
        draw.rectangle(box.pixels(width, height), fill=255)
    return mask


def invert(mask: Image.Image) -> Image.Image:
    return Image.fromarray(255 - np.asarray(mask, dtype=np.uint8), mode="L")
