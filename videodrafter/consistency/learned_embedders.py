"""Learned image embedders: CLIP image features (the IP-Adapter's own encoder) and DINOv2.

Specs (``--image-embedder`` / VIDEODRAFTER_IMAGE_EMBEDDER):

- ``auto``: follows the engine: ``appearance`` for the animatic (flat drawings), ``clip`` for diffusers presets
  whose image family holds a CLIP tower (the IP-Adapter's), else ``appearance``.
- ``appearance``: the offline colour/shape descriptor (appearance.AppearanceEmbedder).
- ``clip``: the CLIP vision tower the diffusers engine already loaded for its IP-Adapters; no extra download.
- ``clip:<folder>``: a CLIP model folder (transformers format), e.g. one fetched with ``hf download``.
- ``dinov2`` / ``dinov2:<hub id or folder>``: DINOv2 (default ``facebook/dinov2-small``), downloaded on first use.
- ``clip:tiny`` / ``dinov2:tiny``: the same classes with random weights built from configs (tests, calibration wiring).

Nothing heavy is imported or loaded until an embedder is first used.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

from videodrafter.consistency.appearance import AppearanceEmbedder, ImageEmbedder
from videodrafter.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_DINOV2 = "facebook/dinov2-small"

# Why these thresholds (see "Embedder calibration" in benchmarks/README.md for the measured tables):
CLIP_THRESHOLD = 0.8
"""Real CLIP (ViT-H/bigG IP-Adapter towers): DreamBench's CLIP-I of a good subject-driven generator is
0.80 (DreamBooth, Table 1; 0.885 between real photos of one subject). Not measured here: the weights
cannot be fetched offline; run benchmarks/calibrate_embedders.py --embedder clip:<folder> to measure."""
DINOV2_THRESHOLD = 0.6
"""Real DINOv2: DreamBench's DINO score of a good subject-driven generator is 0.67 (0.77 between real
photos of one subject); DINO features separate subjects more than CLIP, so the bar sits lower. Provisional
in the same way as CLIP_THRESHOLD."""
TINY_CLIP_THRESHOLD = 0.997
"""Random-weight tower: the equal-error threshold measured on the photograph set (AUC 0.82; wiring only:
random features see little more than average colour, so every pair scores above 0.95)."""
TINY_DINOV2_THRESHOLD = 0.995
"""As TINY_CLIP_THRESHOLD, for the random-weight DINOv2 (AUC 0.83 on the photograph set)."""


@runtime_checkable
class ImageEncodingEngine(Protocol):
    """An engine that loaded a CLIP vision tower (the IP-Adapter's) and lends it out."""

    def image_encoder(self) -> tuple[Any, Any]:
        """(CLIPVisionModelWithProjection, CLIPImageProcessor) as loaded for generation."""
        ...


def effective_spec(spec: str, engine: Any = None) -> str:
    """``auto`` resolved for this engine; other specs as given (``dinov2`` gets its default hub id)."""
    spec = spec.strip()
    if spec == "auto":
        return "clip" if _lends_image_encoder(engine) else "appearance"
    if spec == "dinov2":
        return f"dinov2:{DEFAULT_DINOV2}"
    return spec


def _lends_image_encoder(engine: Any) -> bool:
    """The engine lends a CLIP tower: its image family holds one (FLUX.2 klein, for one, has none)."""
    family = getattr(engine, "image_family", None)
    return isinstance(engine, ImageEncodingEngine) and getattr(family, "has_image_encoder", True)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent pixels (outside a cutout's mask) become the neutral grey the references are shot on."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (236, 236, 236))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) + 1e-12)


class TorchImageEmbedder:
    """A transformers vision model + its image processor; subclasses say which output is the feature."""

    def __init__(self, name: str, threshold: float, model: Any, processor: Any) -> None:
        self.name = name
        self.threshold = threshold
        self.model = model.eval()
        self.processor = processor

    def features(self, pixel_values: Any) -> Any:
        raise NotImplementedError

    def embed(self, image: Image.Image) -> np.ndarray:
        import torch

        parameter = next(self.model.parameters())
        pixels = self.processor(images=_flatten(image), return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            vector = self.features(pixels.to(parameter.device, parameter.dtype))
        return _unit(vector[0].float().cpu().numpy())


class ClipEmbedder(TorchImageEmbedder):
    """CLIP image features (the projected embedding, as IP-Adapter and CLIP-I use)."""

    def features(self, pixel_values: Any) -> Any:
        if hasattr(self.model, "get_image_features"):  # a full CLIPModel from a folder
            output = self.model.get_image_features(pixel_values=pixel_values)
            return output if not hasattr(output, "pooler_output") else output.pooler_output
        return self.model(pixel_values=pixel_values).image_embeds


class Dinov2Embedder(TorchImageEmbedder):
    """DINOv2's class token (layer-normed), the feature VBench's subject consistency compares."""

    def features(self, pixel_values: Any) -> Any:
        return self.model(pixel_values=pixel_values).pooler_output


class EngineClipEmbedder:
    """CLIP features from the engine's loaded IP-Adapter encoder, fetched on first use (no second copy)."""

    threshold = CLIP_THRESHOLD

    def __init__(self, engine: ImageEncodingEngine) -> None:
        self.engine = engine
        self.name = f"clip:ip-adapter-encoder({engine.name})"
        self._inner: ClipEmbedder | None = None

    def embed(self, image: Image.Image) -> np.ndarray:
        if self._inner is None:
            model, processor = self.engine.image_encoder()
            self._inner = ClipEmbedder(self.name, self.threshold, model, processor)
        return self._inner.embed(image)


def tiny_clip_embedder(seed: int = 0) -> ClipEmbedder:
    """A random-weight CLIP vision tower of the tiny preset's size (32 px, 2 layers)."""
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    from videodrafter.engines.random_weights import SDXL_ARCHITECTURES

    config = SDXL_ARCHITECTURES["tiny"].image_encoder
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = CLIPVisionModelWithProjection(CLIPVisionConfig(**config))
    side = config["image_size"]
    processor = CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side})
    return ClipEmbedder("clip:tiny", TINY_CLIP_THRESHOLD, model, processor)


def tiny_dinov2_embedder(seed: int = 0) -> Dinov2Embedder:
    """A random-weight DINOv2 (32 px, patch 8, 2 layers) built from a config: no download."""
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=2, image_size=32, patch_size=8)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = Dinov2Model(config)
    processor = BitImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, do_convert_rgb=True,
        image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225],
    )
    return Dinov2Embedder("dinov2:tiny", TINY_DINOV2_THRESHOLD, model, processor)


