"""Pictograms as pixels: render a glyph of the colour font, tint it, stand it on a coloured base.

Everything here is a pure function of its arguments, so an entity is drawn the same way in
every scene and every run.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from videodrafter.animatic.pictogram_catalog import Pictogram, font_path

Color = tuple[int, int, int]

BACKDROP: Color = (238, 238, 236)
"""The light plain backdrop of foreground references, which U²-Net separates well."""

_RENDER_SIZE = 256
"""Glyphs are drawn once at this font size and resized: COLRv0 outlines are vector, so it stays crisp."""


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


@lru_cache(maxsize=256)
def _glyph(text: str) -> Image.Image:
    face = _font(_RENDER_SIZE)
    left, top, right, bottom = face.getbbox(text)
    canvas = Image.new("RGBA", (right - left + 8, bottom - top + 8), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((4 - left, 4 - top), text, font=face, embedded_color=True)
    box = canvas.getbbox()
    return canvas.crop(box) if box else canvas


def render_pictogram(pictogram: Pictogram, size: int, *, tint: Color | None = None, flip: bool = False) -> Image.Image:
    """The pictogram as RGBA, its longer side ``size`` pixels."""
    glyph = _glyph(pictogram.text)
    scale = size / max(glyph.size)
    image = glyph.resize((max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))), Image.Resampling.LANCZOS)
    if tint is not None:
        image = tint_pictogram(image, tint)
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if flip else image


_SKIN_HUE = (40 / 360, 62 / 360)
"""OpenMoji's default skin yellow (#FCEA2B) and its shades: a person's face keeps its colour."""


def tint_pictogram(image: Image.Image, color: Color) -> Image.Image:
    """Recolour the pictogram's main colour region (fur, body, clothes), keeping outlines, whites and shading.

    The region is the largest group of similarly-hued pixels (or of greys, for a robot); the
    black outlines, white patches and, on people, the skin stay as the artist drew them.
    """
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.float32) / 255
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    paintable = (alpha > 0.5) & (value > 0.22) & ~((saturation < 0.12) & (value > 0.93))
    skin = (hue >= _SKIN_HUE[0]) & (hue <= _SKIN_HUE[1]) & (saturation > 0.5) & (value > 0.85)
    grey = saturation < 0.15
    labels = np.where(grey, 12, np.floor(hue * 12).astype(np.int32) % 12)
    counts = np.bincount(labels[paintable & ~skin].ravel(), minlength=13)
    if counts.sum() == 0:
        counts = np.bincount(labels[paintable].ravel(), minlength=13)
        if counts.sum() == 0:
            return image
        skin = np.zeros_like(skin)
    main = int(np.argmax(counts))
    region = paintable & ~skin & (labels == main)
    if main < 12:  # a hue band of 30 degrees is cut arbitrarily: take its neighbours' pixels near the peak too
        neighbours = (labels == (main + 1) % 12) | (labels == (main - 1) % 12)
        region |= paintable & ~skin & ~grey & neighbours
    target = np.asarray(color, dtype=np.float32) / 255
    # keep the artist's shading: each pixel's brightness relative to the region's mean scales the new colour
    shade = value[region] / max(float(value[region].mean()), 1e-3) if region.any() else np.ones(0)
    painted = np.clip(target[None, :] * shade[:, None] + 0.08 * (shade[:, None] - 1), 0, 1)
    out = rgb.copy()
    # a little of the artist's colour stays, so a "red fox" is a red-orange fox rather than a crimson one
    out[region] = 0.75 * painted + 0.25 * rgb[region]
    if float(np.asarray(color).mean()) < 60:
        # a black tint would swallow the black outlines: keep a little of the old lightness so shapes read
        out[region] = np.clip(painted + 0.18 * value[region][:, None], 0, 1)
    result = np.concatenate([out, alpha[..., None]], axis=-1)
    return Image.fromarray((result * 255).round().astype(np.uint8), mode="RGBA")


def badge_color(index: int) -> tuple[str, Color]:
    """Well-separated base colours, so two entities of the same kind are told apart at a glance."""
    return BADGES[index % len(BADGES)]


BADGES: list[tuple[str, Color]] = [
    ("red", (214, 69, 65)), ("blue", (52, 120, 220)), ("green", (60, 170, 90)), ("purple", (150, 90, 200)),
    ("orange", (240, 150, 40)), ("teal", (30, 160, 160)), ("pink", (230, 110, 170)), ("brown", (140, 95, 55)),
]


def pictogram_figure(
    pictogram: Pictogram, *, tint: Color | None, badge: Color, flip: bool, size: int = 384
) -> Image.Image:
    """A foreground reference: the pictogram standing on a coloured base, on the light plain backdrop."""
    image = Image.new("RGB", (size, size), BACKDROP)
    glyph = render_pictogram(pictogram, int(size * 0.74), tint=tint, flip=flip)
    base_y = int(size * 0.9)
    draw = ImageDraw.Draw(image)
    half = int(size * 0.3)
    outline = tuple(max(0, int(c * 0.55)) for c in badge)
    draw.ellipse([size // 2 - half, base_y - int(size * 0.06), size // 2 + half, base_y + int(size * 0.06)], fill=badge, outline=outline, width=3)
    position = ((size - glyph.width) // 2, base_y - glyph.height)
    # a sticker edge (white margin, dark rim) closes the silhouette, so U²-Net's mask of it has one
    # closed outline and the hole filling keeps pale parts (a white chest, a light shirt) inside it
    alpha = Image.new("L", image.size, 0)
    alpha.paste(glyph.getchannel("A"), position)
    margin = alpha.filter(ImageFilter.MaxFilter(_odd(size * 0.03)))
    rim = margin.filter(ImageFilter.MaxFilter(_odd(size * 0.012)))
    image.paste((70, 70, 74), (0, 0), rim)
    image.paste((255, 255, 255), (0, 0), margin)
    image.paste(glyph, position, glyph)
    return image


def _odd(value: float) -> int:
    return max(3, int(value) // 2 * 2 + 1)


def paste_pictogram(canvas: Image.Image, pictogram: Pictogram, centre_x: float, bottom_y: float, size: int, *, flip: bool = False) -> None:
    """Stand a pictogram on a point of a backdrop (its bottom centre at ``(centre_x, bottom_y)``)."""
    glyph = render_pictogram(pictogram, size, flip=flip)
    canvas.paste(glyph, (round(centre_x - glyph.width / 2), round(bottom_y - glyph.height)), glyph)


class Placement(str, Enum):
    """Where a scenery pictogram goes on a backdrop."""

    SKY_ONE = "sky_one"  # one large thing in the sky: the sun, the moon
    SKY_FEW = "sky_few"  # a few clouds, lightning bolts
    SKY_MANY = "sky_many"  # snowflakes, stars, everywhere
    HORIZON = "horizon"  # a row along the horizon: trees, buildings, mountains
    GROUND = "ground"  # a few on the ground at the edges: a beach umbrella, shells, rocks
    WATER = "water"  # on the water band: waves, boats
    INDOOR = "indoor"  # on a counter or shelf: pans, pots, plants


def decorate_place(
    image: Image.Image,
    decorations: list[tuple[Pictogram, Placement]],
    rng: np.random.Generator,
    horizon: float,
    *,
    skyline_drawn: bool = False,
) -> Image.Image:
    """Scatter scenery pictograms over a drawn place, back to front, leaving the middle of the ground clear.

    Characters are composited onto the lower middle of the frame, so the sky and horizon carry the scenery.
    ``skyline_drawn``: the place already has a row of drawn buildings, so no pictogram row goes over it.
    """
    canvas = image.convert("RGB")
    horizon_y = canvas.size[1] * horizon
    unit = canvas.size[1] / 360
    placed = {placement: [p for p, where in decorations if where is placement] for placement in Placement}
    # every step draws from ``rng`` in turn, so the order is part of the picture
    _paste_sky(canvas, placed, rng, horizon_y, unit)
    _paste_horizon(canvas, placed[Placement.HORIZON], rng, horizon_y, unit, skyline_drawn=skyline_drawn)
    _paste_ground(canvas, placed[Placement.GROUND], rng, unit)
    _paste_water(canvas, placed[Placement.WATER], rng, horizon_y, unit)
    _paste_indoor(canvas, placed[Placement.INDOOR], rng, horizon_y, unit)
    return canvas


def _paste_sky(
    canvas: Image.Image, placed: dict[Placement, list[Pictogram]], rng: np.random.Generator, horizon_y: float, unit: float
) -> None:
    """One large thing to a side, a few across the sky, many scattered everywhere."""
    width, height = canvas.size
    for pictogram in placed[Placement.SKY_ONE][:1]:
        x = width * rng.choice([0.18, 0.82]) + rng.uniform(-20, 20) * unit
        paste_pictogram(canvas, pictogram, x, horizon_y * 0.55, int(80 * unit))
    for pictogram in placed[Placement.SKY_FEW]:
        for index in range(3):
            x = width * (0.15 + 0.35 * index) + rng.uniform(-25, 25) * unit
            paste_pictogram(canvas, pictogram, x, horizon_y * rng.uniform(0.4, 0.62), int(rng.uniform(64, 84) * unit))
    for pictogram in placed[Placement.SKY_MANY]:
        for _ in range(26):
            x, y = rng.uniform(0, width), rng.uniform(0.08, 1.0) * height
            paste_pictogram(canvas, pictogram, x, y, int(rng.uniform(10, 22) * unit))


def _paste_horizon(
    canvas: Image.Image, pictograms: list[Pictogram], rng: np.random.Generator, horizon_y: float, unit: float, *, skyline_drawn: bool
) -> None:
    """A far ridge of mountains, a row of the rest along the horizon, and a nearer one at each edge."""
    width, height = canvas.size
    ridge = [p for p in pictograms if "mountain" in p.name or p.name == "volcano"]
    row = [p for p in pictograms if p not in ridge] or ridge
    for pictogram in ridge:  # far away, so large and behind everything else
        x = rng.uniform(-40, 20) * unit
        while x < width + 40 * unit:
            size = int(rng.uniform(90, 130) * unit)
            paste_pictogram(canvas, pictogram, x, horizon_y + 4 * unit, size)
            x += size * rng.uniform(0.7, 1.1)
    if row and not skyline_drawn:
        x = rng.uniform(-10, 20) * unit
        while x < width + 20 * unit:
            size = int(rng.uniform(42, 60) * unit)
            pictogram = row[int(rng.integers(len(row)))]
            paste_pictogram(canvas, pictogram, x, horizon_y + rng.uniform(2, 10) * unit, size, flip=bool(rng.random() < 0.5))
            x += size * rng.uniform(0.55, 0.85)
    if row:
        for index, side in enumerate((0.06, 0.94)):  # a nearer one at each edge frames the middle
            pictogram = row[index % len(row)]
            paste_pictogram(canvas, pictogram, width * side + rng.uniform(-15, 15) * unit, height * 0.98, int(rng.uniform(100, 125) * unit))


def _paste_ground(canvas: Image.Image, pictograms: list[Pictogram], rng: np.random.Generator, unit: float) -> None:
    """Two large ones at the edges and a small one further back; the middle stays free for the characters."""
    width, height = canvas.size
    for index, side in enumerate((0.08, 0.9, 0.22) if pictograms else ()):
        pictogram = pictograms[index % len(pictograms)]
        size = int((rng.uniform(90, 110) if index < 2 else rng.uniform(40, 50)) * unit)
        paste_pictogram(canvas, pictogram, width * side, height * (0.97 if index < 2 else 0.8), size, flip=index == 1)


def _paste_water(canvas: Image.Image, pictograms: list[Pictogram], rng: np.random.Generator, horizon_y: float, unit: float) -> None:
    """A row of each along the water band at the horizon."""
    width = canvas.size[0]
    for pictogram in pictograms:
        x = rng.uniform(-10, 10) * unit
        while x < width + 20 * unit:
            size = int(rng.uniform(30, 40) * unit)
            paste_pictogram(canvas, pictogram, x, horizon_y + rng.uniform(-4, 14) * unit, size)
            x += size * rng.uniform(0.9, 1.3)


def _paste_indoor(canvas: Image.Image, pictograms: list[Pictogram], rng: np.random.Generator, horizon_y: float, unit: float) -> None:
    """Counters at the sides with the pictograms on them; the floor between stays free."""
    if not pictograms:
        return
    width, height = canvas.size
    counter_top = horizon_y + 6 * unit
    draw = ImageDraw.Draw(canvas)
    for x0, x1 in ((0, width * 0.24), (width * 0.76, width)):
        draw.rectangle([x0, counter_top, x1, height], fill=(176, 132, 92), outline=(110, 80, 55), width=max(2, int(3 * unit)))
        draw.rectangle([x0, counter_top, x1, counter_top + 8 * unit], fill=(210, 200, 190))
    slots = [0.06, 0.18, 0.82, 0.94]
    for index, side in enumerate(slots):
        pictogram = pictograms[index % len(pictograms)]
        paste_pictogram(canvas, pictogram, width * side, counter_top + 2 * unit, int(rng.uniform(40, 50) * unit))
