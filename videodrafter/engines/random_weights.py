"""Random-weight components for the real pipeline classes, built from configs under a seed.

This is the diffusers test pattern: the same StableDiffusionXLPipeline (+ two IP-Adapters)
and CogVideoXImageToVideoPipeline code paths as the real presets, with no download. Two
architectures of each are defined here:

- ``tiny``: 64 px, 9 frames, a few thousand parameters; what the tests and CPU benchmarks run.
- ``full``: the published architectures at their real sizes (SDXL base with the ViT-bigG
  IP-Adapter image encoder; CogVideoX-5B-I2V with T5-XXL; FLUX.2 klein 4B with Qwen3-4B), for GPU timing and memory checks
  on a machine that cannot download the weights. Build these on the GPU (``device="cuda"``):
  initialising billions of parameters on a CPU takes minutes.

Tokenizers are built offline from a character (or byte) vocabulary; the text encoders still see
sequences of the real length (77 CLIP tokens, the preset's T5 length) because prompts are padded.
"""

from __future__ import annotations

import math
import string
from typing import Any, Literal

import torch
from pydantic import BaseModel

TINY_IMAGE_SIZE = 64
TINY_VIDEO_FRAMES = 9
TINY_TEXT_LENGTH = 16
_CHARACTERS = string.ascii_lowercase + string.digits + ".,'!?-"


class SdxlArchitecture(BaseModel):
    """Constructor arguments of each SDXL component (diffusers / transformers config names)."""

    unet: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    text_encoder_2: dict[str, Any]
    image_encoder: dict[str, Any]
    ip_adapter_gain: float | None = None
    """Random IP-Adapter projections are N(0, gain²); None: 1/√fan_in (variance-preserving)."""


class CogVideoXArchitecture(BaseModel):
    """Constructor arguments of each CogVideoX image-to-video component."""

    transformer: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    scheduler: Literal["ddim", "cogvideox-dpm"]


_TINY_CLIP_TEXT = dict(
    bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37,
    layer_norm_eps=1e-5, num_attention_heads=4, num_hidden_layers=2, vocab_size=128,
    hidden_act="gelu", projection_dim=32,
)

SDXL_ARCHITECTURES: dict[str, SdxlArchitecture] = {
    "tiny": SdxlArchitecture(
        unet=dict(
            block_out_channels=(32, 64), layers_per_block=1, sample_size=TINY_IMAGE_SIZE // 2,
            in_channels=4, out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=8, transformer_layers_per_block=(1, 1),
            projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + pooled text (32)
            cross_attention_dim=64, norm_num_groups=8,
        ),
        vae=dict(
            block_out_channels=[16, 32], in_channels=3, out_channels=3,
            down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
            latent_channels=4, norm_num_groups=8, sample_size=TINY_IMAGE_SIZE,
        ),
        text_encoder=_TINY_CLIP_TEXT,
        text_encoder_2=_TINY_CLIP_TEXT,
        image_encoder=dict(
            hidden_size=32, image_size=32, patch_size=8, projection_dim=32, intermediate_size=37,
            num_attention_heads=4, num_channels=3, num_hidden_layers=2,
        ),
        ip_adapter_gain=0.5,  # large enough that a reference visibly steers the tiny UNet (tests check it)
    ),
    # stabilityai/stable-diffusion-xl-base-1.0 + h94/IP-Adapter sdxl_models (ViT-bigG image encoder)
    "full": SdxlArchitecture(
        unet=dict(
            block_out_channels=(320, 640, 1280), layers_per_block=2, sample_size=128,
            in_channels=4, out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(5, 10, 20), use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=256, transformer_layers_per_block=(1, 2, 10),
            projection_class_embeddings_input_dim=2816,  # 6 time ids x 256 + pooled text (1280)
            cross_attention_dim=2048, norm_num_groups=32,
        ),
        vae=dict(
            block_out_channels=[128, 256, 512, 512], in_channels=3, out_channels=3,
            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
            latent_channels=4, layers_per_block=2, norm_num_groups=32, sample_size=1024,
            scaling_factor=0.13025, force_upcast=True,
        ),
        text_encoder=dict(  # CLIP ViT-L/14 text tower
            hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
            vocab_size=49408, max_position_embeddings=77, projection_dim=768, hidden_act="quick_gelu",
            bos_token_id=0, eos_token_id=1, pad_token_id=1,
        ),
        text_encoder_2=dict(  # OpenCLIP ViT-bigG/14 text tower
            hidden_size=1280, intermediate_size=5120, num_attention_heads=20, num_hidden_layers=32,
            vocab_size=49408, max_position_embeddings=77, projection_dim=1280, hidden_act="gelu",
            bos_token_id=0, eos_token_id=1, pad_token_id=1,
        ),
        image_encoder=dict(  # OpenCLIP ViT-bigG/14 vision tower
            hidden_size=1664, intermediate_size=8192, num_attention_heads=16, num_hidden_layers=48,
            patch_size=14, image_size=224, projection_dim=1280, hidden_act="gelu", num_channels=3,
        ),
    ),
}

