"""``--profile turbo``: a few-step distilled LoRA on the clip model, 4 steps, guidance off.

The LoRA is named by ``VIDEODRAFTER_TURBO_LORA`` (``--turbo-lora``): a local ``.safetensors`` file,
or ``<hub repo>::<file in it>`` that diffusers downloads on first use, e.g. lightx2v's step- and
CFG-distilled Wan2.1 I2V LoRA. diffusers converts the lightx2v (ComfyUI-style ``diffusion_model.*``)
key format itself (``loaders/lora_conversion_utils.py``). Families that have such a LoRA declare
``turbo_lora``; an image family that is distilled already (FLUX.2 klein) runs its preset's steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from videodrafter.errors import InputError

TURBO_STEPS = 4
"""Denoising steps of a turbo clip (what the step-distilled LoRAs are trained for)."""
TURBO_GUIDANCE = 1.0
"""Classifier-free guidance off: the CFG-distilled LoRAs have it baked in, and it halves each step's work."""
ADAPTER = "turbo"


class TurboLora(BaseModel):
    """Where a turbo LoRA comes from: a local file, or a file in a hub repository."""

    spec: str
    path: Path | None = None
    repo: str | None = None
    weight_name: str | None = None

    @classmethod
    def parse(cls, spec: str, suggested: str = "") -> TurboLora:
        if "::" in spec:
            repo, _, weight_name = spec.partition("::")
            if not repo.strip() or not weight_name.strip():
                raise InputError(f"The turbo LoRA '{spec}' is not '<hub repo>::<file>' nor a file.", f"For example: {suggested or 'owner/repo::lora.safetensors'}")
            return cls(spec=spec, repo=repo.strip(), weight_name=weight_name.strip())
        path = Path(spec).expanduser()
        if not path.is_file():
            raise InputError(
                f"The turbo LoRA file {path} does not exist.",
                "Give a .safetensors file, or a hub file as '<repo>::<file>', in VIDEODRAFTER_TURBO_LORA or --turbo-lora.",
            )
        return cls(spec=spec, path=path.resolve())


def check_turbo(turbo_lora: str | None, engine: str, clip_family: str | None, has_turbo: bool, suggested: str = "") -> TurboLora:
    """The turbo LoRA of a run, checked before any work: the engine's clip family must have one, and it must be given."""
    if clip_family is None:
        raise InputError(f"--profile turbo is for diffusers engines; '{engine}' has no clip model to distil.", "Drop --profile turbo, or pick a Wan engine.")
    if not has_turbo:
        raise InputError(
            f"--profile turbo needs a clip family with a few-step distilled LoRA; '{engine}' uses {clip_family}.",
            "Use a Wan engine (e.g. sdxl-wan, tiny-wan), or --profile fast.",
        )
    if not turbo_lora:
        raise InputError(
            "--profile turbo needs the distilled LoRA file, and VIDEODRAFTER_TURBO_LORA (--turbo-lora) is not set.",
            f"Set it to a local .safetensors file or a hub file ('<repo>::<file>'), e.g. VIDEODRAFTER_TURBO_LORA={suggested or '<repo>::<file>'}",
        )
    return TurboLora.parse(turbo_lora, suggested)


def load_turbo_lora(pipe: Any, lora: TurboLora) -> dict[str, object]:
    """Load the LoRA into the clip pipeline's transformer as the active adapter; what was loaded, for the manifest."""
    if lora.path is not None:
        pipe.load_lora_weights(str(lora.path), adapter_name=ADAPTER)
    else:
        pipe.load_lora_weights(lora.repo, weight_name=lora.weight_name, adapter_name=ADAPTER)
    pipe.set_adapters([ADAPTER], adapter_weights=[1.0])
    layers = sum(1 for name, _ in pipe.transformer.named_modules() if name.endswith(f"lora_A.{ADAPTER}"))
    return {"turbo_lora": lora.spec, "lora_layers": layers}
