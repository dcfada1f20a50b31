"""Camera moves as 2-D affine maps, shared by the pixel (animatic) and latent (diffusion) paths.

Convention: a map sends an output pixel (x, y) to the source position it samples. When the
camera pans right, the world slides left in the frame, so output x samples source x + shift.
Zooming in samples a smaller window around the centre.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from videodrafter.script import CameraDirection, CameraMove, CameraSpeed

PAN_PER_CLIP = {CameraSpeed.SLOW: 0.10, CameraSpeed.MEDIUM: 0.20, CameraSpeed.FAST: 0.35}
"""How far a pan travels over a whole clip, as a fraction of the frame's width or height."""
ZOOM_PER_CLIP = {CameraSpeed.SLOW: 1.15, CameraSpeed.MEDIUM: 1.35, CameraSpeed.FAST: 1.7}
"""The magnification reached at the end of a zoom-in clip (zoom out is its inverse)."""


class AffineMap(BaseModel):
    """source = scale * (output - centre) + centre + shift, in pixels."""

    scale: float = 1.0
    shift_x: float = 0.0
    shift_y: float = 0.0


def camera_map(move: CameraMove, progress: float, width: int, height: int) -> AffineMap:
    """The map at ``progress`` in [0, 1] of a clip (0: the first frame, unchanged)."""
    progress = float(np.clip(progress, 0.0, 1.0))
    direction = move.direction
    if direction is CameraDirection.STATIC:
        return AffineMap()
    if direction in (CameraDirection.ZOOM_IN, CameraDirection.ZOOM_OUT):
        magnification = ZOOM_PER_CLIP[move.speed] ** progress
        if direction is CameraDirection.ZOOM_OUT:
            magnification = 1.0 / magnification
        return AffineMap(scale=1.0 / magnification)
    travel = PAN_PER_CLIP[move.speed] * progress
    if direction is CameraDirection.RIGHT:
        return AffineMap(shift_x=travel * width)
    if direction is CameraDirection.LEFT:
        return AffineMap(shift_x=-travel * width)
    if direction is CameraDirection.DOWN:
        return AffineMap(shift_y=travel * height)
    return AffineMap(shift_y=-travel * height)  # up


def step_map(move: CameraMove, steps: int, width: int, height: int) -> AffineMap:
    """The map between two consecutive frames of a clip with ``steps`` frame intervals."""
    return camera_map(move, 1.0 / max(steps, 1), width, height)


def sample_grid(mapping: AffineMap, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates (x, y) for every output pixel."""
    ys, xs = np.meshgrid(np.arange(height, dtype=np.float32), np.arange(width, dtype=np.float32), indexing="ij")
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    src_x = mapping.scale * (xs - cx) + cx + mapping.shift_x
    src_y = mapping.scale * (ys - cy) + cy + mapping.shift_y
    return src_x, src_y


def warp_image(image: np.ndarray, mapping: AffineMap) -> np.ndarray:
    """Bilinear resampling of an (H, W) or (H, W, C) array; outside the frame repeats the edge."""
    height, width = image.shape[:2]
    src_x, src_y = sample_grid(mapping, width, height)
    src_x = np.clip(src_x, 0, width - 1)
    src_y = np.clip(src_y, 0, height - 1)
    x0 = np.floor(src_x).astype(np.int64)
    y0 = np.floor(src_y).astype(np.int64)
    x1 = np.minimum(x0 + 1, width - 1)
    y1 = np.minimum(y0 + 1, height - 1)
    fx = (src_x - x0)[..., None] if image.ndim == 3 else src_x - x0
    fy = (src_y - y0)[..., None] if image.ndim == 3 else src_y - y0
    data = image.astype(np.float32)
    top = data[y0, x0] * (1 - fx) + data[y0, x1] * fx
    bottom = data[y1, x0] * (1 - fx) + data[y1, x1] * fx
    result = top * (1 - fy) + bottom * fy
    return result.astype(image.dtype) if np.issubdtype(image.dtype, np.floating) else np.clip(np.rint(result), 0, 255).astype(image.dtype)


def estimate_shift(previous: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """How far content moved from ``previous`` to ``current`` (dx, dy) by phase correlation."""
    a = previous.astype(np.float64)
    b = current.astype(np.float64)
    if a.ndim == 3:
        a, b = a.mean(axis=2), b.mean(axis=2)
    window = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    spectrum = np.fft.fft2(b * window) * np.conj(np.fft.fft2(a * window))
    spectrum /= np.abs(spectrum) + 1e-9
    response = np.abs(np.fft.ifft2(spectrum))
    dy, dx = np.unravel_index(int(np.argmax(response)), response.shape)
    height, width = response.shape
    return (float(dx - width if dx > width // 2 else dx), float(dy - height if dy > height // 2 else dy))


def camera_move_scores(first: np.ndarray, last: np.ndarray, speed: CameraSpeed = CameraSpeed.FAST) -> dict[str, float]:
    """How well each camera move explains ``last`` as a warp of ``first`` (normalised correlation).

    A matched-filter test that is robust on noisy output (e.g. random-weight models), where a
    single phase-correlation peak is not.
    """
    source = first.astype(np.float32)
    target = last.astype(np.float32)
    height, width = source.shape[:2]
    target = target - target.mean()
    scores = {}
    for direction in CameraDirection:
        predicted = warp_image(source, camera_map(CameraMove(direction=direction, speed=speed), 1.0, width, height))
        predicted = predicted - predicted.mean()
        denominator = float(np.sqrt((predicted * predicted).sum() * (target * target).sum())) or 1.0
        scores[direction.value] = float((predicted * target).sum()) / denominator
    return scores
