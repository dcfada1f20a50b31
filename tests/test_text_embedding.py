"""The sentence embedder reads all-MiniLM-L6-v2 without transformers (whose import alone cost about
4 s of every offline run); its vectors are held to transformers' own on the real weights."""

from __future__ import annotations

import numpy as np

from videodrafter.text_embedding import default_text_model, embed_texts

TEXTS = ["a dog runs on the beach", "the girl", "Then, the fox jumps over the frozen river at dawn, while the crow watches.", "x", "pâtissier"]


def test_the_vectors_are_transformers_vectors() -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = str(default_text_model())
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=128, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    ours = embed_texts(TEXTS)
    assert ours.shape == (len(TEXTS), 384)
    assert np.abs(ours - expected).max() < 1e-5
    long = embed_texts(["word " * 400])  # truncated at 128 tokens as sentence-transformers does
    assert np.isfinite(long).all() and abs(float(np.linalg.norm(long)) - 1) < 1e-5


def test_embedding_leaves_torch_threads_as_they_were() -> None:
    import torch

    before = torch.get_num_threads()
    embed_texts(["a cat"])
    assert torch.get_num_threads() == before
