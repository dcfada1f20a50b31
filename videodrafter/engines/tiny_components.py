"""Tiny random-weight components for the real pipeline classes, built from configs under a seed.

This is the diffusers test pattern: the same StableDiffusionXLPipeline (+ two IP-Adapters)
and CogVideoXImageToVideoPipeline code paths as the real presets, at 64 px, on CPU, with no
download. Tokenizers are built offline from a character vocabulary.
"""

from __future__ import annotations

import string

import torch

TINY_IMAGE_SIZE = 64
TINY_VIDEO_FRAMES = 9
TINY_TEXT_LENGTH = 16
_CHARACTERS = string.ascii_lowercase + string.digits + ".,'!?-"


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


def tiny_sdxl_pipeline(seed: int = 0):
    """StableDiffusionXLPipeline with tiny UNet/VAE/text encoders and a tiny CLIP image encoder."""
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import (
        CLIPImageProcessor,
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=TINY_IMAGE_SIZE // 2,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + pooled text (32)
        cross_attention_dim=64,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        block_out_channels=[16, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        norm_num_groups=8,
        sample_size=TINY_IMAGE_SIZE,
    )
    text_config = CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37,
        layer_norm_eps=1e-5, num_attention_heads=4, num_hidden_layers=2, vocab_size=128,
        hidden_act="gelu", projection_dim=32,
    )
    text_encoder = CLIPTextModel(text_config)
    text_encoder_2 = CLIPTextModelWithProjection(text_config)
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32, image_size=32, patch_size=8, projection_dim=32, intermediate_size=37,
            num_attention_heads=4, num_channels=3, num_hidden_layers=2,
        )
    )
    feature_extractor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
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
    return pipe


def tiny_ip_adapter_state_dict(unet, image_embed_dim: int = 32, seed: int = 0) -> dict[str, dict[str, torch.Tensor]]:
    """An IP-Adapter checkpoint in the original (h94/IP-Adapter) layout, random weights, for ``unet``."""
    generator = torch.Generator().manual_seed(seed)
    cross_dim = unet.config.cross_attention_dim
    image_proj = {
        "proj.weight": torch.randn(4 * cross_dim, image_embed_dim, generator=generator) * 0.5,
        "proj.bias": torch.zeros(4 * cross_dim),
        "norm.weight": torch.ones(cross_dim),
        "norm.bias": torch.zeros(cross_dim),
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
        # large enough that a reference visibly steers the tiny UNet (the tests check that it does)
        ip_adapter[f"{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross_dim, generator=generator) * 0.5
        ip_adapter[f"{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross_dim, generator=generator) * 0.5
        key_id += 2
    return {"image_proj": image_proj, "ip_adapter": ip_adapter}


def tiny_cogvideox_i2v_pipeline(seed: int = 0):
    """CogVideoXImageToVideoPipeline with a tiny transformer, 3-D VAE and T5 encoder (64 px, 9 frames)."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )
    from transformers import T5Config, T5EncoderModel

    latent_side = TINY_IMAGE_SIZE // 8
    torch.manual_seed(seed)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,
        in_channels=8,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=latent_side,
        sample_height=latent_side,
        sample_frames=TINY_VIDEO_FRAMES,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=TINY_TEXT_LENGTH,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    tokenizer = t5_tokenizer()
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer), d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4,
            relative_attention_num_buckets=8, decoder_start_token_id=0,
        )
    )
    return CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=DDIMScheduler()
    )
