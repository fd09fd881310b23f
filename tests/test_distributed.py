"""Denominators span all processes: 2 processes x 2 rows x 2 accumulation steps == 1 process x 8 rows, under DDP
(gloo on CPU) and under FSDP2 (parameters, gradients and optimizer state sharded). accelerate shards only over
GPUs, so the FSDP case carries the `gpu` marker and runs with `make test-gpu` on a machine with 2 GPUs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

SCRIPT = Path(__file__).parent / "scripts" / "weighted_step.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(("method", "normalization"), [("rw", "sequence"), ("sw", "token")])
def test_two_processes_match_one(tiny_lm_dir, tmp_path, method, normalization):
    _check_two_processes_match_one(tiny_lm_dir, tmp_path, method, normalization, "ddp")


@pytest.mark.gpu
@pytest.mark.parametrize(("method", "normalization"), [("rw", "sequence"), ("sw", "token")])
def test_fsdp_on_two_gpus_matches_one_process(tiny_lm_dir, tmp_path, method, normalization):
    assert torch.cuda.device_count() >= 2, "FSDP over 2 processes needs 2 CUDA GPUs (NCCL: one rank per GPU)"
    _check_two_processes_match_one(tiny_lm_dir, tmp_path, method, normalization, "fsdp")


def _check_two_processes_match_one(tiny_lm_dir, tmp_path, method: str, normalization: str, sharding: str) -> None:
    single, distributed = tmp_path / "single.pt", tmp_path / f"{sharding}.pt"
    _run([sys.executable, str(SCRIPT), str(tiny_lm_dir), str(single), method, normalization, "8", "1"])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    _run(
        [
            *torchrun,
            "--master_port",
            str(_free_port()),
            str(SCRIPT),
            str(tiny_lm_dir),
            str(distributed),
            method,
            normalization,
            "2",
            "2",
            sharding,
        ]
    )
    initial = {n: p.double() for n, p in AutoModelForCausalLM.from_pretrained(tiny_lm_dir).named_parameters()}
    one, two = torch.load(single), torch.load(distributed)
    for name, start in initial.items():
        update = one[name] - start
        assert update.norm() > 0, name
        assert ((two[name] - start - update).norm() / update.norm()).item() < 1e-6, name
