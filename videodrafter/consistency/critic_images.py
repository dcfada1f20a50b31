"""Pictures as OpenAI ``image_url`` content parts: data URIs, downscaled to a bounded size."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

NEUTRAL = (236, 236, 236)


def bounded(image: Image.Image, max_side: int) -> Image.Image:
    """RGB, no side longer than ``max_side``; transparent pixels (cutouts) on the references' grey."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, NEUTRAL)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    if max(flat.size) > max_side:
        scale = max_side / max(flat.size)
        flat = flat.resize((max(1, round(flat.width * scale)), max(1, round(flat.height * scale))), Image.LANCZOS)
    return flat


def data_uri(image: Image.Image | Path | np.ndarray, max_side: int) -> str:
    """A JPEG data URI (photographs and drawings alike stay small; vision servers all read JPEG)."""
    if isinstance(image, Path):
        with Image.open(image) as opened:
            picture = bounded(opened, max_side)
    elif isinstance(image, np.ndarray):
        picture = bounded(Image.fromarray(image), max_side)
    else:
        picture = bounded(image, max_side)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_part(image: Image.Image | Path | np.ndarray, max_side: int) -> dict:
    return {"type": "image_url", "image_url": {"url": data_uri(image, max_side)}}


def text_part(text: str) -> dict:
    return {"type": "text", "text": text}
