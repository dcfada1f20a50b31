"""Engine families by name: a preset names one image family and one clip family (see base.py).

Adding a family: a module here with an ``ImageFamily`` or ``ClipFamily`` subclass that declares its
capabilities, listed below; a tiny random-weight preset for CI and a real-size random preset for
``benchmarks/gpu.py`` in ``engines/diffusers_presets.py``.
"""

from __future__ import annotations

from typing import Literal

from videodrafter.engines.families.base import ClipFamily, ImageFamily
from videodrafter.engines.families.cogvideox_i2v import CogVideoXI2VFamily
from videodrafter.engines.families.flux2_klein import Flux2KleinFamily
from videodrafter.engines.families.sdxl_ip_adapter import SdxlIpAdapterFamily
from videodrafter.engines.families.wan_i2v import WanI2VFamily
from videodrafter.engines.families.wan_vace import WanVACEFamily

ImageFamilyName = Literal["sdxl-ip-adapter", "flux2-klein"]
ClipFamilyName = Literal["cogvideox-i2v", "wan-i2v", "wan-vace"]

IMAGE_FAMILIES: dict[str, type[ImageFamily]] = {family.name: family for family in (SdxlIpAdapterFamily, Flux2KleinFamily)}
CLIP_FAMILIES: dict[str, type[ClipFamily]] = {family.name: family for family in (CogVideoXI2VFamily, WanI2VFamily, WanVACEFamily)}
