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


def main(
    model_dir: str, out_file: str, method: str, normalization: str, batch: int, accumulation: int, fsdp: bool
) -> None:
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
        use_cpu=not fsdp,  # FSDP needs GPUs (accelerate never shards a MULTI_CPU run)
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
        # FSDP2 over gloo: parameters, gradients and optimizer state sharded over the processes
        **({"fsdp": "full_shard", "fsdp_config": {"fsdp_version": 2}} if fsdp else {}),
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
    if fsdp:  # really sharded: FSDP2 turns the parameters into DTensors, a shard on each process
        assert trainer.is_fsdp_enabled and type(next(trainer.model.parameters())).__name__ == "DTensor", (
            f"FSDP is not active ({trainer.accelerator.distributed_type}): accelerate shards only over GPUs"
        )
    state = trainer.accelerator.get_state_dict(trainer.model)  # gathered from the shards under FSDP
    if trainer.accelerator.is_main_process:
        torch.save({n: p.detach().cpu() for n, p in state.items()}, out_file)

    # Tear the process group down before exit: an undestroyed gloo group can abort at interpreter shutdown
    # ("terminate called without an active exception"), failing the run after the work is done.
    trainer.accelerator.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:5], int(sys.argv[5]), int(sys.argv[6]), fsdp=len(sys.argv) > 7 and sys.argv[7] == "fsdp")
