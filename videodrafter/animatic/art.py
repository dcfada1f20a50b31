"""Deterministic storyboard art: entity figures and places drawn from their descriptions.

The same entity id and description always give the same picture, so an entity looks the
same in every scene, and editing its description ("make the dog brown") changes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from videodrafter.colours import COLOR_WORDS, Color
from videodrafter.engines.base import EntityPicture

ANIMALS = {
    "dog", "puppy", "cat", "kitten", "horse", "cow", "fox", "wolf", "bear", "rabbit", "bunny", "lion", "tiger",
    "deer", "pig", "sheep", "goat", "retriever", "labrador", "poodle", "terrier", "corgi", "animal", "pony",
}
BIRDS = {"bird", "parrot", "owl", "eagle", "duck", "chicken", "robin", "seagull", "penguin", "dragon"}
PEOPLE = {
    "girl", "boy", "man", "woman", "grandmother", "grandfather", "grandma", "grandpa", "child", "kid", "person",
    "mother", "father", "mom", "dad", "friend", "chef", "teacher", "astronaut", "knight", "king", "queen",
    "princess", "prince", "wizard", "robot", "student", "baby", "lady", "gentleman", "farmer", "scientist", "pilot",
}
PLACES: list[tuple[set[str], dict[str, Color | str]]] = [
    ({"moon", "lunar"}, {"sky": (8, 10, 30), "horizon": (30, 30, 60), "ground": (150, 150, 155), "feature": "craters"}),
    ({"night", "stars", "midnight"}, {"sky": (15, 20, 55), "horizon": (45, 50, 100), "ground": (30, 35, 45), "feature": "stars"}),
    ({"space", "galaxy", "planet", "orbit"}, {"sky": (5, 5, 20), "horizon": (20, 15, 50), "ground": (70, 70, 80), "feature": "stars"}),
    ({"sunset", "dusk", "evening"}, {"sky": (250, 140, 80), "horizon": (250, 200, 120), "ground": (90, 70, 80), "feature": "clouds"}),
    ({"beach", "shore", "coast", "seaside"}, {"sky": (135, 200, 240), "horizon": (40, 120, 190), "ground": (235, 215, 160), "feature": "waves"}),
    ({"sea", "ocean", "lake", "river"}, {"sky": (140, 195, 235), "horizon": (50, 110, 180), "ground": (40, 100, 170), "feature": "waves"}),
    ({"forest", "woods", "jungle", "trees"}, {"sky": (170, 210, 200), "horizon": (60, 120, 70), "ground": (70, 110, 50), "feature": "trees"}),
    ({"park", "garden", "meadow", "field", "farm", "yard", "backyard"}, {"sky": (150, 205, 245), "horizon": (120, 180, 90), "ground": (100, 170, 70), "feature": "trees"}),
    ({"city", "street", "town", "downtown", "market"}, {"sky": (170, 190, 210), "horizon": (120, 120, 130), "ground": (90, 90, 95), "feature": "buildings"}),
    ({"snow", "winter", "mountain", "mountains", "ice"}, {"sky": (200, 220, 240), "horizon": (235, 240, 250), "ground": (245, 248, 252), "feature": "mountains"}),
    ({"desert", "dunes", "sand"}, {"sky": (240, 210, 160), "horizon": (230, 180, 110), "ground": (225, 185, 120), "feature": "dunes"}),
    ({"room", "kitchen", "house", "home", "bedroom", "living", "office", "classroom", "indoors", "cafe", "shop"}, {"sky": (225, 210, 185), "horizon": (200, 180, 150), "ground": (150, 110, 80), "feature": "windows"}),
]
DEFAULT_PLACE: dict[str, Color | str] = {"sky": (160, 200, 235), "horizon": (150, 190, 150), "ground": (120, 160, 100), "feature": "clouds"}
PLACE_MODIFIERS: list[tuple[set[str], dict[str, Color | str]]] = [
    ({"snowy", "snow", "winter", "frozen", "icy", "snowfall"}, {"sky": (195, 212, 232), "horizon": (225, 232, 245), "ground": (244, 247, 252)}),
    ({"storm", "stormy", "thunderstorm", "hurricane", "rainy", "rain"}, {"sky": (55, 60, 75), "horizon": (105, 110, 125), "cloud": (120, 125, 140)}),
    ({"night", "midnight", "nighttime", "dark"}, {"sky": (12, 16, 48), "horizon": (40, 45, 95), "night": "yes"}),
    ({"sunset", "dusk", "evening"}, {"sky": (250, 140, 80), "horizon": (250, 200, 120)}),
]
"""Words that change a place's light or weather whatever the place is ("snowy forest", "city at night")."""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def stable_hash(*parts: str) -> int:
    """A hash that is the same in every process (Python's ``hash`` of a str is salted per process)."""
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "little")


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(stable_hash(*parts))