def _download(load, model_id: str):
    """Weights come through the Hugging Face cache like the engines' (first use downloads them)."""
    try:
        return load()
    except (OSError, ValueError) as error:
        raise InputError(
            f"Could not load the image embedder '{model_id}': {str(error).splitlines()[0][:300]}",
            f"Download it first (`hf download {model_id}`) on a machine with internet, or use --image-embedder appearance.",
        ) from error


def dinov2_embedder(model_id: str) -> Dinov2Embedder:
    from transformers import AutoImageProcessor, Dinov2Model

    processor = _download(lambda: AutoImageProcessor.from_pretrained(model_id), model_id)
    model = _download(lambda: Dinov2Model.from_pretrained(model_id), model_id)
    return Dinov2Embedder(f"dinov2:{model_id}", DINOV2_THRESHOLD, model, processor)


def clip_folder_embedder(folder: Path) -> ClipEmbedder:
    from transformers import AutoConfig, CLIPImageProcessor, CLIPModel, CLIPVisionModelWithProjection

    if not (folder / "config.json").is_file():
        raise InputError(
            f"The image embedder folder '{folder}' has no config.json.",
            "Point clip:<folder> at a CLIP model downloaded in transformers format, or use --image-embedder auto.",
        )
    kind = AutoConfig.from_pretrained(str(folder), local_files_only=True).model_type
    model_class = CLIPModel if kind == "clip" else CLIPVisionModelWithProjection
    model = model_class.from_pretrained(str(folder), local_files_only=True)
    processor = CLIPImageProcessor.from_pretrained(str(folder), local_files_only=True)
    return ClipEmbedder(f"clip:{folder}", CLIP_THRESHOLD, model, processor)


UNKNOWN_EMBEDDER_HINT = "Use auto, appearance, clip, clip:<folder>, dinov2, dinov2:<hub id or folder>, clip:tiny or dinov2:tiny."


def check_embedder_spec(spec: str, engine_name: str) -> None:
    """What can be known about an embedder spec before anything loads: its form, and ``clip`` needing a
    diffusers engine (an InputError either way, so a run fails before its folder exists)."""
    resolved = effective_spec(spec)
    known = resolved in ("appearance", "clip", "auto") or (
        resolved.startswith(("clip:", "dinov2:")) and resolved.split(":", 1)[1].strip()
    )
    if not known and not (Path(resolved).expanduser() / "config.json").is_file():
        raise InputError(f"Unknown image embedder '{spec}'.", UNKNOWN_EMBEDDER_HINT)
    if resolved == "clip":
        from videodrafter.engines.diffusers_presets import PRESETS  # imports torch: only for this question

        if engine_name not in PRESETS:
            raise _no_image_encoder(engine_name)
        from videodrafter.engines.families import IMAGE_FAMILIES

        if not IMAGE_FAMILIES[PRESETS[engine_name].image_family].has_image_encoder:
            raise _no_image_encoder(engine_name)


def _no_image_encoder(engine_name: str) -> InputError:
    return InputError(
        f"The 'clip' image embedder reads the IP-Adapter encoder of a diffusers engine; the engine '{engine_name}' has none.",
        "Use --image-embedder appearance, dinov2 or clip:<folder>.",
    )


def resolve_embedder(spec: str, engine: Any = None) -> ImageEmbedder:
    """Build the embedder a spec names (callers cache it: see embedders.get_image_embedder)."""
    resolved = effective_spec(spec, engine)
    if resolved == "appearance":
        return AppearanceEmbedder()
    if resolved == "clip":
        if not isinstance(engine, ImageEncodingEngine):
            raise _no_image_encoder(getattr(engine, "name", str(engine)))
        return EngineClipEmbedder(engine)
    if resolved == "clip:tiny":
        return tiny_clip_embedder()
    if resolved == "dinov2:tiny":
        return tiny_dinov2_embedder()
    if resolved.startswith("dinov2:"):
        return dinov2_embedder(resolved.removeprefix("dinov2:"))
    if resolved.startswith("clip:"):
        return clip_folder_embedder(Path(resolved.removeprefix("clip:")).expanduser())
    folder = Path(resolved).expanduser()
    if (folder / "config.json").is_file():  # a bare CLIP folder, as earlier versions took
        return clip_folder_embedder(folder)
    raise InputError(f"Unknown image embedder '{spec}'.", UNKNOWN_EMBEDDER_HINT)
