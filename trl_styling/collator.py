"""`StylingDataCollator`: TRL's SFT collators plus a per-trajectory weight tensor.

The weight is computed once over the dataset (never per micro-batch) and travels as a column; this
collator only turns it into a ``(B,)`` float tensor next to ``input_ids`` / ``labels``. Text rows
arrive tokenized (by ``SFTTrainer``'s dataset preparation, with prompt tokens already at -100);
vision rows arrive raw (prompt/completion messages + images) and are processed on the fly by the
model's processor with completion-only labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase, ProcessorMixin
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling, DataCollatorForVisionLanguageModeling


@dataclass
class StylingDataCollator:
    """Collates trajectories for weighted training.

    Args:
        processing_class: a tokenizer (text planners) or a processor (vision planners). Ignored when
            ``base_collator`` is given.
        weight_column: the per-row weight to carry; rows without it raise a ``KeyError`` naming it,
            unless ``require_weight=False`` (then no weight tensor is produced).
        max_length: truncation length for vision rows (text rows are truncated during preparation).
        pad_to_multiple_of: padding granularity for text rows.
        chat_template: overrides the processor's chat template for vision rows.
        base_collator: an already-built collator to wrap (the trainers wrap the one TRL builds, so TRL's own
            pad-token resolution is kept; the DPO trainer wraps TRL's preference collator).
    """

    processing_class: PreTrainedTokenizerBase | ProcessorMixin | None = None
    weight_column: str = "weight"
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    chat_template: str | None = None
    require_weight: bool = True
    base_collator: Any = None
    _text: DataCollatorForLanguageModeling | None = field(default=None, init=False, repr=False)
    _vision: DataCollatorForVisionLanguageModeling | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.base_collator is None and self.processing_class is None:
            raise ValueError(
                "StylingDataCollator needs `processing_class` (a tokenizer or processor) or `base_collator`."
            )

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        weights = self._weights(examples)
        # Shallow copies: TRL's vision collator rewrites the rows it is given, and the weight is not a model input.
        examples = [{k: v for k, v in example.items() if k != self.weight_column} for example in examples]
        if "input_ids" in examples[0]:
            examples = [_with_completion_labels(example) for example in examples]
        if self.base_collator is not None:
            batch = self.base_collator(examples)
        elif "input_ids" in examples[0]:
            batch = self._text_collator()(examples)
        else:
            batch = self._vision_collator()(examples)
        if weights is not None:
            batch[self.weight_column] = weights
        return batch

    def _weights(self, examples: list[dict[str, Any]]) -> torch.Tensor | None:
        if self.weight_column not in examples[0]:
            if self.require_weight:
                raise KeyError(
                    f"Rows have no {self.weight_column!r} column. Weighted trainers add it from the reward column "
                    "before training; when collating by hand, add it or pass `require_weight=False`."
                )
            return None
        return torch.tensor([float(example[self.weight_column]) for example in examples], dtype=torch.float32)

    def _text_collator(self) -> DataCollatorForLanguageModeling:
        if self._text is None:
            tokenizer = getattr(self.processing_class, "tokenizer", self.processing_class)
            pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
            if pad_id is None:
                raise ValueError("The tokenizer has neither a pad nor an eos token; set `tokenizer.pad_token`.")
            self._text = DataCollatorForLanguageModeling(
                pad_token_id=pad_id, pad_to_multiple_of=self.pad_to_multiple_of
            )
        return self._text

    def _vision_collator(self) -> DataCollatorForVisionLanguageModeling:
        if self._vision is None:
            if not isinstance(self.processing_class, ProcessorMixin):
                raise ValueError(
                    "Rows are not tokenized (no 'input_ids'), so they need a multimodal processor; got "
                    f"{type(self.processing_class).__name__}. Pass the model's `AutoProcessor`."
                )
            self._vision = DataCollatorForVisionLanguageModeling(
                processor=self.processing_class,
                max_length=self.max_length,
                completion_only_loss=True,
                chat_template=self.chat_template,
            )
        return self._vision


def _with_completion_labels(example: dict[str, Any]) -> dict[str, Any]:
    """Builds completion-only labels for rows tokenized by hand (``completion_mask`` but no ``labels``)."""
    if "labels" in example or "completion_mask" not in example:
        return example
    labels = [
        tok if keep else -100 for tok, keep in zip(example["input_ids"], example["completion_mask"], strict=True)
    ]
    return {**example, "labels": labels}