COGVIDEOX_ARCHITECTURES: dict[str, CogVideoXArchitecture] = {
    "tiny": CogVideoXArchitecture(
        transformer=dict(
            num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4, time_embed_dim=2,
            text_embed_dim=32, num_layers=2, sample_width=TINY_IMAGE_SIZE // 8,
            sample_height=TINY_IMAGE_SIZE // 8, sample_frames=TINY_VIDEO_FRAMES, patch_size=2,
            temporal_compression_ratio=4, max_text_seq_length=TINY_TEXT_LENGTH,
            use_rotary_positional_embeddings=True, use_learned_positional_embeddings=True,
        ),
        vae=dict(
            in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
            up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
            layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
        ),
        text_encoder=dict(d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4, relative_attention_num_buckets=8),
        scheduler="ddim",
    ),
    # THUDM/CogVideoX-5b-I2V: 42 blocks x 48 heads x 64, image latents concatenated (32 input channels)
    "full": CogVideoXArchitecture(
        transformer=dict(
            num_attention_heads=48, attention_head_dim=64, in_channels=32, out_channels=16, time_embed_dim=512,
            text_embed_dim=4096, num_layers=42, sample_width=90, sample_height=60, sample_frames=49,
            patch_size=2, temporal_compression_ratio=4, max_text_seq_length=226,
            use_rotary_positional_embeddings=True, use_learned_positional_embeddings=True,
        ),
        vae=dict(scaling_factor=0.7),  # diffusers' defaults are the CogVideoX VAE
        text_encoder=dict(  # google/t5-v1_1-xxl encoder
            d_model=4096, d_ff=10240, d_kv=64, num_layers=24, num_heads=64, feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=32, relative_attention_max_distance=128, vocab_size=32128,
        ),
        scheduler="cogvideox-dpm",
    ),
}


class WanArchitecture(BaseModel):
    """Constructor arguments of each Wan image-to-video component (flow matching, (B, C, F, H, W) latents)."""

    transformer: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    image_encoder: dict[str, Any]
    flow_shift: float


WAN_ARCHITECTURES: dict[str, WanArchitecture] = {
    "tiny": WanArchitecture(
        transformer=dict(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36, out_channels=16,
            text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32, image_dim=4,
        ),
        vae=dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]),
        text_encoder=dict(d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4, relative_attention_num_buckets=8),
        image_encoder=dict(
            hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=32,
            intermediate_size=16, patch_size=1,
        ),
        flow_shift=3.0,
    ),
}


def clip_tokenizer():
    """A CLIP BPE tokenizer over single characters (no merges): every prompt maps to real ids."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for character in _CHARACTERS:
        vocab[character] = len(vocab)
        vocab[f"{character}</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def t5_tokenizer():
    """A T5 unigram tokenizer over characters, built without sentencepiece files."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(character, -3.0) for character in _CHARACTERS]
    pieces += [(f"▁{character}", -2.5) for character in _CHARACTERS]
    return T5Tokenizer(vocab=pieces, extra_ids=0)


