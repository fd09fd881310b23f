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