FUR_COLORS = ["brown", "tan", "golden", "grey", "black", "cream", "ginger", "chocolate", "white"]
"""Animals without a colour word get a colour animals have (no blue dogs)."""


def entity_colors(entity: EntityPicture) -> tuple[Color, Color]:
    """Main and accent colours: colour words in the name first, then the description, else from the id."""
    found = [COLOR_WORDS[word] for word in _words(f"{entity.name} {entity.description}") if word in COLOR_WORDS]
    rng = _rng("colors", entity.id)
    if found:
        main = found[0]
    elif figure_kind(entity) == "animal":
        main = COLOR_WORDS[FUR_COLORS[int(rng.integers(len(FUR_COLORS)))]]
    else:
        main = tuple(int(value) for value in rng.integers(40, 220, 3))
    accent = found[1] if len(found) > 1 and found[1] != main else tuple(max(0, int(value * 0.55)) for value in main)
    return main, accent  # type: ignore[return-value]


def figure_kind(entity: EntityPicture) -> str:
    words = set(_words(entity.name)) or set(_words(entity.description))
    for kind, vocabulary in (("animal", ANIMALS), ("bird", BIRDS), ("person", PEOPLE)):
        if words & vocabulary:
            return kind
    described = set(_words(entity.description)[:12])
    for kind, vocabulary in (("animal", ANIMALS), ("bird", BIRDS), ("person", PEOPLE)):
        if described & vocabulary:
            return kind
    return "object"


def draw_figure(entity: EntityPicture, size: int = 384) -> Image.Image:
    """The entity as a simple figure on the light backdrop U²-Net separates well."""
    image = Image.new("RGB", (size, size), (238, 238, 236))
    draw = ImageDraw.Draw(image)
    main, accent = entity_colors(entity)
    outline = tuple(max(0, value - 70) for value in accent)
    s = size / 384
    kind = figure_kind(entity)

    def ellipse(x0: float, y0: float, x1: float, y1: float, fill: Color) -> None:
        draw.ellipse([x0 * s, y0 * s, x1 * s, y1 * s], fill=fill, outline=outline, width=max(2, int(3 * s)))

    def rect(x0: float, y0: float, x1: float, y1: float, fill: Color, radius: float = 10) -> None:
        draw.rounded_rectangle([x0 * s, y0 * s, x1 * s, y1 * s], radius=radius * s, fill=fill, outline=outline, width=max(2, int(3 * s)))

    if kind == "animal":
        for leg_x in (115, 150, 225, 260):
            rect(leg_x, 230, leg_x + 24, 320, accent, 8)
        ellipse(90, 150, 290, 260, main)
        draw.line([280 * s, 180 * s, 335 * s, 130 * s], fill=accent, width=int(14 * s))
        ellipse(40, 95, 150, 195, main)
        ellipse(45, 80, 80, 140, accent)
        ellipse(70, 130, 86, 146, (20, 20, 20))
    elif kind == "bird":
        ellipse(110, 140, 290, 280, main)
        ellipse(200, 80, 290, 170, main)
        draw.polygon([(290 * s, 115 * s), (335 * s, 128 * s), (290 * s, 140 * s)], fill=(240, 170, 40))
        ellipse(140, 170, 240, 250, accent)
        ellipse(250, 105, 264, 119, (20, 20, 20))
    elif kind == "person":
        rect(150, 250, 182, 345, accent, 10)
        rect(202, 250, 234, 345, accent, 10)
        draw.polygon([(135 * s, 140 * s), (249 * s, 140 * s), (270 * s, 265 * s), (114 * s, 265 * s)], fill=main, outline=outline)
        rect(100, 145, 128, 250, main, 12)
        rect(256, 145, 284, 250, main, 12)
        ellipse(147, 45, 237, 135, (235, 200, 170))
        draw.chord([147 * s, 40 * s, 237 * s, 120 * s], 180, 360, fill=accent)
    else:
        rect(100, 110, 284, 320, main, 40)
        rect(140, 150, 244, 230, accent, 20)
    rng = _rng("marks", entity.id, entity.description)
    for _ in range(int(rng.integers(3, 7))):
        x, y = rng.uniform(130, 250), rng.uniform(170, 240)
        radius = rng.uniform(6, 12)
        if image.getpixel((int(x * s), int(y * s))) == main:
            draw.ellipse([(x - radius) * s, (y - radius) * s, (x + radius) * s, (y + radius) * s], fill=accent)
    return image


