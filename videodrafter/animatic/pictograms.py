"""Choosing pictograms by meaning: an entity's words against the set's names, with MiniLM.

The entity's name dominates (a fox whose description mentions a forest stays a fox); for a
multi-word name its head noun counts almost as much ("snowy forest" → forest, "lighthouse
keeper" → keeper, a person). Colour words tint; an id-derived base colour tells two entities
of the same kind apart. Places get pictogram decorations placed where such things are.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from videodrafter.animatic.art import COLOR_WORDS, stable_hash
from videodrafter.engines.base import Depiction, EntityPicture, PictogramUse
from videodrafter.animatic.pictogram_art import Placement, badge_color
from videodrafter.animatic.pictogram_catalog import Pictogram, PictogramIndex, load_pictograms, pictogram_set_name
from videodrafter.errors import VideoDrafterError

MATCH_THRESHOLD = 0.55
"""Lowest combined similarity that counts as a picture of the entity. Measured on this catalog:
made-up or meaningless names score 0.42-0.54 ("zorblax" 0.43, "thing" 0.44, "Petite Petit
Petits" 0.54 as a fleur-de-lis) and nouns the set lacks land there too ("pirate" 0.51 as a
penguin), while the common nouns of tests/test_pictograms.py score 0.57 (seagull → bird) to 1.0.
Below it the description alone may still name the thing; else the engine draws its own figure."""

DESCRIPTION_THRESHOLD = 0.6
"""A description alone must say clearly what the entity is ("a tiny tiger who is a cat") to replace a name that matched nothing."""

DECORATION_THRESHOLD = 0.5
"""The same bar for a place's words against the scenery pictograms."""

DESCRIBED_DECORATION_THRESHOLD = 0.75
"""A word of a place's description adds scenery only when it names that thing ("oven", "pines", "waves")."""

SECOND_DECORATION_THRESHOLD = 0.65
"""A word's runner-up scenery must be clearly about the word as well."""

NAME_WEIGHT = 0.85
"""Share of the name in the score; the rest is the name with the start of its description."""

HEAD_WEIGHT = 0.97
"""The head noun alone may carry a multi-word name, slightly behind the whole name."""

DESCRIPTION_WORDS = 8

_STOPWORDS = {"a", "an", "the", "of", "at", "in", "on", "by", "with", "near", "under", "and", "to", "from", "for", "his", "her", "its", "their"}
_PREPOSITIONS = {"at", "of", "in", "on", "by", "with", "near", "under", "from", "for", "during", "inside", "outside"}
_TINT_WORDS = {word for word in COLOR_WORDS if word not in {"spotted", "tabby"}}


DECORATIONS: dict[str, Placement] = {
    **dict.fromkeys(["sun", "full_moon", "crescent_moon", "ringed_planet", "rainbow", "globe_showing_Europe-Africa"], Placement.SKY_ONE),
    **dict.fromkeys(["cloud", "cloud_with_rain", "cloud_with_lightning_and_rain", "cloud_with_lightning", "cloud_with_snow",
                     "high_voltage", "tornado", "comet", "shooting_star", "sun_behind_cloud"], Placement.SKY_FEW),
    **dict.fromkeys(["snowflake", "star", "glowing_star", "sparkles", "droplet"], Placement.SKY_MANY),
    **dict.fromkeys(["evergreen_tree", "deciduous_tree", "palm_tree", "leafless_tree", "cactus", "mountain",
                     "snow-capped_mountain", "volcano", "house", "houses", "derelict_house", "house_with_garden",
                     "office_building", "classical_building", "hospital", "school", "castle", "hut", "tent", "factory",
                     "church", "sunflower", "tulip", "herb", "seedling", "fountain", "ferris_wheel", "bank",
                     "convenience_store", "department_store", "stadium", "hotel", "post_office", "wood"], Placement.HORIZON),
    **dict.fromkeys(["umbrella_on_ground", "spiral_shell", "rock", "fallen_leaf", "mushroom", "snowman_without_snow"], Placement.GROUND),
    **dict.fromkeys(["water_wave", "sailboat", "ship", "canoe"], Placement.WATER),
    **dict.fromkeys(["cooking", "teapot", "potted_plant", "chair", "bed", "couch_and_lamp", "books", "framed_picture",
                     "window", "door", "mantelpiece_clock", "fork_and_knife_with_plate", "bread", "baguette_bread",
                     "hot_beverage", "desktop_computer", "shopping_cart", "bathtub", "toilet"], Placement.INDOOR),
}
"""Scenery pictograms a place may show, and where they go; never a person or an animal, so a
background stays free of characters."""


