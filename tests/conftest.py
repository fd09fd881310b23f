"""Shared pytest fixtures.

Model fixtures are session-scoped: each tiny checkpoint is built once per test session (seconds) into a
temporary directory and then loaded by whichever tests need it. Treat the directories as read-only;
a test that must modify a checkpoint should copy it first (``shutil.copytree``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trl_styling.testing import build_tiny_qwen3, build_tiny_qwen3_vl


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a tiny ``Qwen3ForCausalLM`` + tokenizer (seed 0), for ``AutoModelForCausalLM``."""
    return build_tiny_qwen3(tmp_path_factory.mktemp("tiny_qwen3"), seed=0)


@pytest.fixture(scope="session")
def tiny_vlm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a tiny ``Qwen3VLForConditionalGeneration`` + ``Qwen3VLProcessor`` (seed 0)."""
    return build_tiny_qwen3_vl(tmp_path_factory.mktemp("tiny_qwen3_vl"), seed=0)


@pytest.fixture(scope="session")
def tiny_moe_dir(tiny_lm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny ``Qwen3MoeForCausalLM`` (router logits on: TRL adds the load-balancing loss), tiny tokenizer."""
    import torch
    from transformers import AutoTokenizer, Qwen3MoeConfig, Qwen3MoeForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    config = Qwen3MoeConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        moe_intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        num_experts=4,
        num_experts_per_tok=2,
        output_router_logits=True,
        router_aux_loss_coef=0.5,  # large, so that a missing auxiliary loss shows in the parameters
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_qwen3_moe")
    Qwen3MoeForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
