"""Speed and memory profiles of the diffusers engines: what each one changes on a loaded pipeline.

- ``quality``: the pipelines as diffusers builds them (today's behaviour).
- ``fast``: fewer video denoising steps, regional ``torch.compile`` of the video transformer's
  repeated blocks and cuDNN attention first (all three independent of the weights), plus a
  first-block cache on the video transformer, which skips the remaining blocks of a step when the
  first block's residual barely changed (how often depends on the weights).
- ``low-memory``: FP8 (e4m3) storage of the denoisers' weights, upcast layer by layer for compute,
  and every component group-offloaded to the CPU leaf by leaf, prefetched on a CUDA stream; VAE
  tiling on. Only the layer being computed (and the next, in flight) sits on the GPU, so both
  pipelines of a preset fit a 24 GB card.

The camera move is a ``callback_on_step_end`` on the latents between steps, outside the
transformer, so it runs unchanged under compile, caches and offloading.
"""

from __future__ import annotations

import contextlib
from typing import Literal, get_args

import torch
from pydantic import BaseModel, Field

from videodrafter.config import SpeedProfileName as ProfileName

PROFILES: tuple[ProfileName, ...] = get_args(ProfileName)
CompileChoice = Literal["auto", "on", "off"]

FAST_VIDEO_STEP_FRACTION = 0.6
"""``fast`` samples clips with 60% of the preset's steps (CogVideoX 50 → 30, Wan 40 → 24)."""


FP8_STORAGE = torch.float8_e4m3fn


class ProfileReport(BaseModel):
    """What a profile did to one pipeline; goes into the manifest through the engine's description."""

    profile: ProfileName
    applied: list[str] = Field(default_factory=list, description="Optimisations in effect, with their parameters.")
    skipped: list[str] = Field(default_factory=list, description="Optimisations the profile wanted but left out, and why.")


def video_steps(profile: ProfileName, preset_steps: int, requested: int | None) -> int:
    """Denoising steps of a clip: an explicit ``diffusion_steps`` wins over the profile."""
    if requested is not None:
        return requested
    if profile == "turbo":
        from videodrafter.engines.turbo import TURBO_STEPS

        return TURBO_STEPS
    if profile == "fast":
        return max(1, round(preset_steps * FAST_VIDEO_STEP_FRACTION))
    return preset_steps


def should_compile(choice: CompileChoice, profile: ProfileName, device: str) -> bool:
    """``auto`` compiles under ``fast`` on CUDA only: on a CPU the compile time outweighs the gain."""
    if choice == "off":
        return False
    if choice == "on":
        return True
    return profile == "fast" and device.startswith("cuda")


def place_pipeline(
    pipe, kind: Literal["image", "video"], *, profile: ProfileName, device: str, dtype: torch.dtype,
    cache_threshold: float | None = 0.05, compile_choice: CompileChoice = "auto", cpu_offload: bool = False,
) -> ProfileReport:
    """Put a freshly built pipeline where the profile wants it, with the profile's optimisations.

    ``cache_threshold``: the clip family's first-block cache threshold, the relative change of the first
    block's residual under which a step reuses the other blocks' output (0.05, the default of diffusers'
    FirstBlockCacheConfig, is below the 0.08–0.1 that ParaAttention quotes as a visible quality cost); None: the
    family cannot take the cache (its output would change)."""
    report = ProfileReport(profile=profile)
    if profile == "low-memory":
        _low_memory(pipe, report, device=device, dtype=dtype)
        return report
    if cpu_offload and device.startswith("cuda"):
        pipe.enable_model_cpu_offload(device=device)
        report.applied.append("model CPU offload")
    else:
        pipe.to(device, dtype)
    if profile == "fast":
        if kind == "video":
            if cache_threshold is None:
                report.skipped.append("first-block cache: the clip family's output would change under it")
            else:
                _first_block_cache(pipe.transformer, cache_threshold, report)
            if should_compile(compile_choice, profile, device):
                _compile_repeated_blocks(pipe.transformer, report)
            else:
                report.skipped.append(f"regional torch.compile: off on {device} (VIDEODRAFTER_COMPILE=on forces it)")
        if device.startswith("cuda"):
            report.applied.append("attention: cuDNN first, then flash, efficient, math")
        else:
            report.skipped.append("cuDNN attention: CUDA only")
    return report