def place_style(entity: EntityPicture) -> dict[str, Color | str]:
    """The place's palette and feature from the nouns of its name (else its description), then its modifiers."""
    words = set(_words(f"{entity.name} {entity.description}"))
    name_words = set(_words(entity.name))
    style = DEFAULT_PLACE
    for candidates in (name_words - {"night", "midnight"}, name_words, words):
        found = next((place for vocabulary, place in PLACES if candidates & vocabulary), None)
        if found is not None:
            style = found
            break
    style = dict(style)
    for vocabulary, change in PLACE_MODIFIERS:
        if name_words & vocabulary:
            if "night" in change and style["feature"] not in ("buildings", "craters"):
                style["ground"] = tuple(int(v * 0.45) for v in style["ground"])  # type: ignore[union-attr]
            style.update({key: value for key, value in change.items() if key != "night"})
            if "night" in change and style["feature"] in ("clouds",):
                style["feature"] = "stars"
    return style


HORIZON = 0.55
"""Where sky meets ground, as a share of the frame height."""


def draw_place(entity: EntityPicture, width: int, height: int, *, skip_features: frozenset[str] = frozenset()) -> Image.Image:
    """A place: sky gradient, horizon band, ground, and seeded features (clouds, trees, buildings...).

    ``skip_features`` leaves out drawn features that pictograms replace (trees, mountains).
    """
    style = place_style(entity)
    sky, horizon, ground = (np.array(style[key], dtype=np.float32) for key in ("sky", "horizon", "ground"))
    horizon_y = int(height * HORIZON)
    image = _sky_and_ground(sky, horizon, ground, width, height, horizon_y)
    cloud: Color = style.get("cloud", (250, 250, 252))  # type: ignore[assignment]
    backdrop = _Backdrop(ImageDraw.Draw(image), width=width, height=height, horizon_y=horizon_y, horizon=horizon, ground=ground, cloud=cloud)
    rng = _rng("place", entity.id, entity.description)
    feature = str(style["feature"])
    painter = None if feature in skip_features else _FEATURE_PAINTERS.get(feature)
    if painter is not None:
        painter(backdrop, rng)
    return image.filter(ImageFilter.SMOOTH)


def _sky_and_ground(sky: np.ndarray, horizon: np.ndarray, ground: np.ndarray, width: int, height: int, horizon_y: int) -> Image.Image:
    """The sky fading into the horizon colour, over ground that lightens towards the viewer."""
    pixels = np.zeros((height, width, 3), dtype=np.float32)
    t = np.linspace(0, 1, horizon_y, dtype=np.float32)[:, None]
    pixels[:horizon_y] = (sky * (1 - t) + horizon * t)[:, None, :]
    g = np.linspace(0, 1, height - horizon_y, dtype=np.float32)[:, None]
    pixels[horizon_y:] = (ground * (0.85 + 0.15 * g))[:, None, :]
    return Image.fromarray(pixels.astype(np.uint8), mode="RGB")


@dataclass(frozen=True)
class _Backdrop:
    """A place's picture being drawn on, with the palette its features are shaded from."""

    draw: ImageDraw.ImageDraw
    width: int
    height: int
    horizon_y: int
    horizon: np.ndarray  # float32, as the gradient used it: features shade from the same values
    ground: np.ndarray
    cloud: Color


def _draw_stars(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    for _ in range(90):
        x, y = rng.uniform(0, backdrop.width), rng.uniform(0, backdrop.horizon_y)
        r = rng.uniform(0.8, 2.2)
        backdrop.draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 250, 220))


