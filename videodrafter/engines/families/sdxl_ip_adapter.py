"""Image family: SDXL with two IP-Adapters (foreground and background references, each under its mask).

The paper's scene-image design: the event text plus the references' image embeddings through
separate cross-attention branches (fg scale 0.5, bg 0.33 in the released code). Identity is held by
a global embedding of each reference, so a character is recognisable rather than the same.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from videodrafter.engines.base import EntityPicture, ForegroundCutout, SceneLayout
from videodrafter.engines.composition import compose_foreground, foreground_mask, invert
from videodrafter.engines.families.base import ImageFamily
from videodrafter.engines.segmentation import BACKDROP
from videodrafter.media.images import cover


class SdxlIpAdapterFamily(ImageFamily):
    name = "sdxl-ip-adapter"
    composes_references = False
    has_image_encoder = True

    def describe(self) -> dict[str, str]:
        preset = self.preset
        return {**super().describe(), "ip_adapter": f"{preset.ip_adapter_repo}/{preset.ip_adapter_subfolder}/{preset.ip_adapter_weight}"}

    def load(self, dtype: Any) -> Any:
        from diffusers import StableDiffusionXLPipeline

        pipe = StableDiffusionXLPipeline.from_pretrained(self.preset.image_model, torch_dtype=dtype)
        # The same IP-Adapter twice: one branch for the foreground reference, one for the background.
        pipe.load_ip_adapter(
            self.preset.ip_adapter_repo,
            subfolder=[self.preset.ip_adapter_subfolder] * 2,
            weight_name=[self.preset.ip_adapter_weight] * 2,
            image_encoder_folder=self.preset.image_encoder_folder,
        )
        return pipe

    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        from videodrafter.engines.random_weights import load_random_ip_adapters, random_sdxl_pipeline

        pipe = random_sdxl_pipeline(architecture, seed=seed, device=device, dtype=dtype)
        load_random_ip_adapters(pipe, architecture)
        return pipe

    def reference_image(self, pipe: Any, entity: EntityPicture, prompt: str, generator: Any) -> Image.Image:
        size = self.preset.reference_size
        blank = Image.new("RGB", (size, size), BACKDROP)
        pipe.set_ip_adapter_scale([0.0, 0.0])  # text only: both reference branches off
        result = pipe(
            prompt=prompt, ip_adapter_image=[blank, blank], height=size, width=size, num_inference_steps=self.steps,
            guidance_scale=self.preset.image_guidance, generator=generator, output_type="pil",
        )
        return result.images[0]

    def scene_images(
        self, pipe: Any, event: str, foreground: list[ForegroundCutout], background: Image.Image, layout: SceneLayout, generators: list[Any],
    ) -> list[Image.Image]:
        from diffusers.image_processor import IPAdapterMaskProcessor

        width, height = self.preset.image_width, self.preset.image_height
        board = compose_foreground(Image.new("RGB", (width, height), BACKDROP), foreground, layout, shadow=False)
        fg_mask = foreground_mask(layout, width, height)
        has_foreground = bool(foreground) and fg_mask.getbbox() is not None
        bg_mask = invert(fg_mask) if has_foreground else Image.new("L", (width, height), 255)
        masks = IPAdapterMaskProcessor().preprocess([fg_mask, bg_mask], height=height, width=width)
        pipe.set_ip_adapter_scale([self.settings.fg_reference_scale if has_foreground else 0.0, self.settings.bg_reference_scale])
        result = pipe(
            prompt=event,
            ip_adapter_image=[board, cover(background.convert("RGB"), width, height)],
            cross_attention_kwargs={"ip_adapter_masks": [masks[0:1], masks[1:2]]},
            height=height, width=width, num_inference_steps=self.steps, guidance_scale=self.preset.image_guidance,
            num_images_per_prompt=len(generators), generator=generators, output_type="pil",
        )
        return list(result.images)

    def image_encoder(self, pipe: Any) -> tuple[Any, Any] | None:
        return pipe.image_encoder, pipe.feature_extractor