class PlaceDecoration(BaseModel):
    pictogram: Pictogram
    placement: Placement
    similarity: float


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def matching_name(name: str) -> str:
    """The name as matched: no colour words ("orange cat" → "cat"), numbers or articles."""
    words = [word for word in words_of(name) if word not in _TINT_WORDS and word not in {"a", "an", "the"}]
    return " ".join(words) or " ".join(words_of(name))


def head_noun(name: str) -> str:
    """The last word before any preposition: "storm at sea" → storm, "snowy forest" → forest."""
    words = matching_name(name).split()
    for index, word in enumerate(words):
        if word in _PREPOSITIONS and index > 0:
            words = words[:index]
            break
    return words[-1] if words else ""


_PARTS = frozenset(
    "paw paws eye eyes ear ears nose tail tails tip tips spot spots stripe stripes collar beak feet foot hoof hooves "
    "mane wing wings patch patches button buttons ribbon bow belt buckle trim lining sole soles whiskers".split()
)
"""Nouns for a part: 'black paws' or 'green eyes' say nothing of the whole animal's colour."""


def tint_word(entity: EntityPicture) -> str | None:
    """A colour word that describes the entity itself, else None.

    First a colour just before the entity's head noun ("a slim red fox"), then one among the
    description's first words (edits land there: "make the dog brown"), then the name ("orange
    cat"). A colour of a part is no colour of the whole: "a fox with black paws" or "with green
    eyes" stays fox-coloured.
    """
    words = words_of(entity.description)
    head = head_noun(entity.name)
    heads = [index for index, word in enumerate(words) if word in (head, head + "s", head + "es")]
    before_head = [word for index in heads[:1] for word in words[max(0, index - 3):index]]
    following = [*words[1:], ""]
    opening = [word for word, after in zip(words[:DESCRIPTION_WORDS], following, strict=False) if after not in _PARTS]
    for word in [*before_head, *opening, *words_of(entity.name)]:
        if word in _TINT_WORDS:
            return word
    return None


def badge_index(entity: EntityPicture) -> int:
    """A number in the id or name picks the base colour ("robot_2"); otherwise a hash of the id."""
    number = re.search(r"(\d+)\D*$", entity.id) or re.search(r"(\d+)", entity.name)
    if number:
        return int(number.group(1)) - 1
    return stable_hash("badge", entity.id) % 8


def flips(entity: EntityPicture) -> bool:
    return stable_hash("flip", entity.id) % 2 == 1


