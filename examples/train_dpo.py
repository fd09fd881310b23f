"""Weighted DPO (the paper's D, with per-pair weights TRL's DPOTrainer lacks) on preference pairs within groups.

Pairs are built from the trajectory dataset by `trl_styling.data.build_preference_pairs`: chosen r >= 4.0,
rejected r < 3.5, gap >= 0.5 (paper App. C.3.2); each pair is weighted by its reward gap (`--pair_weight gap`)
or uniformly (`--pair_weight uniform`, TRL's sigmoid DPO).

```bash
python examples/train_dpo.py --config examples/configs/paper/dpo_qwen3vl_4b.yaml \
    --dataset_name data/regular --output_dir Qwen3-VL-4B-styling-wDPO

accelerate launch --multi_gpu --num_processes 2 examples/train_dpo.py \
    --config examples/configs/paper/dpo_qwen3vl_4b.yaml
```
"""

from __future__ import annotations

from typing import Any


def main(script_args: Any, training_args: Any, model_args: Any, pair_args: Any) -> None:
    from trl import get_peft_config

    from trl_styling import StylingDPOTrainer
    from trl_styling.scripts_support import (
        announce_process,
        load_trajectory_split,
        model_init_kwargs,
        planner_card_info,
        preference_pairs,
        train_and_save,
    )

    training_args.model_init_kwargs = model_init_kwargs(model_args, training_args)
    if pair_args.pair_weight == "uniform":
        training_args.pair_weight_column = None
    trajectories = load_trajectory_split(script_args, script_args.dataset_train_split)
    pairs = preference_pairs(trajectories, script_args, pair_args)
    eval_pairs = None
    if training_args.eval_strategy != "no":
        eval_split = load_trajectory_split(script_args, script_args.dataset_eval_split)
        eval_pairs = preference_pairs(eval_split, script_args, pair_args)

    trainer = StylingDPOTrainer(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=pairs,
        eval_dataset=eval_pairs,
        peft_config=get_peft_config(model_args),
    )
    pair_settings = {
        "chosen_min": pair_args.chosen_min,
        "rejected_max": pair_args.rejected_max,
        "min_gap": pair_args.min_gap,
        "pair_strategy": pair_args.pair_strategy,
        "pair_weight": pair_args.pair_weight,
    }
    pair_summary = {
        "pairs": len(pairs),
        "groups_with_pairs": len(set(pairs["group_id"])),
        "mean_pair_weight": sum(pairs["weight"]) / len(pairs),
    }
    planner_card_info(
        "DPO", trainer, script_args, model_args, trajectories, data_summary=pair_summary, extra_settings=pair_settings
    )
    announce_process(trainer, f"wDPO training on {len(pairs)} preference pairs")
    train_and_save(trainer, script_args, training_args)


def make_parser() -> Any:
    from trl import ModelConfig, TrlParser

    from trl_styling import StylingDPOConfig
    from trl_styling.scripts_support import PairArguments, StylingScriptArguments

    return TrlParser((StylingScriptArguments, StylingDPOConfig, ModelConfig, PairArguments))


if __name__ == "__main__":
    main(*make_parser().parse_args_and_config())
