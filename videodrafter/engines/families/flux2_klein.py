"""Image family: FLUX.2 [klein] multi-reference editing (the scene composed from the reference pictures).

Where the SDXL family steers a text-to-image model with the references' CLIP embeddings, klein reads
the pictures themselves: each reference is VAE-encoded and joins the transformer's sequence as its
own tokens (time coordinate 10, 20, … per picture), so the entities keep their look rather than a
likeness. The released 4B model is step-distilled: 4 steps, no classifier-free guidance.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from videodrafter.engines.base import EntityPicture, ForegroundCutout, SceneLayout
from videodrafter.engines.families.base import ImageFamily
from videodrafter.engines.segmentation import on_backdrop

MIN_REFERENCE_SIDE = 64
"""Flux2ImageProcessor.check_image_input refuses a reference picture narrower than this."""


def text_encoder_out_layers(pipe: Any) -> tuple[int, ...]:
    """The Qwen3 layers whose hidden states are stacked into the prompt embedding.

    As many as the transformer's ``joint_attention_dim`` holds, evenly spaced through the text
    encoder: the released (9, 18, 27) over Qwen3-4B's 36 layers, and layers that exist in a
    random-weight encoder of a few layers (the pipeline's default would index past them).
    """
    text = pipe.text_encoder.config
    count = pipe.transformer.config.joint_attention_dim // text.hidden_size
    return tuple(text.num_hidden_layers * index // (count + 1) for index in range(1, count + 1))


def reference_picture(image: Image.Image) -> Image.Image:
    """A reference as klein reads it: RGB, cutouts flattened on the backdrop, at least 64 px a side."""
    picture = on_backdrop(image) if image.mode == "RGBA" else image.convert("RGB")
    short = min(picture.size)
    if short < MIN_REFERENCE_SIDE:
        scale = MIN_REFERENCE_SIDE / short
        picture = picture.resize((max(MIN_REFERENCE_SIDE, round(picture.width * scale)), max(MIN_REFERENCE_SIDE, round(picture.height * scale))), Image.LANCZOS)
    return picture


class Flux2KleinFamily(ImageFamily):
    name = "flux2-klein"
    composes_references = True
    has_image_encoder = False

    def load(self, dtype: Any) -> Any:
        from diffusers import Flux2KleinPipeline

        return Flux2KleinPipeline.from_pretrained(self.preset.image_model, torch_dtype=dtype)

    def load_random(self, architecture: str, *, seed: int, device: str, dtype: Any) -> Any:
        from videodrafter.engines.random_weights import random_flux2_klein_pipeline

        return random_flux2_klein_pipeline(architecture, seed=seed, device=device, dtype=dtype)

    def reference_image(self, pipe: Any, entity: EntityPicture, prompt: str, generator: Any) -> Image.Image:
        del entity  # the prompt says it all: text to image, no reference pictures
        size = self.preset.reference_size
        result = pipe(
            prompt=prompt, height=size, width=size, num_inference_steps=self.steps, guidance_scale=self.preset.image_guidance,
            generator=generator, output_type="pil", text_encoder_out_layers=text_encoder_out_layers(pipe),
        )
        return result.images[0]

    def scene_images(
        self, pipe: Any, event: str, foreground: list[ForegroundCutout], background: Image.Image, layout: SceneLayout, generators: list[Any],
    ) -> list[Image.Image]:
        """One batched call: the reference latents are shared, each candidate draws its noise from its own generator."""
        del layout  # klein places the entities itself; the layout's boxes are no conditioning of this family
        references = [reference_picture(background)] + [reference_picture(cutout.image.convert("RGBA")) for cutout in foreground]
        result = pipe(
            image=references, prompt=event, height=self.preset.image_height, width=self.preset.image_width,
            num_inference_steps=self.steps, guidance_scale=self.preset.image_guidance, num_images_per_prompt=len(generators),
            generator=generators, output_type="pil", text_encoder_out_layers=text_encoder_out_layers(pipe),
        )
        return list(result.images)
