"""Weighted DPO (paper 4.3 / App. E.3) with optional per-pair weights, which TRL's `DPOTrainer` lacks.

The loss of a window of pairs is ``sum_i w_i l_i / sum_i w_i`` with ``l_i`` the sigmoid DPO loss; the
denominator spans the gradient-accumulation window and all processes. Without a weight column every pair
weighs 1, which is TRL's sigmoid DPO loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from datasets import Dataset, IterableDataset
from trl import DPOConfig, DPOTrainer

from ..collator import StylingDataCollator
from ..losses import safe_divide, weighted_sigmoid_dpo_loss
from ..vision_cache.training import attach_cached_features, check_vision_cache_args, setup_trainer_vision_cache
from .weighting import sum_over_processes


@dataclass
class StylingDPOConfig(DPOConfig):
    r"""
    Configuration for [`StylingDPOTrainer`].

    Only the paper's sigmoid loss with the reverse-KL divergence is supported (TRL's other loss types have no
    per-pair form here); `beta` is the paper's searched hyper-parameter ({0.05, 0.1, 0.5}, 0.1 reported).

    Parameters:
        pair_weight_column (`str` or `None`, *optional*, defaults to `"weight"`):
            Column with a non-negative weight per pair (e.g. the reward gap written by
            `trl_styling.data.build_preference_pairs`). `None`, or a dataset without the column, weighs every
            pair 1.
        use_vision_cache (`bool`, *optional*, defaults to `False`):
            Feed the features stored in `vision_cache_path` instead of running the vision tower (paper App. E.6),
            for the policy and the reference model. The vision tower is frozen; pixels are not preprocessed.
        vision_cache_path (`str` or `None`, *optional*, defaults to `None`):
            HDF5 file written by `trl_styling.vision_cache.build_vision_cache` for this model and processor.
    """

    pair_weight_column: str | None = field(
        default="weight", metadata={"help": "Column with a non-negative weight per pair; None weighs pairs equally."}
    )
    # Vision-feature cache (trl_styling.vision_cache); the same two fields exist on StylingSFTConfig.
    use_vision_cache: bool = field(
        default=False, metadata={"help": "Train from cached vision features (frozen vision tower, paper App. E.6)."}
    )
    vision_cache_path: str | None = field(
        default=None, metadata={"help": "HDF5 cache written by trl_styling.vision_cache.build_vision_cache."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if list(self.loss_type) != ["sigmoid"]:
            raise ValueError(
                f"StylingDPOConfig supports loss_type=['sigmoid'] (the paper's DPO), got {self.loss_type}. Use TRL's "
                "DPOTrainer for the other losses (they have no per-pair weights)."
            )
        if self.f_divergence_type != "reverse_kl":
            raise ValueError(f"f_divergence_type must be 'reverse_kl', got {self.f_divergence_type!r}.")
        if self.ld_alpha is not None or self.use_weighting:
            raise ValueError("ld_alpha and use_weighting are not supported with per-pair weights; leave them unset.")
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {self.label_smoothing}.")
        check_vision_cache_args(self)


class StylingDPOTrainer(DPOTrainer):
    """[`~trl.DPOTrainer`] whose sigmoid loss is a weighted mean over pairs (see the module docstring)."""

    _tag_names = ["trl", "dpo", "trl-styling"]
    loss_is_scaled_for_ga = True

    def __init__(
        self,
        model: Any,
        ref_model: Any = None,
        args: StylingDPOConfig | None = None,
        train_dataset: Dataset | IterableDataset | None = None,
        eval_dataset: Any = None,
        **kwargs: Any,
    ) -> None:
        if args is None:
            model_name = model if isinstance(model, str) else model.config._name_or_path
            args = StylingDPOConfig(f"{str(model_name).rstrip('/').split('/')[-1]}-DPO")
        elif not isinstance(args, StylingDPOConfig):
            raise TypeError(f"StylingDPOTrainer needs a StylingDPOConfig, got {type(args).__name__}.")
        column = args.pair_weight_column
        self._weighted = column is not None and train_dataset is not None and column in _columns(train_dataset)
        if self._weighted and isinstance(train_dataset, Dataset):
            _check_pair_weights(train_dataset, column)
        super().__init__(
            model, ref_model=ref_model, args=args, train_dataset=train_dataset, eval_dataset=eval_dataset, **kwargs
        )
        if args.use_vision_cache:  # cached vision features instead of the vision tower (trl_styling.vision_cache)
            self.vision_cache = setup_trainer_vision_cache(self)
        if self._weighted:
            self.data_collator = StylingDataCollator(
                base_collator=self.data_collator, weight_column=column, require_weight=False
            )

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        column = self.args.pair_weight_column
        if self._weighted and column not in self._signature_columns:
            self._signature_columns = [*self._signature_columns, column]

    def _get_num_items_in_batch(self, batch_samples: list, device: torch.device) -> torch.Tensor:
        # Sum of pair weights (or number of pairs) over the accumulation window and all processes.
        column = self.args.pair_weight_column
        total = sum(
            batch[column].sum().double() if self._weighted and column in batch else batch["input_ids"].shape[0] / 2
            for batch in batch_samples
        )
        return sum_over_processes(total, self.accelerator, device)

    def compute_ref_log_probs(self, model: Any, inputs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = {k: v for k, v in inputs.items() if k != self.args.pair_weight_column}
        return super().compute_ref_log_probs(model, inputs)

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        mode = "train" if self.model.training else "eval"
        pair_weights = inputs.pop(self.args.pair_weight_column, None) if self.args.pair_weight_column else None
        if self.args.use_vision_cache:  # policy and reference forwards both receive the cached features
            inputs = attach_cached_features(inputs)
        completion_mask = inputs["completion_mask"]
        model_kwargs = {
            k: v for k, v in inputs.items() if k not in {"completion_mask", "ref_chosen_logps", "ref_rejected_logps"}
        }
        model_kwargs["use_cache"] = False
        labels = inputs["input_ids"].masked_fill(completion_mask == 0, -100)
        outputs = model(**model_kwargs, labels=labels, fused_lm_head=True)
        seq_len = completion_mask.size(1) - 1
        # Prompt-learning PEFT prepends virtual tokens to the outputs; keep the positions of the real tokens.
        chosen_logps, rejected_logps = outputs.log_probs[:, -seq_len:].sum(dim=1).chunk(2, dim=0)

        if self.precompute_ref_logps:
            ref_chosen_logps, ref_rejected_logps = inputs["ref_chosen_logps"], inputs["ref_rejected_logps"]
        else:
            ref_model = self.ref_model if self.ref_model is not None else self.model
            ref_chosen_logps, ref_rejected_logps = self.compute_ref_log_probs(ref_model, inputs)

        chosen_logratios = chosen_logps - ref_chosen_logps
        rejected_logratios = rejected_logps - ref_rejected_logps
        per_pair = weighted_sigmoid_dpo_loss(chosen_logratios, rejected_logratios, self.beta, self.label_smoothing)
        weights = torch.ones_like(per_pair) if pair_weights is None else pair_weights.to(per_pair.dtype)
        numerator = (per_pair * weights).sum()
        if num_items_in_batch is None:
            loss = safe_divide(numerator, weights.sum())
        else:
            loss = safe_divide(numerator, num_items_in_batch) * self.accelerator.num_processes
        self._log_pair_metrics(
            mode, inputs, chosen_logps, rejected_logps, chosen_logratios, rejected_logratios, weights
        )
        if return_outputs:
            with torch.no_grad():
                outputs = model(**model_kwargs)
            return loss, outputs
        return loss

    def _log_pair_metrics(
        self,
        mode: str,
        inputs: dict[str, Any],
        chosen_logps: torch.Tensor,
        rejected_logps: torch.Tensor,
        chosen_logratios: torch.Tensor,
        rejected_logratios: torch.Tensor,
        weights: torch.Tensor,
    ) -> None:
        gather = self.accelerator.gather_for_metrics
        metrics = self._metrics[mode]
        chosen_rewards = gather(self.beta * chosen_logratios.detach())
        rejected_rewards = gather(self.beta * rejected_logratios.detach())
        metrics["rewards/chosen"].append(chosen_rewards.mean().item())
        metrics["rewards/rejected"].append(rejected_rewards.mean().item())
        metrics["rewards/accuracies"].append((chosen_rewards > rejected_rewards).float().mean().item())
        metrics["rewards/margins"].append((chosen_rewards - rejected_rewards).mean().item())
        metrics["logps/chosen"].append(gather(chosen_logps.detach()).mean().item())
        metrics["logps/rejected"].append(gather(rejected_logps.detach()).mean().item())
        metrics["pair_weights/mean"].append(gather(weights.detach().float()).mean().item())
        if mode == "train":
            self._total_train_tokens += gather(inputs["attention_mask"].sum()).sum().item() // self._tp_size
            metrics["num_tokens"] = [self._total_train_tokens]


def _columns(dataset: Dataset | IterableDataset | Any) -> list[str]:
    names = getattr(dataset, "column_names", None)
    return list(names) if names else []


def _check_pair_weights(dataset: Dataset, column: str) -> None:
    values = torch.tensor(list(dataset[column]), dtype=torch.float64)
    bad = (~torch.isfinite(values) | (values < 0)).nonzero().flatten()
    if len(bad):
        raise ValueError(
            f"Pair weights in {column!r} must be finite and >= 0; rows {bad[:5].tolist()} are not "
            f"(values {values[bad[:5]].tolist()}). Fix them or set `pair_weight_column=None`."
        )
    if not bool((values > 0).any()):
        raise ValueError(f"Every pair weight in {column!r} is 0, so training would not move the model.")