def _draw_craters(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    _draw_stars(backdrop, rng)
    width, height, horizon_y, ground = backdrop.width, backdrop.height, backdrop.horizon_y, backdrop.ground
    for _ in range(12):
        x, y = rng.uniform(0, width), rng.uniform(horizon_y + 10, height)
        w = rng.uniform(20, 70) * (0.5 + (y - horizon_y) / (height - horizon_y))
        backdrop.draw.ellipse([x - w, y - w * 0.3, x + w, y + w * 0.3], fill=tuple(int(v * 0.8) for v in ground), outline=tuple(int(v * 0.65) for v in ground), width=2)


def _draw_clouds(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    for _ in range(7):
        x, y = rng.uniform(0, backdrop.width), rng.uniform(backdrop.height * 0.05, backdrop.horizon_y * 0.6)
        w, h = rng.uniform(60, 150), rng.uniform(20, 40)
        backdrop.draw.ellipse([x, y, x + w, y + h], fill=backdrop.cloud)


def _draw_waves(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    _draw_clouds(backdrop, rng)
    width, height, horizon_y = backdrop.width, backdrop.height, backdrop.horizon_y
    band = tuple(int(v) for v in backdrop.horizon)
    backdrop.draw.rectangle([0, horizon_y - int(height * 0.08), width, horizon_y + int(height * 0.06)], fill=band)
    for _ in range(40):
        x, y = rng.uniform(0, width), rng.uniform(horizon_y - height * 0.07, horizon_y + height * 0.05)
        backdrop.draw.line([x, y, x + rng.uniform(10, 30), y], fill=(235, 245, 255), width=2)


def _draw_trees(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    for _ in range(14):
        x = rng.uniform(0, backdrop.width)
        top = backdrop.horizon_y - rng.uniform(40, 120)
        backdrop.draw.rectangle([x - 5, top + 40, x + 5, backdrop.horizon_y + 10], fill=(90, 60, 35))
        shade = tuple(int(v) for v in rng.integers(40, 110, 3) * np.array([0.6, 1.3, 0.6]))
        backdrop.draw.ellipse([x - 30, top, x + 30, top + 70], fill=shade)


def _draw_buildings(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    horizon_y = backdrop.horizon_y
    x = 0.0
    while x < backdrop.width:
        w = rng.uniform(40, 90)
        top = horizon_y - rng.uniform(60, 200)
        shade = int(rng.integers(90, 170))
        backdrop.draw.rectangle([x, top, x + w, horizon_y + 5], fill=(shade, shade, shade + 10))
        for wy in np.arange(top + 10, horizon_y - 10, 22):
            for wx in np.arange(x + 8, x + w - 12, 18):
                if rng.random() < 0.6:
                    backdrop.draw.rectangle([wx, wy, wx + 8, wy + 10], fill=(250, 230, 150))
        x += w + rng.uniform(4, 14)


def _draw_mountains(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    horizon_y = backdrop.horizon_y
    for _ in range(5):
        x = rng.uniform(-50, backdrop.width)
        peak = horizon_y - rng.uniform(80, 180)
        w = rng.uniform(120, 260)
        backdrop.draw.polygon([(x, horizon_y), (x + w / 2, peak), (x + w, horizon_y)], fill=(150, 160, 180))
        backdrop.draw.polygon([(x + w * 0.38, peak + 30), (x + w / 2, peak), (x + w * 0.62, peak + 30)], fill=(250, 250, 255))


def _draw_dunes(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    for _ in range(6):
        x, w = rng.uniform(-80, backdrop.width), rng.uniform(150, 320)
        backdrop.draw.ellipse([x, backdrop.horizon_y - 40, x + w, backdrop.horizon_y + 60], fill=tuple(int(v * 0.93) for v in backdrop.ground))


def _draw_windows(backdrop: _Backdrop, rng: np.random.Generator) -> None:
    width, height = backdrop.width, backdrop.height
    for index in range(3):
        x = width * (0.12 + 0.3 * index) + rng.uniform(-15, 15)
        backdrop.draw.rectangle([x, height * 0.12, x + width * 0.16, height * 0.4], fill=(180, 215, 240), outline=(120, 90, 60), width=6)
    backdrop.draw.rectangle([0, backdrop.horizon_y - 4, width, backdrop.horizon_y + 4], fill=(120, 90, 60))


_FEATURE_PAINTERS: dict[str, Callable[[_Backdrop, np.random.Generator], None]] = {
    "stars": _draw_stars, "craters": _draw_craters, "clouds": _draw_clouds, "waves": _draw_waves, "trees": _draw_trees,
    "buildings": _draw_buildings, "mountains": _draw_mountains, "dunes": _draw_dunes, "windows": _draw_windows,
}
"""Each place feature of PLACES; a feature without a painter (or skipped) leaves the backdrop plain."""
