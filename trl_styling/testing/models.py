"""Builders of tiny Qwen3 / Qwen3-VL checkpoints (offline, seconds, deterministic) and a test LoRA config."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl_styling.testing.templates import chat_template
from trl_styling.testing.tokenizer import VISION_SPECIAL_TOKENS, train_tiny_tokenizer

if TYPE_CHECKING:
    import peft
    from transformers import PreTrainedTokenizerFast

__all__ = ["build_tiny_qwen3", "build_tiny_qwen3_vl", "tiny_lora_config"]


def _seed_everything(seed: int) -> None:
    import torch

    # Only the global torch generator feeds ``nn.init``; seeding it is enough for CPU-determinism here.
    torch.manual_seed(seed)


def build_tiny_qwen3(
    path: str | Path,
    *,
    seed: int = 0,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 128,
    vocab_size: int = 1536,
    max_position_embeddings: int = 4096,
    corpus: Iterable[str] | None = None,
    whole_words: Iterable[str] = (),
) -> Path:
    """Write a tiny ``Qwen3ForCausalLM`` and its tokenizer to ``path`` and return it as a ``Path``.

    The checkpoint loads with ``AutoModelForCausalLM`` / ``AutoTokenizer``. ``vocab_size`` is the BPE
    target; the model's embedding matrix has exactly ``len(tokenizer)`` rows. Weights are tied (as in
    the small Qwen3 checkpoints) and stored in float32. ``corpus`` adds texts to the tokenizer's training
    corpus and ``whole_words`` become single tokens (see `train_tiny_tokenizer`).
    """
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    path = Path(path)
    tokenizer = train_tiny_tokenizer(vocab_size=vocab_size, corpus=corpus, whole_words=whole_words)
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        head_dim=hidden_size // num_heads,
        max_position_embeddings=max_position_embeddings,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0},  # Qwen3's base
        tie_word_embeddings=True,
        bos_token_id=tokenizer.pad_token_id,  # Qwen3 convention: <|endoftext|>, never prepended
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        dtype=torch.float32,
    )
    _seed_everything(seed)
    model = Qwen3ForCausalLM(config).eval()
    model.generation_config = _generation_config(GenerationConfig, tokenizer)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _generation_config(cls: Any, tokenizer: PreTrainedTokenizerFast) -> Any:
    # Greedy by default: tests want reproducible generations from an untrained model.
    return cls(
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )


def build_tiny_qwen3_vl(
    path: str | Path,
    *,
    seed: int = 0,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 128,
    vision_hidden_size: int = 32,
    vision_depth: int = 2,
    vision_num_heads: int = 2,
    vision_intermediate_size: int = 64,
    deepstack_visual_indexes: tuple[int, ...] = (0,),
    min_pixels: int = 32 * 32,
    max_pixels: int = 128 * 128,
    vocab_size: int = 1536,
    max_position_embeddings: int = 4096,
) -> Path:
    """Write a tiny ``Qwen3VLForConditionalGeneration`` and its ``Qwen3VLProcessor`` to ``path``.

    Vision: patch 16, spatial merge 2, temporal patch 2, so one image token covers 32x32 pixels; with the
    default ``min_pixels``/``max_pixels`` a 64x64 image gives 4 image tokens (16 patches) and anything larger
    is resized to at most 128x128 (16 tokens). The vision tower feeds the text layers through the merger
    and, for each index in ``deepstack_visual_indexes``, a deepstack merger.
    Loads with ``AutoModelForImageTextToText`` / ``AutoProcessor``.
    """
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    path = Path(path)
    if len(deepstack_visual_indexes) > num_layers or any(i >= vision_depth for i in deepstack_visual_indexes):
        raise ValueError("deepstack_visual_indexes must index vision blocks and not outnumber the text layers")
    tokenizer = train_tiny_tokenizer(vocab_size=vocab_size, vision=True)
    head_dim = hidden_size // num_heads
    if head_dim % 4:
        raise ValueError("hidden_size // num_heads must be a multiple of 4 for the interleaved M-RoPE sections")
    # M-RoPE splits head_dim/2 rotary frequencies over (t, h, w); half to time as in the real [24, 20, 20].
    half = head_dim // 2
    mrope_section = [half - 2 * (half // 4), half // 4, half // 4]
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in VISION_SPECIAL_TOKENS}
    config = Qwen3VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": hidden_size,
            "intermediate_size": intermediate_size,
            "num_hidden_layers": num_layers,
            "num_attention_heads": num_heads,
            "num_key_value_heads": num_kv_heads,
            "head_dim": head_dim,
            "max_position_embeddings": max_position_embeddings,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 5_000_000.0,
                "mrope_section": mrope_section,
                "mrope_interleaved": True,
            },
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        },
        vision_config={
            "depth": vision_depth,
            "hidden_size": vision_hidden_size,
            "intermediate_size": vision_intermediate_size,
            "num_heads": vision_num_heads,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": hidden_size,
            "num_position_embeddings": 64,  # an 8x8 learned grid, bilinearly resampled per image
            "deepstack_visual_indexes": list(deepstack_visual_indexes),
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        dtype=torch.float32,
    )
    _seed_everything(seed)
    model = Qwen3VLForConditionalGeneration(config).eval()
    model.generation_config = _generation_config(GenerationConfig, tokenizer)

    vision_kwargs: dict[str, Any] = {
        "patch_size": 16,
        "temporal_patch_size": 2,
        "merge_size": 2,
        "image_mean": [0.5, 0.5, 0.5],  # Qwen3-VL's normalisation (not CLIP's)
        "image_std": [0.5, 0.5, 0.5],
    }
    processor = Qwen3VLProcessor(
        image_processor=Qwen2VLImageProcessor(
            size={"shortest_edge": min_pixels, "longest_edge": max_pixels}, **vision_kwargs
        ),
        video_processor=Qwen3VLVideoProcessor(
            size={"shortest_edge": min_pixels, "longest_edge": max_pixels * 4}, **vision_kwargs
        ),
        tokenizer=tokenizer,
        chat_template=chat_template(vision=True),
    )
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def tiny_lora_config() -> peft.LoraConfig:
    """A small LoRA on the attention projections, for tests (the paper's is r=16, alpha=32, dropout .05)."""
    from peft import LoraConfig

    return LoraConfig(
        r=4,
        lora_alpha=8,
        lora_dropout=0.0,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        task_type="CAUSAL_LM",
    )
