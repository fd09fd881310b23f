"""`StylingSFTTrainer`: `SFTTrainer` with per-trajectory weights (S and R; base of RW and SW).

Only three things change with respect to TRL's `SFTTrainer`:

1. before TRL prepares the datasets, rows are filtered (judge failures, `min_reward`) and a weight column is
   computed over the *whole* dataset (`compute_weights`, overridden by RW and SW);
2. the weight column survives column pruning and reaches `compute_loss` through `StylingDataCollator`;
3. `compute_loss` reduces the per-token NLL with the weights (`trl_styling.losses`); its denominator is
   summed over the gradient-accumulation window and gathered over processes in `_get_num_items_in_batch`,
   so a batch of 8 and 4+4 with accumulation give the same gradient.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import torch
from datasets import Dataset, IterableDataset
from trl import SFTTrainer

from ..collator import StylingDataCollator
from ..losses import WeightKind, safe_divide, token_terms, weight_denominator, weighted_nll_terms
from ..vision_cache.training import attach_cached_features
from .common import StylingTrainerMixin
from .sft_config import StylingSFTConfig
from .weighting import WeightStatistics, prepare_weighted_dataset, sum_over_processes

logger = logging.getLogger(__name__)


class StylingSFTTrainer(StylingTrainerMixin, SFTTrainer):
    """Supervised training on scored trajectories with uniform weights (the paper's S, or R with `min_reward=3.5`).

    Takes the same arguments as `SFTTrainer`; `args` must be a `StylingSFTConfig` (or subclass).
    The datasets need the config's `reward_column` (unless `precomputed_weights=True`).
    """

    _tag_names = ["trl", "sft", "trl-styling"]
    _method_name = "S"
    config_class: type[StylingSFTConfig] = StylingSFTConfig
    weight_kind: WeightKind = "reward_weighted"
    # The loss is divided by the whole window's denominator, so Trainer must not divide it again.
    loss_is_scaled_for_ga = True

    def __init__(
        self,
        model: Any,
        args: StylingSFTConfig | None = None,
        data_collator: Any = None,
        train_dataset: Dataset | IterableDataset | None = None,
        eval_dataset: Dataset | IterableDataset | dict[str, Dataset | IterableDataset] | None = None,
        processing_class: Any = None,
        **kwargs: Any,
    ) -> None:
        args = self._resolve_args(model, args)
        if kwargs.get("compute_loss_func") is not None:
            raise ValueError(
                f"{type(self).__name__} does not support `compute_loss_func`: its loss is the weighted NLL of "
                "`trl_styling.losses`, which a custom loss function would silently replace. Remove "
                "`compute_loss_func`, or subclass the trainer and override `compute_loss`."
            )
        if train_dataset is None:
            raise ValueError(f"{type(self).__name__} needs a train_dataset with a {args.reward_column!r} column.")
        self.weight_statistics: dict[str, WeightStatistics] = {}
        # Fingerprints of the datasets that already carry computed weights, so `evaluate` does not weight them twice
        self._weighted_fingerprints: set[str] = set()
        train_dataset = self._prepare_weights(train_dataset, args, "train")
        if isinstance(eval_dataset, dict):
            eval_dataset = {key: self._prepare_weights(ds, args, f"eval/{key}") for key, ds in eval_dataset.items()}
        elif eval_dataset is not None:
            eval_dataset = self._prepare_weights(eval_dataset, args, "eval")

        super().__init__(
            model,
            args=args,
            data_collator=data_collator,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=processing_class,
            **kwargs,
        )
        self._setup_vision_cache()
        for dataset in [self.train_dataset, *_splits(self.eval_dataset)]:
            self._remember_weighted(dataset)
        if not isinstance(self.data_collator, StylingDataCollator):
            self.data_collator = StylingDataCollator(
                base_collator=self.data_collator, weight_column=args.weight_column
            )

    # ----- weights -------------------------------------------------------------------------------------------------
    def compute_weights(self, dataset: Dataset, args: StylingSFTConfig, rewards: torch.Tensor) -> torch.Tensor:
        """Per-row weights of a filtered dataset. S and R weight every trajectory equally.

        Args:
            dataset: The dataset after filtering (judge failures, `min_reward`).
            args: The trainer's config.
            rewards: Its rewards, validated once (float64, finite, one per row).

        Returns:
            One float64 weight per row.
        """
        return torch.ones(len(rewards), dtype=torch.float64)

    def explain_zero_weights(self, dataset: Dataset, args: StylingSFTConfig, weights: torch.Tensor) -> str:
        """Why rows of a filtered dataset got weight 0, and the fix; ends the all-zero error and the warning.

        Args:
            dataset: The filtered dataset the weights were computed on.
            args: The trainer's config.
            weights: The weights returned by `compute_weights`.

        Returns:
            One or two sentences naming the cause and the setting that fixes it.
        """
        return "check the rewards and the weighting settings."

    def _prepare_weights(
        self, dataset: Dataset | IterableDataset, args: StylingSFTConfig, name: str
    ) -> Dataset | IterableDataset:
        dataset, stats = prepare_weighted_dataset(
            dataset, args, name, self.compute_weights, self.weight_kind, self.explain_zero_weights
        )
        if stats is not None:
            self.weight_statistics[name] = stats
            logger.info("%s weights (%s): %s", type(self).__name__, name, stats)
        self._remember_weighted(dataset)
        return dataset

    def _remember_weighted(self, dataset: Any) -> None:
        fingerprint = getattr(dataset, "_fingerprint", None)
        if fingerprint is not None:
            self._weighted_fingerprints.add(fingerprint)

    def _prepare_eval_weights(self, dataset: Dataset | IterableDataset, name: str) -> Dataset | IterableDataset:
        if getattr(dataset, "_fingerprint", None) in self._weighted_fingerprints:
            return dataset  # weighted already (e.g. `trainer.eval_dataset` passed back in)
        return self._prepare_weights(dataset, self.args, name)

    # ----- evaluation ----------------------------------------------------------------------------------------------
    def evaluate(
        self,
        eval_dataset: Dataset | IterableDataset | dict[str, Dataset | IterableDataset] | str | None = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        """Evaluates like `SFTTrainer.evaluate`, weighting a dataset passed here as at construction.

        Args:
            eval_dataset: A dataset (or a dict of them) to evaluate instead of `self.eval_dataset`; it is filtered
                and weighted like the datasets given at construction. A `str` selects one of those.
            ignore_keys: Keys of the model outputs to ignore.
            metric_key_prefix: Prefix of the metric names (`"eval"`; `"eval_<key>"` for each key of a dict).

        Returns:
            The metrics.
        """
        if isinstance(eval_dataset, dict):
            metrics: dict[str, float] = {}
            for key, dataset in eval_dataset.items():
                metrics.update(
                    super().evaluate(
                        eval_dataset=self._prepare_eval_weights(dataset, f"eval/{key}"),
                        ignore_keys=ignore_keys,
                        metric_key_prefix=f"{metric_key_prefix}_{key}",
                    )
                )
            return metrics
        if eval_dataset is not None and not isinstance(eval_dataset, str):
            eval_dataset = self._prepare_eval_weights(eval_dataset, "eval")
        return super().evaluate(
            eval_dataset=eval_dataset, ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix
        )

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        extra = [self.args.weight_column]
        if self._is_vision_dataset:
            # TRL's vision signature drops `tools`, which would silently remove the tool specs from the prompts.
            extra += ["tools", "chat_template_kwargs"]
        self._signature_columns = [*self._signature_columns, *(c for c in extra if c not in self._signature_columns)]

    # ----- loss ----------------------------------------------------------------------------------------------------
    def _get_num_items_in_batch(self, batch_samples: list, device: torch.device) -> torch.Tensor | int | None:
        column = self.args.weight_column
        if not batch_samples or column not in batch_samples[0]:
            return super()._get_num_items_in_batch(batch_samples, device)
        total = sum(
            weight_denominator(
                batch["labels"][..., 1:] != -100, batch[column], self.weight_kind, self.args.loss_normalization
            )
            for batch in batch_samples
        )
        return sum_over_processes(total, self.accelerator, device)

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        mode = "train" if self.model.training else "eval"
        column = self.args.weight_column
        if column not in inputs:
            raise KeyError(
                f"The batch has no {column!r} entry; use StylingDataCollator (the default) as the collator."
            )
        weights = inputs.pop(column)
        if self.args.use_vision_cache:  # the collator's cached features become the model's mm_encoder_outputs
            inputs = attach_cached_features(inputs)
        inputs["use_cache"] = False
        if self.aux_loss_enabled:
            inputs["output_router_logits"] = True
        if self.args.fused_lm_head:
            outputs = model(**inputs, fused_lm_head=True)
        else:  # the same per-token terms from the full logits (faster for small vocabularies)
            labels = inputs.pop("labels")
            forward = model(**inputs)
            outputs = replace(token_terms(forward.logits, labels), aux_loss=getattr(forward, "aux_loss", None))
            inputs["labels"] = labels
        per_token_nll = -outputs.log_probs  # zero on ignored positions
        token_mask = outputs.label_mask
        numerator, local_denominator = weighted_nll_terms(
            per_token_nll, token_mask, weights, self.weight_kind, self.args.loss_normalization
        )
        if num_items_in_batch is None:  # evaluation, or a single batch outside the training loop
            loss = safe_divide(numerator, local_denominator)
        else:
            # DDP averages gradients over processes; the denominator already spans all of them.
            loss = safe_divide(numerator, num_items_in_batch) * self.accelerator.num_processes
        if self.aux_loss_enabled:
            steps = self.current_gradient_accumulation_steps if num_items_in_batch is not None else 1
            loss = loss + self.router_aux_loss_coef * outputs.aux_loss / steps
            self._metrics[mode]["aux_loss"].append(self.accelerator.gather_for_metrics(outputs.aux_loss).mean().item())
        self._log_step_metrics(mode, inputs, outputs, per_token_nll, token_mask, weights)

        if return_outputs:
            with torch.no_grad():
                outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
            return loss, outputs
        return loss

    def _log_step_metrics(
        self,
        mode: str,
        inputs: dict[str, Any],
        outputs: Any,
        per_token_nll: torch.Tensor,
        token_mask: torch.Tensor,
        weights: torch.Tensor,
    ) -> None:
        gather = self.accelerator.gather_for_metrics
        metrics = self._metrics[mode]
        num_valid = gather(token_mask.sum()).sum()
        denominator = num_valid.clamp(min=1)
        metrics["nll"].append((gather(per_token_nll.detach().sum()).sum() / denominator).item())
        if outputs.entropy is not None:
            metrics["entropy"].append((gather(outputs.entropy.detach().sum()).sum() / denominator).item())
        if outputs.is_top1 is not None:
            metrics["mean_token_accuracy"].append((gather(outputs.is_top1.sum()).sum() / denominator).item())
        all_weights = gather(weights.detach().float())
        metrics["weights/mean"].append(all_weights.mean().item())
        metrics["weights/min"].append(all_weights.min().item())
        metrics["weights/max"].append(all_weights.max().item())
        metrics["weights/nonzero_frac"].append((all_weights != 0).float().mean().item())
        if mode == "train":
            self._total_train_tokens += gather(inputs["attention_mask"].sum()).sum().item() // self._tp_size
            metrics["num_tokens"] = [self._total_train_tokens]


def _splits(dataset: Any) -> list[Any]:
    if dataset is None or isinstance(dataset, str):
        return []
    return list(dataset.values()) if isinstance(dataset, dict) else [dataset]
