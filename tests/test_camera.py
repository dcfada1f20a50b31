"""Camera moves show up in pixels: pans measured by phase correlation, zooms by object size."""

import numpy as np
import pytest

from videodrafter.engines.camera import camera_map, estimate_shift, step_map, warp_image
from videodrafter.script import CameraMove


def _texture(height: int = 96, width: int = 128) -> np.ndarray:
    rng = np.random.default_rng(0)
    noise = rng.random((height // 8, width // 8))
    return np.kron(noise, np.ones((8, 8))).astype(np.float32)


@pytest.mark.parametrize(
    ("direction", "sign_x", "sign_y"),
    [("right", -1, 0), ("left", 1, 0), ("down", 0, -1), ("up", 0, 1)],
)
def test_pans_move_the_content_the_opposite_way(direction: str, sign_x: int, sign_y: int) -> None:
    image = _texture()
    move = CameraMove(direction=direction, speed="medium")  # type: ignore[arg-type]
    later = warp_image(image, camera_map(move, 0.5, 128, 96))
    dx, dy = estimate_shift(image, later)
    assert np.sign(dx) == sign_x and np.sign(dy) == sign_y
    expected = 0.2 * 0.5 * (128 if sign_x else 96)
    assert abs(abs(dx + dy) - expected) <= 1.5


def test_faster_pans_travel_further() -> None:
    image = _texture()
    travelled = [
        abs(estimate_shift(image, warp_image(image, camera_map(CameraMove(direction="left", speed=speed), 1.0, 128, 96)))[0])  # type: ignore[arg-type]
        for speed in ("slow", "medium", "fast")
    ]
    assert travelled[0] < travelled[1] < travelled[2]


@pytest.mark.parametrize(("direction", "grows"), [("zoom in", True), ("zoom out", False)])
def test_zooms_change_the_size_of_a_centred_object(direction: str, grows: bool) -> None:
    image = np.zeros((64, 64), dtype=np.float32)
    image[24:40, 24:40] = 1.0
    move = CameraMove(direction=direction, speed="fast")  # type: ignore[arg-type]
    later = warp_image(image, camera_map(move, 1.0, 64, 64))
    area_before, area_after = (image > 0.5).sum(), (later > 0.5).sum()
    assert (area_after > area_before * 1.5) if grows else (area_after < area_before / 1.5)


def test_static_and_first_frame_are_identity_and_uint8_is_kept() -> None:
    image = (_texture() * 255).astype(np.uint8)
    assert np.array_equal(warp_image(image, camera_map(CameraMove(), 0.7, 128, 96)), image)
    pan = CameraMove(direction="right", speed="fast")  # type: ignore[arg-type]
    assert np.array_equal(warp_image(image, camera_map(pan, 0.0, 128, 96)), image)
    rgb = np.stack([image] * 3, axis=-1)
    assert warp_image(rgb, step_map(pan, 10, 128, 96)).dtype == np.uint8
