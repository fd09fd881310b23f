"""Reward-filtered training (the paper's R): keep trajectories with r >= 3.5 (~65% of the paper's data), then SFT.

```bash
python examples/train_filtered.py --config examples/configs/paper/filtered_qwen3vl_4b.yaml \
    --dataset_name data/regular --output_dir Qwen3-VL-4B-styling-R

accelerate launch --multi_gpu --num_processes 2 examples/train_filtered.py \
    --config examples/configs/paper/filtered_qwen3vl_4b.yaml
```
"""

from __future__ import annotations

from typing import Any


def main(script_args: Any, training_args: Any, model_args: Any) -> None:
    from trl_styling.scripts_support import (
        announce_process,
        build_weighted_sft_trainer,
        planner_card_info,
        train_and_save,
    )

    trainer, trajectories = build_weighted_sft_trainer("R", script_args, training_args, model_args)
    stats = trainer.weight_statistics["train"]
    planner_card_info("R", trainer, script_args, model_args, trajectories, data_summary=stats.to_dict())
    announce_process(trainer, f"R training on {stats.rows_out} trajectories")
    train_and_save(trainer, script_args, training_args)


def make_parser() -> Any:
    from trl import ModelConfig, TrlParser

    from trl_styling import RewardFilteredConfig
    from trl_styling.scripts_support import StylingScriptArguments

    return TrlParser((StylingScriptArguments, RewardFilteredConfig, ModelConfig))


if __name__ == "__main__":
    main(*make_parser().parse_args_and_config())
