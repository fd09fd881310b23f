"""Standard supervised learning (the paper's S) on scored trajectories: imitate every rollout with r >= 1.

```bash
python examples/train_sft.py --config examples/configs/paper/sft_qwen3vl_4b.yaml \
    --dataset_name data/regular --output_dir Qwen3-VL-4B-styling-S

# 2 processes (GPUs; on a CPU-only machine add --use_cpu true to the script arguments)
accelerate launch --multi_gpu --num_processes 2 examples/train_sft.py \
    --config examples/configs/paper/sft_qwen3vl_4b.yaml
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

    trainer, trajectories = build_weighted_sft_trainer("S", script_args, training_args, model_args)
    stats = trainer.weight_statistics["train"]
    planner_card_info("S", trainer, script_args, model_args, trajectories, data_summary=stats.to_dict())
    announce_process(trainer, f"S training on {stats.rows_out} trajectories")
    train_and_save(trainer, script_args, training_args)


def make_parser() -> Any:
    from trl import ModelConfig, TrlParser

    from trl_styling import StylingSFTConfig
    from trl_styling.scripts_support import StylingScriptArguments

    return TrlParser((StylingScriptArguments, StylingSFTConfig, ModelConfig))


if __name__ == "__main__":
    main(*make_parser().parse_args_and_config())
