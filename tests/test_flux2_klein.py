"""The FLUX.2 [klein] image family on its tiny preset: the real Flux2KleinPipeline with random weights
(an offline Qwen tokenizer, a Qwen3 text encoder of four layers), references as pictures, a whole run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.consistency.learned_embedders import check_embedder_spec, effective_spec
from videodrafter.engines.base import EntityPicture, ForegroundCutout, plan_layout
from videodrafter.engines.diffusers_engine import EngineUnavailable
from videodrafter.engines.families.flux2_klein import reference_picture, text_encoder_out_layers
from videodrafter.engines.random_weights import qwen_tokenizer, random_flux2_klein_pipeline
from videodrafter.engines.registry import get_engine
from videodrafter.errors import InputError
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import start_run
from videodrafter.run_inputs import load_script_file
from videodrafter.script import EntityKind


@pytest.fixture(scope="module")
def engine():
    """The tiny-flux2 engine; its pipeline is built once for the module (a process resource)."""
    return get_engine(Settings(engine="tiny-flux2"))


def _cutout(colour: tuple[int, int, int], box: tuple[int, int, int, int] = (16, 8, 48, 56)) -> Image.Image:
    """An RGBA cutout: a coloured figure on transparency, as segmentation leaves a foreground reference."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), (*colour, 255)), box[:2])
    return image


def _place(seed: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def test_the_offline_tokenizer_encodes_text_and_the_tiny_pipeline_fits_it(engine) -> None:
    tokenizer = qwen_tokenizer()
    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "a small brown dog"}], tokenize=False, add_generation_prompt=True, enable_thinking=False,
    )
    ids = tokenizer(chat)["input_ids"]
    assert chat.startswith("<|im_start|>user\na small brown dog<|im_end|>") and chat.endswith("<think>\n\n</think>\n\n")
    assert len(ids) > 20 and len(set(ids)) > 10, "real ids, not an empty tokenizer"
    assert tokenizer.decode(ids, skip_special_tokens=True).startswith("user\na small brown dog")
    assert tokenizer.pad_token_id == 0 and tokenizer("é")["input_ids"], "byte-level: any text has ids"

    pipe = engine.image_pipeline()
    assert type(pipe).__name__ == "Flux2KleinPipeline" and pipe.config.is_distilled
    assert pipe.text_encoder.config.vocab_size == len(pipe.tokenizer) < 300
    assert text_encoder_out_layers(pipe) == (1, 2, 3), "layers the four-layer encoder has"


def test_the_full_architecture_has_klein_4b_sizes() -> None:
    """Built on the meta device: shapes and parameter counts without allocating eight billion weights."""
    pipe = random_flux2_klein_pipeline("full", device="meta", dtype=torch.bfloat16)

    def count(model) -> int:
        return sum(parameter.numel() for parameter in model.parameters())

    assert round(count(pipe.transformer) / 1e9, 2) == 3.88, "FLUX.2 klein 4B's transformer"
    assert round(count(pipe.text_encoder) / 1e9, 2) == 4.02, "Qwen3-4B (tied embeddings)"
    assert text_encoder_out_layers(pipe) == (9, 18, 27), "the pipeline's own default at klein 4B's sizes"
    assert (pipe.vae_scale_factor, pipe.vae.bn.num_features, pipe.transformer.config.in_channels) == (8, 128, 128)


def test_references_and_scene_images_compose_the_reference_pictures(engine, monkeypatch) -> None:
    dog = EntityPicture(id="dog", name="dog", kind=EntityKind.FOREGROUND, description="a small brown dog")
    reference = engine.reference_image(dog, seed=3)
    assert reference.size == (64, 64) and reference.mode == "RGB"

    pipe = engine.image_pipeline()
    seen: list[list] = []
    original = pipe.prepare_image_latents
    monkeypatch.setattr(pipe, "prepare_image_latents", lambda images, **kw: seen.append(images) or original(images, **kw))

    layout = plan_layout(["dog", "girl"], "play")

    def scene(girl: tuple[int, int, int], place: int, seeds: list[int]) -> list[np.ndarray]:
        cutouts = [ForegroundCutout(entity_id="dog", image=_cutout((150, 90, 40))), ForegroundCutout(entity_id="girl", image=_cutout(girl, (8, 16, 40, 64)))]
        images = engine.scene_images("the dog and the girl play", cutouts, _place(place), layout, seeds=seeds)
        assert all(image.size == (64, 64) for image in images)
        return [np.asarray(image, dtype=np.int16) for image in images]

    first, second = scene((240, 220, 40), 0, [1, 2])
    assert [len(images) for images in seen] == [3], "one call with three reference pictures: the place and both cutouts"
    expected = [_place(0), reference_picture(_cutout((150, 90, 40))), reference_picture(_cutout((240, 220, 40), (8, 16, 40, 64)))]
    for given, picture in zip(seen[0], expected, strict=True):
        assert np.allclose(given.numpy(), pipe.image_processor.preprocess(picture, height=64, width=64).numpy(), atol=1e-6)
    assert np.abs(first - second).max() > 20, "each candidate has its own noise"
    alone = scene((240, 220, 40), 0, [1])[0]
    assert np.abs(alone - first).max() <= 1, "a candidate is the same batched or alone (its own generator)"
    # Random weights attend almost uniformly, so a reference moves the picture by about one grey level
    # (hundreds of pixel values); the trained model copies it. Equal pictures would mean it was ignored.
    assert not np.array_equal(scene((40, 60, 240), 0, [1])[0], first), "another cutout: another picture, same seed"
    assert not np.array_equal(scene((240, 220, 40), 1, [1])[0], first), "another place: another picture, same seed"


def test_a_reference_picture_is_flat_rgb_and_large_enough_for_the_pipeline() -> None:
    flat = reference_picture(_cutout((200, 0, 0)))
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == (236, 236, 236) and flat.getpixel((32, 32)) == (200, 0, 0)
    assert reference_picture(Image.new("RGB", (40, 20))).size == (128, 64)


def test_auto_picks_an_embedder_the_family_has_and_clip_is_refused_early(engine) -> None:
    assert effective_spec("auto", engine) == "appearance"
    assert effective_spec("auto", get_engine(Settings(engine="tiny"))) == "clip"
    with pytest.raises(EngineUnavailable, match="no CLIP image encoder"):
        engine.image_encoder()
    with pytest.raises(InputError, match="has none"):
        check_embedder_spec("clip", "tiny-flux2")
    check_embedder_spec("clip", "tiny")
    check_embedder_spec("auto", "tiny-flux2")


def test_a_whole_run_on_the_tiny_flux2_preset_makes_a_video(tmp_path: Path) -> None:
    script = load_script_file(write_script(tmp_path / "s.json", "klein", ["left", "zoom in"], duration_s=1.0))
    settings = Settings(engine="tiny-flux2", runs_dir=tmp_path / "runs", voice="none", crossfade_s=0, consistency_attempts=1)
    outcome = start_run("", settings, script=script, run_id="klein")
    assert outcome.status == "done" and outcome.result is not None and outcome.result.video.is_file()
    manifest = Manifest.read(outcome.run_dir / "manifest.json")
    assert manifest.engine["image_family"] == "flux2-klein" and manifest.engine["image_model"] == "random:tiny"
    assert manifest.image_embedder == "appearance"
    assert len(manifest.scenes) == 2 and manifest.video.width == 64
    assert json.loads((outcome.run_dir / "manifest.json").read_text())["engine"]["engine"] == "diffusers:tiny-flux2"
