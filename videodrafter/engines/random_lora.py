"""A LoRA with random values in lightx2v's key format (``diffusion_model.blocks.N.self_attn.q.lora_down.weight``
…), for any Wan transformer: what the tests load through ``--profile turbo`` on the tiny Wan preset,
and what the GPU benchmark loads at real size, through the same conversion code as the real file."""

from __future__ import annotations

from pathlib import Path

import torch

# lightx2v / ComfyUI names of a Wan block's linear layers → diffusers' names
_BLOCK_LAYERS = {
    "self_attn.q": "attn1.to_q", "self_attn.k": "attn1.to_k", "self_attn.v": "attn1.to_v", "self_attn.o": "attn1.to_out.0",
    "cross_attn.q": "attn2.to_q", "cross_attn.k": "attn2.to_k", "cross_attn.v": "attn2.to_v", "cross_attn.o": "attn2.to_out.0",
    "cross_attn.k_img": "attn2.add_k_proj", "cross_attn.v_img": "attn2.add_v_proj",
    "ffn.0": "ffn.net.0.proj", "ffn.2": "ffn.net.2",
}


def write_random_lightx2v_lora(transformer: torch.nn.Module, target: Path, *, rank: int = 4, alpha: float = 4.0, seed: int = 0) -> Path:
    """Random ``lora_down``/``lora_up``/``alpha`` (and ``diff_b``) for every block layer ``transformer`` has."""
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    modules = dict(transformer.named_modules())
    tensors: dict[str, torch.Tensor] = {}
    for block in range(len(transformer.blocks)):
        for original, ours in _BLOCK_LAYERS.items():
            layer = modules.get(f"blocks.{block}.{ours}")
            if not isinstance(layer, torch.nn.Linear):
                continue
            prefix = f"diffusion_model.blocks.{block}.{original}"
            tensors[f"{prefix}.lora_down.weight"] = torch.randn(rank, layer.in_features, generator=generator) * 0.02
            tensors[f"{prefix}.lora_up.weight"] = torch.randn(layer.out_features, rank, generator=generator) * 0.02
            tensors[f"{prefix}.alpha"] = torch.tensor(alpha)
            tensors[f"{prefix}.diff_b"] = torch.randn(layer.out_features, generator=generator) * 0.01
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.contiguous() for name, tensor in tensors.items()}, str(target))
    return target
