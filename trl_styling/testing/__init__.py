"""Tiny, locally built models for tests and the hermetic styling world.

Nothing here touches the network: each builder trains a small byte-level BPE tokenizer on an embedded,
generated corpus (the styling vocabularies, tool and plan words, JSON punctuation, generic English),
initialises a model from a config with a fixed seed, and writes a regular checkpoint directory that
the ``Auto*`` classes load. Same arguments, same files, byte for byte.

* `build_tiny_qwen3` -- a ``Qwen3ForCausalLM`` planner plus a ``PreTrainedTokenizerFast``.
* `build_tiny_qwen3_vl` -- a ``Qwen3VLForConditionalGeneration`` plus a ``Qwen3VLProcessor``.
* `tiny_lora_config` -- a small ``peft.LoraConfig`` on the attention projections.

Both tokenizers carry a Qwen3-style chat template written for this project (`chat_template`):
``<|im_start|>role\\n...<|im_end|>\\n`` turns, tools in the system turn, ``reasoning_content`` as a
``<think>`` block, ``tool_calls`` as ``<tool_call>`` JSON, and ``{% generation %}`` markers around
what the assistant writes (``<|im_end|>`` included, so the model learns to stop).
"""

from __future__ import annotations

from trl_styling.testing.models import build_tiny_qwen3, build_tiny_qwen3_vl, tiny_lora_config
from trl_styling.testing.templates import chat_template
from trl_styling.testing.tokenizer import (
    CHAT_SPECIAL_TOKENS,
    MARKUP_TOKENS,
    VISION_SPECIAL_TOKENS,
    train_tiny_tokenizer,
)

__all__ = [
    "CHAT_SPECIAL_TOKENS",
    "MARKUP_TOKENS",
    "VISION_SPECIAL_TOKENS",
    "build_tiny_qwen3",
    "build_tiny_qwen3_vl",
    "chat_template",
    "tiny_lora_config",
    "train_tiny_tokenizer",
]