def random_sdxl_pipeline(architecture: str = "tiny", *, seed: int = 0, device: str = "cpu", dtype=torch.float32):
    """StableDiffusionXLPipeline with random-weight UNet, VAE, both text encoders and a CLIP image encoder."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import (
        CLIPImageProcessor,
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    spec = SDXL_ARCHITECTURES[architecture]
    torch.manual_seed(seed)
    with torch.device(device):
        unet = UNet2DConditionModel(**spec.unet)
        vae = AutoencoderKL(**spec.vae)
        text_encoder = CLIPTextModel(CLIPTextConfig(**spec.text_encoder))
        text_encoder_2 = CLIPTextModelWithProjection(CLIPTextConfig(**spec.text_encoder_2))
        image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**spec.image_encoder))
    side = spec.image_encoder["image_size"]
    feature_extractor = CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side})
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="leading"
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=clip_tokenizer(),
        tokenizer_2=clip_tokenizer(),
        unet=unet,
        scheduler=scheduler,
        image_encoder=image_encoder,
        feature_extractor=feature_extractor,
    )
    return pipe.to(device, dtype)


def load_random_ip_adapters(pipe, architecture: str = "tiny", *, count: int = 2) -> None:
    """Load ``count`` random IP-Adapters (one per reference branch) into an SDXL pipeline."""
    spec = SDXL_ARCHITECTURES[architecture]
    embed_dim = spec.image_encoder["projection_dim"]
    adapters = [random_ip_adapter_state_dict(pipe.unet, embed_dim, seed=index, gain=spec.ip_adapter_gain) for index in range(count)]
    names = [f"random-{index}" for index in range(count)]
    pipe.load_ip_adapter(adapters, subfolder=[None] * count, weight_name=names, image_encoder_folder=None)


def random_ip_adapter_state_dict(
    unet, image_embed_dim: int, seed: int = 0, gain: float | None = None
) -> dict[str, dict[str, torch.Tensor]]:
    """An IP-Adapter checkpoint in the original (h94/IP-Adapter) layout, random weights, for ``unet``."""
    device = unet.device
    generator = torch.Generator(device=device).manual_seed(seed)

    def weight(rows: int, columns: int) -> torch.Tensor:
        scale = gain if gain is not None else 1 / math.sqrt(columns)
        return torch.randn(rows, columns, generator=generator, device=device) * scale

    cross_dim = unet.config.cross_attention_dim
    image_proj = {
        "proj.weight": weight(4 * cross_dim, image_embed_dim),
        "proj.bias": torch.zeros(4 * cross_dim, device=device),
        "norm.weight": torch.ones(cross_dim, device=device),
        "norm.bias": torch.zeros(cross_dim, device=device),
    }
    ip_adapter: dict[str, torch.Tensor] = {}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = unet.config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(unet.config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = unet.config.block_out_channels[int(name[len("down_blocks.")])]
        ip_adapter[f"{key_id}.to_k_ip.weight"] = weight(hidden, cross_dim)
        ip_adapter[f"{key_id}.to_v_ip.weight"] = weight(hidden, cross_dim)
        key_id += 2
    return {"image_proj": image_proj, "ip_adapter": ip_adapter}


def _random_t5_encoder(config: dict[str, Any], tokenizer):
    """A T5 encoder whose vocabulary covers ``tokenizer``, unless the config gives the real size."""
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(**{"vocab_size": len(tokenizer), "decoder_start_token_id": 0, **config}))


def random_cogvideox_i2v_pipeline(architecture: str = "tiny", *, seed: int = 0, device: str = "cpu", dtype=torch.float32):
    """CogVideoXImageToVideoPipeline with a random-weight transformer, 3-D VAE and T5 encoder."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDPMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )
    spec = COGVIDEOX_ARCHITECTURES[architecture]
    tokenizer = t5_tokenizer()
    torch.manual_seed(seed)
    with torch.device(device):
        transformer = CogVideoXTransformer3DModel(**spec.transformer)
        vae = AutoencoderKLCogVideoX(**spec.vae)
        text_encoder = _random_t5_encoder(spec.text_encoder, tokenizer)
    if spec.scheduler == "ddim":
        scheduler = DDIMScheduler()
    else:  # the released CogVideoX-5B-I2V scheduler
        scheduler = CogVideoXDPMScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
            num_train_timesteps=1000, prediction_type="v_prediction", rescale_betas_zero_snr=True,
            set_alpha_to_one=True, snr_shift_scale=1.0, timestep_spacing="trailing",
        )
    pipe = CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
    )
    return pipe.to(device, dtype)


def random_wan_i2v_pipeline(architecture: str = "tiny", *, seed: int = 0, device: str = "cpu", dtype=torch.float32):
    """WanImageToVideoPipeline with a random-weight transformer, Wan VAE, T5 encoder and CLIP image encoder."""
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline, WanTransformer3DModel
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    spec = WAN_ARCHITECTURES[architecture]
    tokenizer = t5_tokenizer()
    torch.manual_seed(seed)
    with torch.device(device):
        transformer = WanTransformer3DModel(**spec.transformer)
        vae = AutoencoderKLWan(**spec.vae)
        text_encoder = _random_t5_encoder(spec.text_encoder, tokenizer)
        image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**spec.image_encoder))
    side = spec.image_encoder["image_size"]
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=spec.flow_shift),
        image_processor=CLIPImageProcessor(crop_size=side, size=side), image_encoder=image_encoder,
    )
    return pipe.to(device, dtype)