class PictogramChooser:
    """Picks pictograms for entities; owns the catalog index (loaded on first use)."""

    def __init__(self, cache_dir: Path) -> None:
        self.index = PictogramIndex(cache_dir)
        self._lock = threading.Lock()
        self._depictions: dict[str, Depiction] = {}
        self._decorations: dict[str, list[PlaceDecoration]] = {}

    def _scores(self, entity: EntityPicture) -> np.ndarray:
        from videodrafter.text_embedding import embed_texts

        name = matching_name(entity.name)
        head = head_noun(entity.name)
        description = " ".join(words_of(entity.description)[:DESCRIPTION_WORDS])
        queries = [name, head or name, f"{name}: {description}" if description else name]
        similarity = self.index.similarities(embed_texts(queries))
        name_part = np.maximum(similarity[0], HEAD_WEIGHT * similarity[1])
        return NAME_WEIGHT * name_part + (1 - NAME_WEIGHT) * similarity[2]

    def best_match(self, entity: EntityPicture) -> tuple[Pictogram, float]:
        scores = self._scores(entity)
        best = int(np.argmax(scores))
        if scores[best] < MATCH_THRESHOLD and entity.description:
            # a name that means nothing to the set ("Petite Petit Petits"): its description may say what it is
            from videodrafter.text_embedding import embed_texts

            described = self.index.similarities(embed_texts([" ".join(words_of(entity.description)[:DESCRIPTION_WORDS])]))[0]
            if described.max() >= DESCRIPTION_THRESHOLD:
                best = int(np.argmax(described))
                return load_pictograms()[best], float(described[best])
        return load_pictograms()[best], float(scores[best])

    def depict(self, entity: EntityPicture) -> Depiction:
        """The pictogram of a foreground entity, or a drawing when nothing is close enough."""
        key = entity.model_dump_json()
        with self._lock:
            if key in self._depictions:
                return self._depictions[key]
        tint = tint_word(entity)
        try:
            pictogram, similarity = self.best_match(entity)
        except (ImportError, VideoDrafterError) as error:
            # no sentence embedder in this install (it comes with the torch extras): draw, and say why
            return Depiction(source="drawing", tint=tint, note=f"pictograms need the sentence embedder: {error}")
        badge_name, _ = badge_color(badge_index(entity))
        if similarity >= MATCH_THRESHOLD:
            use = PictogramUse(set=pictogram_set_name(), name=pictogram.label, codepoint=pictogram.codepoint, similarity=round(similarity, 3))
            depiction = Depiction(source="pictogram", pictogram=use, tint=tint, badge=badge_name)
        else:
            depiction = Depiction(source="drawing", tint=tint)
        with self._lock:
            self._depictions[key] = depiction
        return depiction

    def pictogram(self, depiction: Depiction) -> Pictogram | None:
        if depiction.pictogram is None:
            return None
        return next((p for p in load_pictograms() if p.codepoint == depiction.pictogram.codepoint), None)

    def place_decorations(self, entity: EntityPicture, limit: int = 3) -> list[PlaceDecoration]:
        """Scenery for a place: the best scenery pictogram for each word of its name and for the whole name;
        free slots go to things its description names clearly ("a kitchen with an oven and a teapot")."""
        key = entity.model_dump_json()
        with self._lock:
            if key in self._decorations:
                return self._decorations[key]
        from videodrafter.text_embedding import embed_texts

        pictograms = load_pictograms()
        allowed = np.array([p.name in DECORATIONS for p in pictograms])
        words = [word for word in words_of(matching_name(entity.name)) if word not in _STOPWORDS]
        queries = [*dict.fromkeys(words), matching_name(entity.name)]
        described = [word for word in words_of(entity.description)[:DESCRIPTION_WORDS * 2] if word not in _STOPWORDS]
        described = [word for word in dict.fromkeys(described) if word not in queries]
        queries += described
        try:
            similarity = np.where(allowed[None, :], self.index.similarities(embed_texts(queries)), -1.0)
        except (ImportError, VideoDrafterError):
            return []  # no sentence embedder in this install: the drawn place alone
        chosen: list[PlaceDecoration] = []
        from_description: list[PlaceDecoration] = []
        for number, row in enumerate(similarity):
            if number >= len(queries) - len(described):
                best = int(np.argmax(row))
                if row[best] >= DESCRIBED_DECORATION_THRESHOLD:
                    pictogram = pictograms[best]
                    from_description.append(PlaceDecoration(pictogram=pictogram, placement=DECORATIONS[pictogram.name], similarity=round(float(row[best]), 3)))
                continue
            # a word's best scenery, and a runner-up of another kind when it is close too ("beach": waves, umbrella)
            best, *others = [int(index) for index in np.argsort(-row)[:4]]
            if row[best] < DECORATION_THRESHOLD:
                continue
            kind = DECORATIONS[pictograms[best].name]
            # a room holds several things of one kind; outdoors a second row of the same kind only clutters
            runners_up = [i for i in others if row[i] >= SECOND_DECORATION_THRESHOLD
                          and (kind is Placement.INDOOR or DECORATIONS[pictograms[i].name] is not kind)]
            taken = [best, *runners_up[:1]]
            for index in taken:
                pictogram = pictograms[index]
                if all(d.pictogram.name != pictogram.name for d in chosen):
                    chosen.append(PlaceDecoration(pictogram=pictogram, placement=DECORATIONS[pictogram.name], similarity=round(float(row[index]), 3)))
        chosen = sorted(chosen, key=lambda d: -d.similarity)[:limit]
        for decoration in sorted(from_description, key=lambda d: -d.similarity):
            if len(chosen) < limit and all(d.pictogram.name != decoration.pictogram.name for d in chosen):
                chosen.append(decoration)
        with self._lock:
            self._decorations[key] = chosen
        return chosen

    def depict_place(self, entity: EntityPicture) -> Depiction:
        decorations = [
            PictogramUse(set=pictogram_set_name(), name=d.pictogram.label, codepoint=d.pictogram.codepoint, similarity=d.similarity)
            for d in self.place_decorations(entity)
        ]
        return Depiction(source="backdrop", decorations=decorations)