def attention_priority(profile: ProfileName, device: str):
    """A context for pipeline calls: under ``fast`` on CUDA, SDPA tries cuDNN attention first.

    On Hopper cuDNN's fused attention is faster than FlashAttention-2 at the long sequences of
    video transformers (17.8k tokens for a CogVideoX clip); PyTorch's default order puts flash first.
    """
    if profile != "fast" or not device.startswith("cuda"):
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    order = [SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
    return sdpa_kernel(order, set_priority=True)


def _first_block_cache(transformer: torch.nn.Module, threshold: float, report: ProfileReport) -> None:
    from diffusers.hooks import FirstBlockCacheConfig

    if len(repeated_blocks(transformer)) < 2:
        report.skipped.append("first-block cache: the transformer has a single block")
        return
    try:
        transformer.enable_cache(FirstBlockCacheConfig(threshold=threshold))
    except (ValueError, AttributeError) as error:  # a transformer whose blocks diffusers cannot hook
        report.skipped.append(f"first-block cache: {error}")
        return
    report.applied.append(f"first-block cache on the video transformer (threshold {threshold})")


def repeated_blocks(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The transformer's repeated blocks: the classes it names in ``_repeated_blocks``, else its
    largest ModuleList of one block class (CogVideoX names none; its blocks are ``transformer_blocks``)."""
    named = set(getattr(model, "_repeated_blocks", None) or ())
    if named:
        return [module for module in model.modules() if type(module).__name__ in named]
    best: list[torch.nn.Module] = []
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > len(best):
            if len({type(block) for block in module}) == 1:
                best = list(module)
    return best


def _compile_repeated_blocks(model: torch.nn.Module, report: ProfileReport) -> None:
    blocks = repeated_blocks(model)
    if not blocks:
        report.skipped.append("regional torch.compile: no repeated blocks found")
        return
    # The layers inside each block, not the block: the first-block cache hooks the blocks' forward
    # with code dynamo must not trace. One graph per layer class serves all blocks (dynamo guards
    # on the code; the parameters are inputs).
    layers = [layer for block in blocks for layer in block.children() if any(True for _ in layer.parameters())]
    for layer in layers:
        layer.compile(dynamic=False)
    report.applied.append(f"regional torch.compile of the layers of {len(blocks)} × {type(blocks[0]).__name__}")


_DENOISERS = ("unet", "transformer")
_KEEP_IN_COMPUTE_DTYPE = ("pos_embed", "patch_embed", "norm", "^proj_in$", "^proj_out$", "encoder_hid_proj")
"""diffusers' defaults plus the IP-Adapter image projection, whose forward casts its input to its
weight's dtype (an FP8 input that no matmul takes)."""


def _low_memory(pipe, report: ProfileReport, *, device: str, dtype: torch.dtype) -> None:
    pipe.to("cpu", dtype)
    for name in _DENOISERS:
        model = getattr(pipe, name, None)
        if model is not None and hasattr(model, "enable_layerwise_casting"):
            model.enable_layerwise_casting(
                storage_dtype=FP8_STORAGE, compute_dtype=dtype, skip_modules_pattern=_KEEP_IN_COMPUTE_DTYPE
            )
            report.applied.append(f"FP8 (e4m3) weight storage of the {name}, computed in {str(dtype).removeprefix('torch.')}")
    on_cuda = device.startswith("cuda")
    # Leaf level with a prefetch stream: the next layer copies while this one computes.
    pipe.enable_group_offload(
        onload_device=torch.device(device), offload_device=torch.device("cpu"), offload_type="leaf_level",
        use_stream=on_cuda, record_stream=on_cuda, low_cpu_mem_usage=False,
    )
    report.applied.append("group offload of every component, leaf level" + (", CUDA stream prefetch" if on_cuda else ""))
    if not on_cuda:
        report.skipped.append("CUDA stream prefetch: CUDA only")
    if hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
        report.applied.append("VAE tiling")


class BlockCallCounter:
    """Counts how often the first and the last repeated block of a transformer really computed.

    A first-block cache runs the first block every step and skips the rest when its residual barely
    changed, so ``1 - last/first`` is the fraction of steps served from the cache.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        blocks = repeated_blocks(model)
        self._probes = [_first_layer(blocks[0]), _first_layer(blocks[-1])] if len(blocks) >= 2 else []
        self.first = 0
        self.last = 0
        self._handles: list = []

    def __enter__(self) -> BlockCallCounter:
        if self._probes:
            self._handles = [
                self._probes[0].register_forward_pre_hook(lambda *_: self._count("first")),
                self._probes[1].register_forward_pre_hook(lambda *_: self._count("last")),
            ]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _count(self, which: str) -> None:
        setattr(self, which, getattr(self, which) + 1)

    @property
    def skip_rate(self) -> float | None:
        return None if self.first == 0 else 1.0 - self.last / self.first


def _first_layer(block: torch.nn.Module) -> torch.nn.Module:
    return next(layer for layer in block.children() if any(True for _ in layer.parameters()))