class WanVACEArchitecture(BaseModel):
    """Constructor arguments of each Wan VACE component (flow matching, (B, C, F, H, W) latents; each
    reference picture becomes one more latent frame in front of the video's)."""

    transformer: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    scheduler: Literal["flow-euler", "unipc"]
    flow_shift: float


WAN_VACE_ARCHITECTURES: dict[str, WanVACEArchitecture] = {
    # diffusers' dummy components (tests/pipelines/wan/test_wan_vace.py), with this module's offline T5
    "tiny": WanVACEArchitecture(
        transformer=dict(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
            text_dim=32, freq_dim=256, ffn_dim=32, num_layers=3, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32, vace_layers=[0, 2],
            vace_in_channels=96,  # inactive + reactive video latents (2 x 16) + the 8x8 mask folded into channels (64)
        ),
        vae=dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]),
        text_encoder=dict(d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4, relative_attention_num_buckets=8),
        scheduler="flow-euler",
        flow_shift=3.0,
    ),
    # Wan-AI/Wan2.1-VACE-14B-diffusers, from diffusers' scripts/convert_wan_to_diffusers.py ("Wan-VACE-14B"):
    # 40 blocks x 40 heads x 128, FFN 13824, VACE blocks beside layers 0, 5, ..., 35 (17.34 B parameters, 3.05 B of
    # them VACE); the Wan 2.1 VAE (diffusers' AutoencoderKLWan defaults, 0.13 B); the UMT5-XXL encoder (5.68 B;
    # built as a T5 encoder of the same shapes); UniPC with flow sigmas, flow shift 3.0, as the conversion saves it.
    "full": WanVACEArchitecture(
        transformer=dict(
            patch_size=(1, 2, 2), num_attention_heads=40, attention_head_dim=128, in_channels=16, out_channels=16,
            text_dim=4096, freq_dim=256, ffn_dim=13824, num_layers=40, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", eps=1e-6, vace_layers=[0, 5, 10, 15, 20, 25, 30, 35], vace_in_channels=96,
        ),
        vae=dict(),  # diffusers' defaults are the Wan 2.1 VAE
        text_encoder=dict(  # google/umt5-xxl encoder
            d_model=4096, d_ff=10240, d_kv=64, num_layers=24, num_heads=64, feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=32, relative_attention_max_distance=128, vocab_size=256384,
        ),
        scheduler="unipc",
        flow_shift=3.0,
    ),
}


