"""Loading user photos safely and small image helpers shared by engines."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from videodrafter.errors import InputError

ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}
"""What the README and the web page promise (a GIF may be animated, a TIFF many pages: convert them)."""
MAX_PHOTO_BYTES = 25 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
MIN_PHOTO_SIDE = 16


def load_user_photo(path: Path, *, max_bytes: int = MAX_PHOTO_BYTES, max_pixels: int = MAX_PHOTO_PIXELS) -> Image.Image:
    """Open a user-supplied reference photo as RGB, or say exactly why it cannot be used."""
    hint = "Use a PNG, JPEG or WebP photo of the entity, under 25 MB."
    if not path.exists():
        raise InputError(f"The reference photo '{path}' does not exist.", "Check the path and try again.")
    if not path.is_file():
        raise InputError(f"The reference photo '{path}' is not a file.", hint)
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"The reference photo '{path}' is empty (0 bytes).", hint)
    if size > max_bytes:
        raise InputError(
            f"The reference photo '{path}' is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit.",
            "Resize or re-encode the photo (e.g. a JPEG under 2000 px per side).",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                image_format = probe.format
                width, height = probe.size
                if image_format not in ACCEPTED_FORMATS:
                    raise InputError(f"The reference photo '{path}' is a {image_format} file; PNG, JPEG and WebP are taken.", f"Convert it (e.g. `ffmpeg -i {path.name} photo.png`). {hint}")
                if width * height > max_pixels:
                    raise InputError(
                        f"The reference photo '{path}' is {width}x{height} pixels, over the {max_pixels:,}-pixel limit.",
                        "Downscale the photo to at most a few thousand pixels per side.",
                    )
                probe.load()
                image = probe.convert("RGB")
    except InputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError(f"The reference photo '{path}' is not a readable image ({type(error).__name__}).", hint) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(f"The reference photo '{path}' is corrupt or truncated: {error}.", hint) from error
    if min(image.size) < MIN_PHOTO_SIDE:
        raise InputError(
            f"The reference photo '{path}' is only {image.size[0]}x{image.size[1]} pixels.",
            f"Use a photo at least {MIN_PHOTO_SIDE} pixels on each side (ideally 512 or more).",
        )
    return image


def fit_within(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale down (never up) so the image fits inside width x height, keeping its aspect."""
    scale = min(width / image.width, height / image.height, 1.0)
    if scale >= 1.0:
        return image
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale and centre-crop so the image fills exactly width x height."""
    scale = max(width / image.width, height / image.height)
    resized = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))), Image.LANCZOS)
    left = (resized.width - width) // 2
    top = (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


def to_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def from_array(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), mode="RGB")
