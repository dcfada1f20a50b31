"""Image embeddings for consistency checks: an offline appearance descriptor, or CLIP from a folder."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from videodrafter.errors import InputError

LOAD_COUNTS: Counter[str] = Counter()
_CACHE: dict[str, ImageEmbedder] = {}
_LOCK = threading.Lock()


class ImageEmbedder(Protocol):
    name: str

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


class ClipImageEmbedder:
    """CLIP image features from a local model folder (transformers format)."""

    def __init__(self, folder: Path) -> None:
        from transformers import CLIPImageProcessor, CLIPModel

        self.name = f"clip:{folder}"
        self.processor = CLIPImageProcessor.from_pretrained(str(folder), local_files_only=True)
        self.model = CLIPModel.from_pretrained(str(folder), local_files_only=True).eval()

    def embed(self, image: Image.Image) -> np.ndarray:
        import torch

        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (236, 236, 236))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        inputs = self.processor(images=flat, return_tensors="pt")
        with torch.no_grad():
            features = self.model.get_image_features(**inputs)
        if not isinstance(features, torch.Tensor):
            features = features.pooler_output
        vector = features[0].float().numpy()
        return vector / (np.linalg.norm(vector) + 1e-12)


def get_image_embedder(spec: str) -> ImageEmbedder:
    """'appearance' or a CLIP folder; loaded once per process."""
    with _LOCK:
        if spec not in _CACHE:
            if spec == "appearance":
                _CACHE[spec] = AppearanceEmbedder()
            else:
                folder = Path(spec).expanduser()
                if not (folder / "config.json").is_file():
                    raise InputError(
                        f"The image embedder '{spec}' is neither 'appearance' nor a CLIP model folder with config.json.",
                        "Set VIDEODRAFTER_IMAGE_EMBEDDER=appearance or to a downloaded CLIP folder.",
                    )
                _CACHE[spec] = ClipImageEmbedder(folder)
            LOAD_COUNTS[spec] += 1
        return _CACHE[spec]
