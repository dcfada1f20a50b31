"""The animatic engine: the same entity looks the same everywhere; camera math shows in the frames."""

from __future__ import annotations

import numpy as np
import pytest

from videodrafter.animatic.engine import AnimaticEngine
from videodrafter.engines.base import EntityPicture, ForegroundCutout, plan_layout
from videodrafter.engines.camera import estimate_shift
from videodrafter.engines.segmentation import cut_out_foreground, saliency_mask
from videodrafter.script import CameraMove, EntityKind

DOG = EntityPicture(id="dog", name="golden retriever", kind=EntityKind.FOREGROUND, description="a golden dog")
BEACH = EntityPicture(id="beach", name="sunny beach", kind=EntityKind.BACKGROUND, description="sand and waves")


@pytest.fixture(scope="module")
def engine() -> AnimaticEngine:
    return AnimaticEngine(320, 180, fps=10)


def test_references_are_a_function_of_the_entity(engine: AnimaticEngine) -> None:
    first = np.asarray(engine.reference_image(DOG, seed=1))
    again = np.asarray(engine.reference_image(DOG, seed=99))
    brown = np.asarray(engine.reference_image(DOG.model_copy(update={"description": "a brown dog"}), seed=1))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, brown)
    assert engine.reference_image(BEACH, seed=0).size == (320, 180)


def test_an_entity_looks_the_same_in_two_scenes(engine: AnimaticEngine) -> None:
    from videodrafter.consistency.appearance import AppearanceEmbedder, cosine

    reference = engine.reference_image(DOG, seed=0)
    cutout = cut_out_foreground(reference, saliency_mask(reference).mask)
    background = engine.reference_image(BEACH, seed=0)
    embed = AppearanceEmbedder().embed
    crops = []
    for others in ([], ["cat"]):
        layout = plan_layout(["dog", *others])
        image = engine.scene_image("x", [ForegroundCutout(entity_id="dog", image=cutout)], background, layout, seed=0)
        crops.append(image.crop(layout.boxes["dog"].pixels(*image.size)))
    other_dog = engine.reference_image(DOG.model_copy(update={"id": "dog2", "description": "a black dog"}), seed=0)
    assert cosine(embed(crops[0]), embed(crops[1])) > 0.9
    assert cosine(embed(cutout), embed(crops[0])) > cosine(embed(other_dog), embed(crops[0]))


@pytest.mark.parametrize(("direction", "sign_x", "sign_y"), [("left", 1, 0), ("right", -1, 0), ("up", 0, 1), ("down", 0, -1)])
def test_clip_frames_follow_the_camera(engine: AnimaticEngine, direction: str, sign_x: int, sign_y: int) -> None:
    image = engine.reference_image(BEACH, seed=0)
    frames = engine.scene_clip(image, "waves roll", CameraMove(direction=direction, speed="medium"), 20, seed=0, caption="")
    assert len(frames) == 20 and frames[0].shape == (180, 320, 3)
    dx, dy = estimate_shift(frames[0], frames[-1])
    assert np.sign(round(dx / 8)) == sign_x and np.sign(round(dy / 8)) == sign_y
    expected = 0.2 * (320 if sign_x else 180)
    assert abs(abs(dx or dy) - expected) <= 3


def test_captions_are_burned_into_the_bottom_of_every_frame(engine: AnimaticEngine) -> None:
    image = engine.reference_image(BEACH, seed=0)
    plain = engine.scene_clip(image, "a", CameraMove(), 2, seed=0, caption="")
    captioned = engine.scene_clip(image, "a", CameraMove(), 2, seed=0, caption="1. The dog runs along the shore")
    assert np.array_equal(plain[0][:100], captioned[0][:100])
    assert captioned[0][-20:].mean() < plain[0][-20:].mean() - 30


def test_animals_without_a_colour_word_get_a_fur_colour() -> None:
    from videodrafter.animatic.art import COLOR_WORDS, FUR_COLORS, entity_colors

    fur = {COLOR_WORDS[name] for name in FUR_COLORS}
    for index in range(12):
        animal = EntityPicture(id=f"dog{index}", name="dog", kind=EntityKind.FOREGROUND, description="a playful dog")
        assert entity_colors(animal)[0] in fur
    assert entity_colors(EntityPicture(id="dog", name="dog", kind=EntityKind.FOREGROUND, description="a blue dog"))[0] == COLOR_WORDS["blue"]
