"""A tiny Stable Diffusion pipeline built from configs (offline, seconds, deterministic), for backend tests.

Like diffusers' own pipeline tests, every component is initialised from a small config (a two-block UNet,
a two-block VAE, a two-layer CLIP text encoder) -- but the tokenizer is built here too (a byte-level
character vocabulary, no Hub). The directory is laid out like a Hub repository (``model_index.json`` plus
one folder per component), so ``DiffusionPipeline.from_pretrained(path)`` and the ``AutoPipelineFor*``
classes load it: a text-to-image ``StableDiffusionPipeline``, or its image-to-image sibling through
``AutoPipelineForImage2Image``. It draws noise, not pictures; what it checks is the plumbing.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_tiny_stable_diffusion", "tiny_clip_tokenizer"]

_CROSS_ATTENTION_DIM = 32


def _byte_level_alphabet() -> list[str]:
    # GPT-2/CLIP byte-level encoding: printable bytes map to themselves, the others to unused code points.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    shift = 0
    alphabet = {}
    for byte in range(256):
        if byte in printable:
            alphabet[byte] = chr(byte)
        else:
            alphabet[byte] = chr(256 + shift)
            shift += 1
    return [alphabet[b] for b in range(256)]


def tiny_clip_tokenizer(model_max_length: int = 16):  # noqa: ANN201 - transformers.CLIPTokenizer
    """A character-level ``CLIPTokenizer``: every byte alone and as a word end (``</w>``), no merges."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in _byte_level_alphabet():
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=model_max_length)


def build_tiny_stable_diffusion(path: str | Path, *, seed: int = 0, sample_size: int = 32) -> Path:
    """Write a tiny ``StableDiffusionPipeline`` to ``path`` (float32) and return it as a ``Path``.

    The VAE downsamples by 2, so image sides must be multiples of 8 (the pipeline's own check). Same
    arguments, same weights: every component is initialised after ``torch.manual_seed(seed)``.
    """
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    path = Path(path)
    tokenizer = tiny_clip_tokenizer()
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=sample_size // 2,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=_CROSS_ATTENTION_DIM,
        attention_head_dim=4,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=sample_size,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=_CROSS_ATTENTION_DIM,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=tokenizer.model_max_length,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipeline = StableDiffusionPipeline(
        vae=vae.eval(),
        text_encoder=text_encoder.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(path)
    return path
