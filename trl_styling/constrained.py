"""Grammar-constrained decoding for `HFPlanner` (``constrained=True``), on xgrammar.

The grammar itself (what a plan may be) is built in pure Python by `trl_styling.tools.grammar`; this module
compiles it against the planner's tokenizer and masks the logits of ``model.generate`` with it, so that every
generated plan parses and validates against the tool library as generated (nothing is rewritten afterwards).

**Why xgrammar.** It is a maintained structured-generation engine that takes exactly the two things needed
here: a grammar in EBNF (our compact text format is not JSON, so a JSON-schema-only engine would not do) and a
Hugging Face tokenizer, whose vocabulary (byte-level BPE, added whole-word tokens such as ``time_of_day``) it reads
on its own. It applies the grammar as a per-token bitmask over the logits, which is what transformers' ``generate``
takes as a logits processor (xgrammar even ships one, ``xgrammar.contrib.hf``), and the masks are precomputed per
grammar state, so the cost per generated token is a fraction of a millisecond even for the Complex library. It
installed here as a wheel next to the existing torch (its only new dependency is ``apache-tvm-ffi``), so the
fallbacks the project considered (``llguidance``, ``outlines``) were not needed. `GrammarLogitsProcessor`
is a small variant of ``xgrammar.contrib.hf.LogitsProcessor`` that raises instead of asserting, and
`compile_plan_grammar` keeps special tokens (which ``decode(skip_special_tokens=True)`` drops) out of the
grammar's text.

Install with ``pip install 'trl-styling[constrained]'``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from transformers import LogitsProcessor

if TYPE_CHECKING:
    import torch

    from trl_styling.tools.grammar import PlanGrammar

__all__ = ["GrammarLogitsProcessor", "compile_plan_grammar", "model_vocab_size", "require_xgrammar"]

INSTALL_HINT = "pip install 'trl-styling[constrained]'"


def require_xgrammar() -> Any:
    """The ``xgrammar`` module, or an ImportError that says how to install it."""
    try:
        import xgrammar
    except ImportError as e:
        raise ImportError(
            f"Constrained decoding (constrained=True) needs the xgrammar package; install the extra: {INSTALL_HINT}"
        ) from e
    return xgrammar


def model_vocab_size(model: Any, tokenizer: Any) -> int:
    """Rows of the model's output layer: the width of its logits (may exceed the tokenizer's vocabulary)."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is not None and getattr(head, "weight", None) is not None:
        return int(head.weight.shape[0])
    config = getattr(model, "config", None)
    config = getattr(config, "text_config", None) or config
    return int(getattr(config, "vocab_size", None) or len(tokenizer))


def compile_plan_grammar(
    grammar: PlanGrammar, tokenizer: Any, *, vocab_size: int, stop_token_ids: Iterable[int]
) -> Any:
    """``grammar`` compiled for ``tokenizer`` (an ``xgrammar.CompiledGrammar``; reusable across generations).

    Special tokens other than the stop tokens get no text, so the grammar never allows them: they would vanish
    from the decoded plan and leave a text the grammar did not derive. Logit rows beyond the tokenizer (padding of
    the output layer) get no text either.
    """
    xgr = require_xgrammar()
    stops = sorted({int(t) for t in stop_token_ids if t is not None})
    if not stops:
        raise ValueError("constrained decoding needs an end-of-sequence token id (none in the generation config).")
    detected = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=stops)
    special = {int(i) for i in getattr(tokenizer, "all_special_ids", ())}
    special |= {int(i) for i, token in getattr(tokenizer, "added_tokens_decoder", {}).items() if token.special}
    vocabulary = [b"" if i in special and i not in stops else token for i, token in enumerate(detected.decoded_vocab)]
    vocabulary += [b""] * (vocab_size - len(vocabulary))
    info = xgr.TokenizerInfo(vocabulary[:vocab_size], xgr.VocabType.RAW, vocab_size=vocab_size, stop_token_ids=stops)
    threads = max(1, min(8, os.cpu_count() or 1))  # xgrammar's default of 8 oversubscribes small machines
    return xgr.GrammarCompiler(info, max_threads=threads, cache_enabled=False).compile_grammar(grammar.ebnf)


class GrammarLogitsProcessor(LogitsProcessor):
    """Masks every token the grammar does not allow next. One instance per ``generate`` call (it keeps state)."""

    def __init__(self, compiled_grammar: Any) -> None:
        self.xgr = require_xgrammar()
        self.compiled_grammar = compiled_grammar
        self.vocab_size = compiled_grammar.tokenizer_info.vocab_size
        self.matchers: list[Any] = []
        self.bitmask: Any = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        xgr = self.xgr
        if not self.matchers:  # first step: nothing generated yet
            self.matchers = [xgr.GrammarMatcher(self.compiled_grammar) for _ in range(input_ids.shape[0])]
            self.bitmask = xgr.allocate_token_bitmask(input_ids.shape[0], self.vocab_size)
        else:
            for row, matcher in enumerate(self.matchers):
                if matcher.is_terminated():
                    continue  # finished rows only receive padding
                token = int(input_ids[row, -1])
                if not matcher.accept_token(token):
                    raise RuntimeError(
                        f"token {token} was generated although the plan grammar masked it; another logits "
                        "processor must have changed the masked scores"
                    )
        for row, matcher in enumerate(self.matchers):
            if not matcher.is_terminated():
                matcher.fill_next_token_bitmask(self.bitmask, row)
        device = scores.device
        # xgrammar's kernels run on CPU and CUDA tensors; others (mps) take the round trip through the CPU
        target = scores if device.type in ("cpu", "cuda") else scores.to("cpu")
        xgr.apply_token_bitmask_inplace(target, self.bitmask.to(target.device), vocab_size=self.vocab_size)
        return target if target is scores else target.to(device)
