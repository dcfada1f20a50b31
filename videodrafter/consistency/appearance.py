"""The image-embedder protocol and the offline appearance descriptor (colour + silhouette).

Every embedder carries the similarity threshold that goes with its feature space (a cosine of 0.8
means different things for a colour histogram and for DINOv2): see ``threshold`` on each class and
benchmarks/calibrate_embedders.py for how they were measured.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PIL import Image


class ImageEmbedder(Protocol):
    name: str
    threshold: float
    """Lowest cosine between an entity's reference and its region in a scene that counts as 'the same'."""

    def embed(self, image: Image.Image) -> np.ndarray:
        """A unit-length vector; alpha (if any) marks the pixels that count."""
        ...


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


class AppearanceEmbedder:
    """Colour distribution (HSV histogram) plus a coarse shape silhouette of the visible pixels.

    Cheap, deterministic and offline: good enough to tell "the same brown dog" from "a
    different, white dog" in a storyboard; use a CLIP folder for photographic output.
    """

    name = "appearance"
    threshold = 0.8
    """Tuned on the animatic's flat drawings, which it is the default for. On the photograph set of
    benchmarks/calibrate_embedders.py (scikit-image subjects cut out with U²-Net, 36 same / 180 different
    pairs) it reaches ROC AUC 0.976, equal error 0.11 at 0.716; at 0.8 it falsely accepts 4% and falsely
    rejects 14%: on photographs it errs towards a retry, never far towards passing another subject."""

    def embed(self, image: Image.Image) -> np.ndarray:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        hsv = np.asarray(rgba.convert("RGB").convert("HSV"), dtype=np.float32).reshape(-1, 3) / 255.0
        weights = alpha.reshape(-1)
        if weights.sum() < 1:
            weights = np.ones_like(weights)
        # Hue means nothing for greys and near-black pixels: those are binned by brightness alone.
        chromatic = (hsv[:, 1] >= 0.25) & (hsv[:, 2] >= 0.2)
        hue_histogram, _ = np.histogramdd(
            hsv[chromatic], bins=(12, 3, 3), range=((0, 1), (0, 1), (0, 1)), weights=weights[chromatic]
        )
        grey_histogram, _ = np.histogram(hsv[~chromatic, 2], bins=6, range=(0, 1), weights=weights[~chromatic])
        histogram = np.concatenate([hue_histogram.reshape(-1), grey_histogram])
        colour = np.sqrt(histogram / weights.sum())
        ys, xs = np.nonzero(alpha > 0.5)
        if len(xs):
            silhouette = Image.fromarray(((alpha > 0.5) * 255).astype(np.uint8)).crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
            shape = np.asarray(silhouette.resize((8, 8), Image.BILINEAR), dtype=np.float32).reshape(-1) / 255.0
        else:
            shape = np.ones(64, dtype=np.float32)
        vector = np.concatenate([colour, 0.35 * shape / (np.linalg.norm(shape) + 1e-12)])
        return vector / (np.linalg.norm(vector) + 1e-12)
