"""One SGD step of a weighted trainer, saved to a file; run under `torchrun` by test_distributed.py."""

from __future__ import annotations

import os
import sys

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer

from trl_styling import (
    RewardWeightedConfig,
    RewardWeightedTrainer,
    StandardizedRewardWeightedConfig,
    StandardizedRewardWeightedTrainer,
)

REWARDS = [2.0, 3.5, 4.0, 4.5, 3.0, 5.0, 1.5, 4.2]


def main(model_dir: str, out_file: str, method: str, normalization: str, batch: int, accumulation: int) -> None:
    rows = [
        {
            "prompt": [{"role": "user", "content": f"Goal {i}: make the scene winter at dusk."}],
            "completion": [{"role": "assistant", "content": "season_cycle winter_snow " * (1 + i % 3)}],
            "reward": reward,
            "group_id": f"g{i // 2}",
        }
        for i, reward in enumerate(REWARDS)
    ]
    trainer_cls, config_cls = {
        "rw": (RewardWeightedTrainer, RewardWeightedConfig),
        "sw": (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    }[method]
    args = config_cls(
        output_dir=out_file + ".run",
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
        max_steps=1,
        optim="sgd",
        learning_rate=0.5,
        lr_scheduler_type="constant",
        max_grad_norm=0.0,
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=accumulation,
        loss_normalization=normalization,
    )
    model = AutoModelForCausalLM.from_pretrained(model_dir).double()
    trainer = trainer_cls(
        model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=AutoTokenizer.from_pretrained(model_dir),
    )
    assert trainer.accelerator.num_processes == int(os.environ.get("WORLD_SIZE", "1"))
    trainer.train()
    if trainer.accelerator.is_main_process:
        torch.save(
            {n: p.detach().cpu() for n, p in trainer.accelerator.unwrap_model(model).named_parameters()}, out_file
        )

    # Tear the process group down before exit: an undestroyed gloo group can abort at interpreter shutdown
    # ("terminate called without an active exception"), failing the run after the work is done.
    trainer.accelerator.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
