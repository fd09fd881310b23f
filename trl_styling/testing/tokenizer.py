"""A byte-level BPE tokenizer trained locally on the embedded corpus, with the chat special tokens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from trl_styling.testing.corpus import tiny_corpus
from trl_styling.testing.templates import chat_template

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

__all__ = ["CHAT_SPECIAL_TOKENS", "MARKUP_TOKENS", "VISION_SPECIAL_TOKENS", "train_tiny_tokenizer"]


# Special tokens: never produced by BPE, skipped by ``decode(skip_special_tokens=True)``.
CHAT_SPECIAL_TOKENS: tuple[str, ...] = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
VISION_SPECIAL_TOKENS: tuple[str, ...] = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")
# Added but not special (as in Qwen3): they survive ``skip_special_tokens=True`` so that reasoning and
# tool calls can still be parsed from decoded text.
MARKUP_TOKENS: tuple[str, ...] = (
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
)


def train_tiny_tokenizer(
    *,
    vocab_size: int = 1536,
    vision: bool = False,
    corpus: Iterable[str] | None = None,
    whole_words: Iterable[str] = (),
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on the embedded corpus and wrap it with the chat template.

    ``corpus`` adds texts to the embedded corpus (e.g. a dataset's prompts and plans), so that a planner
    built for that data gets a tokenizer as compact on it as a pretrained one would be.

    ``whole_words`` (e.g. `identifiers`) become single tokens wherever they
    stand as a whole word (``_`` counts as a boundary, so ``target_location`` stays whole but ``location`` inside
    it is not split off unless ``location`` is itself listed); they are ordinary (not special) tokens, so
    decoding gives back the exact text.

    Special tokens take the first ids (``<|endoftext|>`` 0, ``<|im_start|>`` 1, ``<|im_end|>`` 2, then the
    vision tokens 3-6 when ``vision=True``); the markup tokens (``<think>``, ``<tool_call>``, ...) and the whole
    words come last.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    special = list(CHAT_SPECIAL_TOKENS) + (list(VISION_SPECIAL_TOKENS) if vision else [])
    tok = Tokenizer(models.BPE())
    # Every "\n" is its own pre-token: the generation prompt ends in "\n", so no merge can straddle the
    # prompt/completion boundary and prompt tokens stay a prefix of prompt+completion tokens.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex("\n"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[AddedToken(t, special=True, normalized=False) for t in special],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = tiny_corpus() if corpus is None else [*tiny_corpus(), *corpus]
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in MARKUP_TOKENS])
    words = [w for w in dict.fromkeys(whole_words) if tok.token_to_id(w) is None]
    tok.add_tokens([AddedToken(w, special=False, normalized=False, single_word=True) for w in words])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        # registered as special so that decode(skip_special_tokens=True) drops the chat/vision markup
        extra_special_tokens=[t for t in special if t not in ("<|endoftext|>", "<|im_end|>")],
        chat_template=chat_template(vision=vision),
        model_max_length=4096,
        padding_side="right",
        split_special_tokens=False,
    )
