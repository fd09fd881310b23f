"""Dataset loading and model loading shared by the example scripts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from datasets import Dataset

from trl_styling.data import (
    build_preference_pairs,
    load_styling_dataset,
    reward_statistics,
    to_prompt_completion_dataset,
)
from trl_styling.scripts_support.arguments import PairArguments, StylingScriptArguments


def load_trajectory_split(script_args: StylingScriptArguments, split: str) -> Dataset:
    """One validated split of the script's dataset (first ``max_train_samples`` rows for the train split)."""
    data = load_styling_dataset(
        script_args.dataset_name, variant=script_args.dataset_variant, revision=script_args.dataset_revision
    )
    if split not in data:
        raise KeyError(f"Split {split!r} is not in {script_args.dataset_name}; it has {list(data)}.")
    part = data[split]
    if split == script_args.dataset_train_split and script_args.max_train_samples is not None:
        part = part.select(range(min(script_args.max_train_samples, len(part))))
    if len(part) == 0:
        raise ValueError(f"Split {split!r} of {script_args.dataset_name} is empty; choose another split.")
    return part


def dataset_variant(trajectories: Dataset, script_args: StylingScriptArguments) -> str | None:
    """The variant named by the arguments, else the one the rows carry (None when mixed)."""
    if script_args.dataset_variant:
        return script_args.dataset_variant
    variants = set(trajectories.unique("variant")) - {""}
    return variants.pop() if len(variants) == 1 else None


def prompt_completion(trajectories: Dataset, script_args: StylingScriptArguments) -> Dataset:
    """Trajectories -> TRL prompt-completion rows (keeps reward and group_id for the weighted trainers)."""
    return to_prompt_completion_dataset(trajectories, None, prompt=script_args.prompt)


def preference_pairs(trajectories: Dataset, script_args: StylingScriptArguments, pair_args: PairArguments) -> Dataset:
    """Preference pairs within groups; fails with the thresholds and the reward statistics when there are none."""
    pairs = build_preference_pairs(
        trajectories,
        chosen_min=pair_args.chosen_min,
        rejected_max=pair_args.rejected_max,
        min_gap=pair_args.min_gap,
        strategy=pair_args.pair_strategy,
        seed=pair_args.pair_seed,  # type: ignore[arg-type]
        max_pairs_per_group=pair_args.max_pairs_per_group,
        weight_fn=pair_args.pair_weight,
        prompt=script_args.prompt,
    )
    if len(pairs) == 0:
        stats = reward_statistics(trajectories)
        raise ValueError(
            f"No preference pairs: no group has a reward >= chosen_min={pair_args.chosen_min} and another "
            f"< rejected_max={pair_args.rejected_max} at least min_gap={pair_args.min_gap} apart (rewards: mean "
            f"{stats['mean']}, min {stats['min']}, max {stats['max']}). Loosen the thresholds."
        )
    return pairs


def model_init_kwargs(model_args: Any, training_args: Any) -> dict[str, Any]:
    """TRL's ``model_init_kwargs`` from a ``trl.ModelConfig`` (as trl/scripts/sft.py builds them)."""
    kwargs = dict(
        revision=model_args.model_revision,
        trust_remote_code=training_args.trust_remote_code,
        attn_implementation=model_args.attn_implementation,
        dtype=model_args.dtype,
    )
    kwargs.update(training_args.model_init_kwargs or {})
    return kwargs


def load_planner_model(model_dir: str | os.PathLike) -> tuple[Any, Any]:
    """(model, processor) of a trained planner directory: a full model or a PEFT adapter (merged), LM or VLM."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

    model_dir = Path(model_dir)
    adapter = model_dir / "adapter_config.json"
    base = json.loads(adapter.read_text())["base_model_name_or_path"] if adapter.is_file() else str(model_dir)
    config = AutoConfig.from_pretrained(base)
    is_vision = hasattr(config, "vision_config")
    model_cls = AutoModelForImageTextToText if is_vision else AutoModelForCausalLM
    model = model_cls.from_pretrained(base)
    if adapter.is_file():
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(model_dir)).merge_and_unload()
    processor = AutoProcessor.from_pretrained(str(model_dir))
    return model.eval(), processor