def random_wan_vace_pipeline(architecture: str = "tiny", *, seed: int = 0, device: str = "cpu", dtype=torch.float32):
    """WanVACEPipeline with a random-weight VACE transformer, Wan VAE and T5 encoder (in eval mode: no dropout)."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        UniPCMultistepScheduler,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )

    spec = WAN_VACE_ARCHITECTURES[architecture]
    tokenizer = t5_tokenizer()
    torch.manual_seed(seed)
    with torch.device(device):
        transformer = WanVACETransformer3DModel(**spec.transformer).eval()
        vae = AutoencoderKLWan(**spec.vae).eval()
        text_encoder = _random_t5_encoder(spec.text_encoder, tokenizer).eval()
    if spec.scheduler == "flow-euler":
        scheduler = FlowMatchEulerDiscreteScheduler(shift=spec.flow_shift)
    else:  # the released scheduler
        scheduler = UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=spec.flow_shift
        )
    pipe = WanVACEPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler)
    return pipe.to(device, dtype)


class Flux2KleinArchitecture(BaseModel):
    """Constructor arguments of each FLUX.2 [klein] component (flow matching, Qwen3 text encoder)."""

    transformer: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    """Qwen3Config arguments; the vocabulary follows the offline tokenizer unless given."""
    scheduler: dict[str, Any]
    is_distilled: bool = True
    """The step-distilled klein (4 steps, no classifier-free guidance), as released."""


# FLUX.2's scheduler (FLUX.2-dev's scheduler_config.json, which klein shares): dynamic shifting, the
# pipeline passes its empirical mu.
_FLUX2_SCHEDULER = dict(
    num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15,
    base_image_seq_len=256, max_image_seq_len=4096, time_shift_type="exponential",
)

FLUX2_KLEIN_ARCHITECTURES: dict[str, Flux2KleinArchitecture] = {
    # 64 px: a 2-block VAE (scale 2, 4 latent channels) patchified 2x2 into 16 transformer channels,
    # 16x16 tokens per picture; three Qwen3 layers feed the prompt embedding (3 x 16 = 48), as klein
    # stacks three layers of Qwen3-4B.
    "tiny": Flux2KleinArchitecture(
        transformer=dict(
            patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=48, timestep_guidance_channels=256,
            axes_dims_rope=(4, 4, 4, 4), guidance_embeds=False,
        ),
        vae=dict(
            in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 16), layers_per_block=1,
            latent_channels=4, norm_num_groups=4, sample_size=TINY_IMAGE_SIZE,
        ),
        text_encoder=dict(
            hidden_size=16, intermediate_size=32, num_hidden_layers=4, num_attention_heads=2, num_key_value_heads=2,
            head_dim=8, max_position_embeddings=512, tie_word_embeddings=True,
        ),
        scheduler=_FLUX2_SCHEDULER,
    ),
    # black-forest-labs/FLUX.2-klein-4B. Transformer: diffusers' scripts/convert_flux2_to_diffusers.py
    # ("klein-4b": 5 double + 20 single blocks, 24 heads x 128, joint_attention_dim 7680 = 3 x 2560).
    # VAE: AutoencoderKLFlux2's defaults (what that script converts the FLUX.2 VAE into; 32 latent
    # channels, 128 after 2x2 patchify). Text encoder: Qwen3-4B's published config.json (36 layers,
    # hidden 2560, 32 query / 8 key-value heads of 128, FFN 9728, vocabulary 151936, tied embeddings).
    "full": Flux2KleinArchitecture(
        transformer=dict(
            patch_size=1, in_channels=128, num_layers=5, num_single_layers=20, attention_head_dim=128,
            num_attention_heads=24, joint_attention_dim=7680, timestep_guidance_channels=256, mlp_ratio=3.0,
            axes_dims_rope=(32, 32, 32, 32), rope_theta=2000, eps=1e-6, guidance_embeds=False,
        ),
        vae=dict(),
        text_encoder=dict(
            hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
            num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, tie_word_embeddings=True,
            vocab_size=151936,
        ),
        scheduler=_FLUX2_SCHEDULER,
    ),
}

_QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)
"""Qwen3's chat layout, reduced to what Flux2KleinPipeline renders (one user turn, thinking off)."""


def qwen_tokenizer():
    """A byte-level BPE Qwen2 tokenizer built in memory: the 256 byte symbols plus word-initial letters
    as merges, Qwen's special tokens and a minimal chat template. Every text maps to real ids."""
    from tokenizers import pre_tokenizers
    from transformers import Qwen2TokenizerFast

    vocab = {"<|endoftext|>": 0}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    merges = []
    for letter in string.ascii_lowercase:  # "Ġ" is the byte-level space
        vocab[f"Ġ{letter}"] = len(vocab)
        merges.append(("Ġ", letter))
    tokenizer = Qwen2TokenizerFast(vocab=vocab, merges=merges, chat_template=_QWEN_CHAT_TEMPLATE)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.add_tokens(["<think>", "</think>"])
    return tokenizer


def random_flux2_klein_pipeline(architecture: str = "tiny", *, seed: int = 0, device: str = "cpu", dtype=torch.float32):
    """Flux2KleinPipeline with a random-weight transformer, FLUX.2 VAE and Qwen3 text encoder (in eval mode)."""
    from diffusers import AutoencoderKLFlux2, FlowMatchEulerDiscreteScheduler, Flux2KleinPipeline, Flux2Transformer2DModel
    from transformers import Qwen3Config, Qwen3ForCausalLM

    spec = FLUX2_KLEIN_ARCHITECTURES[architecture]
    tokenizer = qwen_tokenizer()
    text_config = Qwen3Config(**{"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, **spec.text_encoder})
    torch.manual_seed(seed)
    with torch.device(device):
        transformer = Flux2Transformer2DModel(**spec.transformer).eval()
        vae = AutoencoderKLFlux2(**spec.vae).eval()
        text_encoder = Qwen3ForCausalLM(text_config).eval()
    pipe = Flux2KleinPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**spec.scheduler), vae=vae, text_encoder=text_encoder,
        tokenizer=tokenizer, transformer=transformer, is_distilled=spec.is_distilled,
    )
    return pipe.to(device, dtype)
