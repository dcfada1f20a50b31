"""The paper's visual metrics, with a CLIP model from a local folder or with the run's own image embedder.

CLIPSIM: event text vs scene image (CLIP only). FG-SIM / BG-SIM: entity reference vs where it appears.
Scene consistency: the same entity's crops across scenes. Frame consistency: consecutive frames.
All are mean cosine similarities of L2-normalised embeddings; the paper reports them × 100 with CLIP
(``PAPER_SCENE_CONSISTENCY``). The appearance embedder (the animatic's) measures the same relations in
its own feature space: its numbers compare across runs and engines, not with the paper's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel

from videodrafter.errors import InputError
from videodrafter.resources import RESOURCES


def mean_matched(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine of row i of ``a`` with row i of ``b`` (rows are unit vectors)."""
    if len(a) == 0:
        return float("nan")
    return float(np.mean(np.sum(a * b, axis=1)))


def mean_pairwise(vectors: np.ndarray) -> float:
    """Mean cosine over all distinct pairs; NaN with fewer than two vectors."""
    if len(vectors) < 2:
        return float("nan")
    similarity = vectors @ vectors.T
    return float(similarity[np.triu_indices(len(vectors), k=1)].mean())


def mean_consecutive(vectors: np.ndarray) -> float:
    if len(vectors) < 2:
        return float("nan")
    return float(np.mean(np.sum(vectors[1:] * vectors[:-1], axis=1)))


class ClipScorer:
    """CLIP text and image embeddings from ``folder`` (config.json, weights, tokenizer, processor)."""

    def __init__(self, folder: Path) -> None:
        from transformers import CLIPModel, CLIPProcessor

        self.processor = CLIPProcessor.from_pretrained(str(folder), local_files_only=True)
        self.model = CLIPModel.from_pretrained(str(folder), local_files_only=True).eval()

    @staticmethod
    def _unit(features) -> np.ndarray:
        import torch

        if not isinstance(features, torch.Tensor):
            features = features.pooler_output
        vectors = features.float().numpy()
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def images(self, images: list[Image.Image]) -> np.ndarray:
        import torch

        inputs = self.processor(images=[image.convert("RGB") for image in images], return_tensors="pt")
        with torch.no_grad():
            return self._unit(self.model.get_image_features(pixel_values=inputs["pixel_values"]))

    def texts(self, texts: list[str]) -> np.ndarray:
        import torch

        inputs = self.processor.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            return self._unit(self.model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]))


def get_clip_scorer(folder: Path) -> ClipScorer:
    if not (folder / "config.json").is_file():
        raise InputError(f"'{folder}' is not a CLIP model folder (no config.json).", "Point --clip-model at a downloaded CLIP folder (e.g. openai/clip-vit-base-patch32).")
    return RESOURCES.get("clip-scorer", str(folder.resolve()), lambda: ClipScorer(folder), label=folder.name)


PAPER_SCENE_CONSISTENCY = {"ModelScope": 46.0, "VideoDirectorGPT": 64.8, "VideoDrafter": 75.1}
"""Scene consistency (CLIP, × 100) in the VideoDrafter paper's table."""

ImageEmbedding = Callable[[list[Image.Image]], np.ndarray]
"""Pictures → unit-length rows."""


def embedder_images(embedder) -> ImageEmbedding:
    """An image embedder (``consistency.appearance.ImageEmbedder``) as a batch embedding."""
    return lambda images: np.stack([embedder.embed(image) for image in images]) if images else np.zeros((0, 1))


class VisualMetrics(BaseModel):
    clipsim: float
    fg_sim: float
    bg_sim: float
    scene_consistency: float
    frame_consistency: float


def visual_metrics(
    scorer: ClipScorer | ImageEmbedding,
    *,
    events: list[str],
    scene_images: list[Image.Image],
    fg_pairs: list[tuple[Image.Image, Image.Image]],
    bg_pairs: list[tuple[Image.Image, Image.Image]],
    crops_by_entity: dict[str, list[Image.Image]],
    clips: list[list[Image.Image]],
) -> VisualMetrics:
    """``fg_pairs``/``bg_pairs``: (reference, what the scene shows there); ``clips``: frames per scene.
    ``scorer``: a CLIP scorer (all five metrics) or any image embedding (CLIPSIM is NaN: no text side)."""
    embed = scorer.images if isinstance(scorer, ClipScorer) else scorer

    def pairs_similarity(pairs: list[tuple[Image.Image, Image.Image]]) -> float:
        if not pairs:
            return float("nan")
        return mean_matched(embed([a for a, _ in pairs]), embed([b for _, b in pairs]))

    per_entity = [mean_pairwise(embed(crops)) for crops in crops_by_entity.values() if len(crops) >= 2]
    per_clip = [mean_consecutive(embed(frames)) for frames in clips if len(frames) >= 2]
    return VisualMetrics(
        clipsim=mean_matched(scorer.texts(events), embed(scene_images)) if isinstance(scorer, ClipScorer) else float("nan"),
        fg_sim=pairs_similarity(fg_pairs),
        bg_sim=pairs_similarity(bg_pairs),
        scene_consistency=float(np.mean(per_entity)) if per_entity else float("nan"),
        frame_consistency=float(np.mean(per_clip)) if per_clip else float("nan"),
    )
