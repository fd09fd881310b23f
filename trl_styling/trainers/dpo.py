"""Weighted DPO (paper 4.3 / App. E.3) with optional per-pair weights, which TRL's `DPOTrainer` lacks.

The loss of a window of pairs is ``sum_i w_i l_i / sum_i w_i`` with ``l_i`` the sigmoid DPO loss; the
denominator spans the gradient-accumulation window and all processes. Batches without a weight column go
through TRL's own loss (`DPOTrainer._compute_loss`), so an unweighted run is TRL's sigmoid DPO, including
`ld_alpha`, `use_weighting`, `loss_weights` and the MoE auxiliary loss. The weighted loss mirrors TRL's
(`loss_weights`, the MoE auxiliary loss and the same metrics) with the weighted mean in place of the mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from datasets import Dataset, IterableDataset
from trl import DPOConfig, DPOTrainer

from ..collator import StylingDataCollator
from ..losses import PER_PAIR_DPO_LOSSES, dpo_pair_losses, safe_divide
from ..vision_cache.training import attach_cached_features
from .common import StylingTrainerMixin, VisionCacheArguments
from .weighting import check_zero_weights, sum_over_processes


@dataclass
class StylingDPOConfig(VisionCacheArguments, DPOConfig):
    r"""
    Configuration for `StylingDPOTrainer`.

    Pair weights work with every loss type of TRL's `DPOTrainer` that has one loss per pair
    (`trl_styling.losses.PER_PAIR_DPO_LOSSES`: sigmoid, the paper's, and hinge, ipo, exo_pair, nca_pair, robust,
    bco_pair, sppo_hard, apo_zero, apo_down, discopop, sigmoid_norm), alone or mixed through `loss_weights`. With
    weights of 1 each equals TRL's loss. `aot`, `aot_unpaired` and `sft` have no per-pair loss: they are refused
    unless `pair_weight_column=None` (TRL's own loss then). The divergence is reverse KL. `label_smoothing` is used
    by 'robust' and 'exo_pair' only, as in TRL, and refused for the others, where it would do nothing. `beta` is the
    paper's searched hyper-parameter ({0.05, 0.1, 0.5}, 0.1 reported). `ld_alpha` and `use_weighting` work as in
    TRL when no dataset has pair weights; the trainer refuses them together with pair weights.

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

    def __post_init__(self) -> None:
        super().__post_init__()
        loss_types = list(self.loss_type)
        not_per_pair = [t for t in loss_types if t not in PER_PAIR_DPO_LOSSES]
        if not_per_pair and self.pair_weight_column is not None:
            raise ValueError(
                f"loss_type {not_per_pair} has no per-pair loss, so pair weights cannot reduce it (per-pair types: "
                f"{', '.join(PER_PAIR_DPO_LOSSES)}). Use a per-pair type, or set `pair_weight_column=None` to train "
                "every pair with weight 1 through TRL's own loss."
            )
        if self.f_divergence_type != "reverse_kl":
            raise ValueError(f"f_divergence_type must be 'reverse_kl', got {self.f_divergence_type!r}.")
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {self.label_smoothing}.")
        if self.label_smoothing != 0.0 and not {"robust", "exo_pair"} & set(loss_types):
            raise ValueError(
                f"label_smoothing={self.label_smoothing} would have no effect: of TRL's DPO losses only 'robust' and "
                f"'exo_pair' use it, and loss_type is {loss_types}. Set `label_smoothing=0.0`, or add one of them "
                "(e.g. `loss_type=['robust']` for noisy preference labels)."
            )


class StylingDPOTrainer(StylingTrainerMixin, DPOTrainer):
    """`DPOTrainer` whose sigmoid loss is a weighted mean over pairs (see the module docstring).

    Takes the same arguments as `DPOTrainer`; `args` must be a `StylingDPOConfig` or a plain
    `transformers.TrainingArguments` (converted, as TRL's `SFTTrainer` does). Every dataset with the config's
    `pair_weight_column` (given at construction or to `evaluate`) is weighted by it; the others weigh each pair 1.
    """

    _tag_names = ["trl", "dpo", "trl-styling"]
    _method_name = "DPO"
    config_class = StylingDPOConfig

    def __init__(
        self,
        model: Any,
        ref_model: Any = None,
        args: StylingDPOConfig | None = None,
        train_dataset: Dataset | IterableDataset | None = None,
        eval_dataset: Any = None,
        **kwargs: Any,
    ) -> None:
        args = self._resolve_args(model, args)
        column = args.pair_weight_column
        self._weighted = column is not None and train_dataset is not None and column in _columns(train_dataset)
        _check_weighted_datasets(args, {"train": train_dataset, **_named_splits(eval_dataset)})
        super().__init__(
            model, ref_model=ref_model, args=args, train_dataset=train_dataset, eval_dataset=eval_dataset, **kwargs
        )
        self._setup_vision_cache()
        if column is not None:  # carries the weights of any dataset that has them (eval datasets included)
            self.data_collator = StylingDataCollator(
                base_collator=self.data_collator, weight_column=column, require_weight=False
            )
        # The weighted loss divides by the whole window's summed weight, so Trainer must not divide it again; TRL's
        # unweighted loss is a per-micro-batch mean that Trainer divides by the accumulation steps.
        self.loss_is_scaled_for_ga = self._weighted
        self._num_items_in_batch: torch.Tensor | None = None

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        column = self.args.pair_weight_column
        if column is not None and column not in self._signature_columns:
            self._signature_columns = [*self._signature_columns, column]

    def evaluate(
        self,
        eval_dataset: Any = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        """Evaluates like `DPOTrainer.evaluate`; the pair weights of a dataset passed here are checked and used.

        Args:
            eval_dataset: A dataset (or a dict of them) to evaluate instead of `self.eval_dataset`. A `str` selects
                one of the datasets given at construction.
            ignore_keys: Keys of the model outputs to ignore.
            metric_key_prefix: Prefix of the metric names.

        Returns:
            The metrics.
        """
        if eval_dataset is not None and not isinstance(eval_dataset, str):
            _check_weighted_datasets(self.args, _named_splits(eval_dataset))
        return super().evaluate(
            eval_dataset=eval_dataset, ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix
        )

    def _get_num_items_in_batch(self, batch_samples: list, device: torch.device) -> torch.Tensor | int | None:
        # Sum of pair weights over the accumulation window and all processes (TRL's count without weights).
        column = self.args.pair_weight_column
        if not batch_samples or column is None or column not in batch_samples[0]:
            return super()._get_num_items_in_batch(batch_samples, device)
        total = sum(batch[column].sum().double() for batch in batch_samples)
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
        # TRL's `compute_loss` does not hand `num_items_in_batch` to `_compute_loss`; the weighted loss needs it.
        self._num_items_in_batch = num_items_in_batch
        try:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        finally:
            self._num_items_in_batch = None

    def _compute_loss(
        self, model: torch.nn.Module, inputs: dict[str, Any], return_outputs: bool
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        mode = "train" if self.model.training else "eval"
        column = self.args.pair_weight_column
        pair_weights = inputs.pop(column, None) if column is not None else None
        if self.args.use_vision_cache:  # policy and reference forwards both receive the cached features
            inputs = attach_cached_features(inputs)
        if pair_weights is None:  # every pair weighs 1: TRL's loss, metrics and MoE auxiliary loss as they are
            result = super()._compute_loss(model, inputs, return_outputs)
            self._metrics[mode]["pair_weights/mean"].append(1.0)
            return result
        return self._weighted_loss(model, inputs, pair_weights, return_outputs, mode)

    def _weighted_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        pair_weights: torch.Tensor,
        return_outputs: bool,
        mode: str,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """TRL's `_compute_loss` with each per-pair loss reduced by the pair weights instead of a mean."""
        num_items_in_batch = self._num_items_in_batch
        completion_mask = inputs["completion_mask"]
        model_kwargs = {
            k: v for k, v in inputs.items() if k not in {"completion_mask", "ref_chosen_logps", "ref_rejected_logps"}
        }
        model_kwargs["use_cache"] = False
        if self.aux_loss_enabled:  # MoE: the model returns `aux_loss` only when asked for the router logits
            model_kwargs["output_router_logits"] = True
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
        chosen_lengths, rejected_lengths = completion_mask.sum(dim=1).chunk(2, dim=0)
        weights = pair_weights.to(chosen_logratios.dtype)
        loss = 0.0
        for loss_type, loss_weight in zip(self.loss_types, self.loss_weights, strict=True):
            per_pair = dpo_pair_losses(
                loss_type,
                chosen_logratios,
                rejected_logratios,
                self.beta,
                label_smoothing=self.label_smoothing,
                chosen_lengths=chosen_lengths,
                rejected_lengths=rejected_lengths,
                discopop_tau=self.args.discopop_tau,
            )
            numerator = (per_pair * weights).sum()
            if num_items_in_batch is None:  # evaluation, or a single batch outside the training loop
                reduced = safe_divide(numerator, weights.sum())
            else:  # DDP averages gradients over processes; the denominator already spans all of them
                reduced = safe_divide(numerator, num_items_in_batch) * self.accelerator.num_processes
            loss = loss + reduced * loss_weight
        if self.aux_loss_enabled:
            # A per-micro-batch mean, like TRL's; Trainer does not divide this loss by the accumulation steps.
            steps = self.current_gradient_accumulation_steps if num_items_in_batch is not None else 1
            loss = loss + self.router_aux_loss_coef * outputs.aux_loss / steps
            self._metrics[mode]["aux_loss"].append(self.accelerator.gather_for_metrics(outputs.aux_loss).mean().item())
        self._log_pair_metrics(
            mode, inputs, outputs, chosen_logps, rejected_logps, chosen_logratios, rejected_logratios, weights
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
        outputs: Any,
        chosen_logps: torch.Tensor,
        rejected_logps: torch.Tensor,
        chosen_logratios: torch.Tensor,
        rejected_logratios: torch.Tensor,
        weights: torch.Tensor,
    ) -> None:
        """The metrics of TRL's `_compute_loss`, plus `pair_weights/mean`."""
        gather = self.accelerator.gather_for_metrics
        metrics = self._metrics[mode]
        shift_mask = inputs["completion_mask"][..., 1:]
        seq_len = shift_mask.size(1)
        total_tokens = gather(shift_mask.sum()).sum()
        entropy_sum = gather((outputs.entropy[:, -seq_len:].detach() * shift_mask).sum()).sum()
        metrics["entropy"].append((entropy_sum / total_tokens).item() if total_tokens > 0 else 0.0)
        if mode == "train":
            self._total_train_tokens += gather(inputs["attention_mask"].sum()).sum().item() // self._tp_size
        metrics["num_tokens"] = [self._total_train_tokens]

        chosen_mask, rejected_mask = shift_mask.bool().chunk(2, dim=0)
        chosen_logits, rejected_logits = outputs.mean_logits[:, -seq_len:].detach().chunk(2, dim=0)
        for name, logits, mask in (
            ("chosen", chosen_logits, chosen_mask),
            ("rejected", rejected_logits, rejected_mask),
        ):
            logits_sum = gather(logits[mask].sum()).sum().item()
            num_tokens = gather(mask.sum()).sum().item()
            metrics[f"logits/{name}"].append(logits_sum / num_tokens if num_tokens > 0 else 0.0)
        chosen_is_top1, _ = outputs.is_top1[:, -seq_len:].chunk(2, dim=0)
        num_correct = gather((chosen_is_top1 & chosen_mask).sum()).sum()
        num_chosen = gather(chosen_mask.sum()).sum()
        metrics["mean_token_accuracy"].append((num_correct / num_chosen).item() if num_chosen > 0 else 0.0)

        chosen_rewards = gather(self.beta * chosen_logratios.detach())
        rejected_rewards = gather(self.beta * rejected_logratios.detach())
        metrics["rewards/chosen"].append(chosen_rewards.mean().item())
        metrics["rewards/rejected"].append(rejected_rewards.mean().item())
        metrics["rewards/accuracies"].append((chosen_rewards > rejected_rewards).float().mean().item())
        metrics["rewards/margins"].append((chosen_rewards - rejected_rewards).mean().item())
        metrics["logps/chosen"].append(gather(chosen_logps.detach()).mean().item())
        metrics["logps/rejected"].append(gather(rejected_logps.detach()).mean().item())
        metrics["pair_weights/mean"].append(gather(weights.detach().float()).mean().item())


def _columns(dataset: Dataset | IterableDataset | Any) -> list[str]:
    names = getattr(dataset, "column_names", None)
    return list(names) if names else []


def _named_splits(dataset: Any) -> dict[str, Any]:
    if dataset is None or isinstance(dataset, str):
        return {}
    if isinstance(dataset, dict):
        return {f"eval/{key}": split for key, split in dataset.items()}
    return {"eval": dataset}


def _check_weighted_datasets(args: StylingDPOConfig, datasets: dict[str, Any]) -> None:
    """Checks the pair weights of every dataset that has them, and the settings that cannot go with them."""
    column = args.pair_weight_column
    if column is None:
        return
    weighted = [name for name, dataset in datasets.items() if dataset is not None and column in _columns(dataset)]
    if weighted and (args.ld_alpha is not None or args.use_weighting):
        raise ValueError(
            f"ld_alpha and use_weighting are not supported with per-pair weights, and the {', '.join(weighted)} "
            f"dataset has a {column!r} column (ld_alpha={args.ld_alpha}, use_weighting={args.use_weighting}). Leave "
            "them unset, or set `pair_weight_column=None` (or drop the column) to train without pair weights."
        )
    for name in weighted:
        if isinstance(datasets[name], Dataset):
            _check_pair_weights(datasets[name], column, name)


def _check_pair_weights(dataset: Dataset, column: str, name: str = "train") -> None:
    values = torch.tensor(list(dataset[column]), dtype=torch.float64)
    bad = (~torch.isfinite(values) | (values < 0)).nonzero().flatten()
    if len(bad):
        raise ValueError(
            f"Pair weights in {column!r} of the {name} dataset must be finite and >= 0; rows {bad[:5].tolist()} are "
            f"not (values {values[bad[:5]].tolist()}). Fix them or set `pair_weight_column=None`."
        )
    if not bool((values > 0).any()):
        raise ValueError(
            f"Every pair weight in {column!r} of the {name} dataset is 0, so training would not move the model. Fix "
            "the weights (e.g. `build_preference_pairs(weight_fn=...)`) or set `pair_weight_column=None`."
        )
    check_zero_weights(
        values,
        name,
        f"their {column!r} is 0. Check the weights (e.g. `build_preference_pairs(weight_fn=...)`).",
        unit="pairs",
    )
