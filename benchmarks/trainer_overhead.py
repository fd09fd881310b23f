"""Step time and peak memory of the weighted trainers against TRL's own, on identical batches, as ratios.

RW and SW are compared with `SFTTrainer`, weighted DPO with `DPOTrainer`. Step times are measured in one
process with the methods interleaved (shuffled round robin, median of repeats), so machine noise hits every
method alike. Peak memory is measured in a separate child process per method, over the training steps only: the
CUDA peak on GPU; on CPU the resident-set high-water mark (VmHWM), reset just before the steps.

    python benchmarks/trainer_overhead.py --quick            # < 1 min on 2 CPU cores
    python benchmarks/trainer_overhead.py --out overhead.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

METHODS = ("sft", "rw", "sw", "dpo", "wdpo")
BASELINE = {"rw": "sft", "sw": "sft", "wdpo": "dpo"}
# Our rows are registered training methods (trl_styling.trainers.TRAINING_METHODS); "sft" and "dpo" are TRL's.
REGISTERED = {"rw": "RW", "sw": "SW", "wdpo": "DPO"}


def _rows(n: int, completion_words: int) -> list[dict[str, Any]]:
    return [
        {
            "prompt": [{"role": "user", "content": f"Context: midday, summer. Goal {i}: make it a winter dusk."}],
            "completion": [
                {"role": "assistant", "content": " ".join(["season_cycle winter_snow"] * completion_words)}
            ],
            "chosen": [{"role": "assistant", "content": " ".join(["season_cycle winter_snow"] * completion_words)}],
            "rejected": [{"role": "assistant", "content": " ".join(["time_of_day night_moonlit"] * completion_words)}],
            "reward": 2.0 + (i % 7) * 0.5,
            "group_id": f"g{i // 3}",
            "weight": 1.0 + (i % 3),
        }
        for i in range(n)
    ]


def build_trainer(method: str, model_dir: str, batch_size: int, completion_words: int, out_dir: str) -> Any:
    """A trainer of `method` on the tiny-Qwen3-shaped model in `model_dir`, with its first batch prepared."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    from trl_styling.trainers import get_training_method

    rows = _rows(batch_size * 4, completion_words)
    common = dict(
        output_dir=out_dir,
        report_to="none",
        bf16=False,
        save_strategy="no",
        seed=0,
        per_device_train_batch_size=batch_size,
        max_length=None,
        disable_tqdm=True,
    )
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sft_data = Dataset.from_list([{k: r[k] for k in ("prompt", "completion", "reward", "group_id")} for r in rows])
    pair_keys = ("prompt", "chosen", "rejected") + (("weight",) if method == "wdpo" else ())
    dpo_data = Dataset.from_list([{k: r[k] for k in pair_keys} for r in rows])
    if method == "sft":
        trainer = SFTTrainer(model, args=SFTConfig(**common), train_dataset=sft_data, processing_class=tokenizer)
    elif method == "dpo":
        trainer = DPOTrainer(model, args=DPOConfig(**common), train_dataset=dpo_data, processing_class=tokenizer)
    elif method in REGISTERED:
        spec = get_training_method(REGISTERED[method])
        data = dpo_data if spec.data == "pairs" else sft_data
        trainer = spec.trainer_class(
            model, args=spec.config_class(**common), train_dataset=data, processing_class=tokenizer
        )
    else:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    trainer.create_optimizer_and_scheduler(num_training_steps=1000)
    trainer.current_gradient_accumulation_steps = 1  # set by Trainer's loop, which we bypass
    loader = trainer.get_train_dataloader()
    batch = next(iter(loader))
    return trainer, batch


def timed_step(trainer: Any, batch: dict[str, Any]) -> float:
    """One forward/backward/optimizer step on `batch`, as Trainer runs it (window denominator included)."""
    start = time.perf_counter()
    num_items = trainer._get_num_items_in_batch([batch], trainer.args.device)
    trainer.training_step(trainer.model, dict(batch), num_items)
    trainer.optimizer.step()
    trainer.optimizer.zero_grad()
    _sync()
    return time.perf_counter() - start


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def measure_memory(methods: tuple[str, ...], model_dir: str, batch_size: int, words: int) -> dict[str, dict]:
    """Peak memory and its growth over 2 training steps (MiB) per method, each in its own child process."""
    children = {
        method: subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                method,
                "--model-dir",
                model_dir,
                "--batch-size",
                str(batch_size),
                "--completion-words",
                str(words),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for method in methods
    }
    peaks: dict[str, dict[str, float]] = {}
    for method, process in children.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"memory child for {method} failed:\n{output}")
        peaks[method] = json.loads(output.strip().splitlines()[-1])
    return peaks


def child(method: str, model_dir: str, batch_size: int, completion_words: int, steps: int = 2) -> None:
    import torch

    trainer, batch = build_trainer(method, model_dir, batch_size, completion_words, tempfile.mkdtemp())
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    else:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux)
    before = _proc_status_mib("VmRSS") if not torch.cuda.is_available() else 0.0
    for _ in range(steps):
        timed_step(trainer, batch)
    # On CPU the RSS includes torch itself (~0.9 GiB), so the growth during the steps is reported too.
    peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else _proc_status_mib("VmHWM")
    print(json.dumps({"peak_mib": peak, "growth_mib": peak - before}))


def _proc_status_mib(key: str) -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith(key)).split()[1]) / 1024


def build_model(hidden_size: int, num_layers: int) -> str:
    from trl_styling.testing import build_tiny_qwen3

    size = dict(hidden_size=hidden_size, num_layers=num_layers, intermediate_size=4 * hidden_size)
    return str(build_tiny_qwen3(tempfile.mkdtemp(prefix="overhead-model-"), **size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small model and few repeats (< 1 min on 2 cores)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--completion-words", type=int, default=None)
    parser.add_argument("--hidden-size", type=int, default=None)
    parser.add_argument("--num-layers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model_dir, args.batch_size, args.completion_words)
        return

    repeats = args.repeats or (4 if args.quick else 10)
    hidden = args.hidden_size or (64 if args.quick else 256)
    layers = args.num_layers or (2 if args.quick else 4)
    words = args.completion_words or (8 if args.quick else 32)
    model_dir = build_model(hidden, layers)
    trainers = {m: build_trainer(m, model_dir, args.batch_size, words, tempfile.mkdtemp()) for m in METHODS}
    for trainer, batch in trainers.values():  # warm-up
        timed_step(trainer, batch)
    # Each visit runs one untimed step first: a method that follows a memory-hungry one (DPO) would
    # otherwise pay the allocator's page faults. The visiting order is shuffled every round.
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    order = random.Random(0)
    for _ in range(repeats):
        for method in order.sample(METHODS, len(METHODS)):
            trainer, batch = trainers[method]
            timed_step(trainer, batch)
            times[method] += [timed_step(trainer, batch) for _ in range(2)]
    memory = measure_memory(METHODS, model_dir, args.batch_size, words)

    medians = {m: statistics.median(t) for m, t in times.items()}
    results = {
        "setup": {
            "hidden_size": hidden,
            "num_layers": layers,
            "batch_size": args.batch_size,
            "completion_words": words,
            "repeats": repeats,
            "device": _device(),
        },
        "median_step_s": medians,
        "peak_memory_mib": memory,
        "ratios": {
            f"{m}/{b}": {
                "step_time": medians[m] / medians[b],
                "peak_memory": memory[m]["peak_mib"] / memory[b]["peak_mib"],
            }
            for m, b in BASELINE.items()
        },
    }
    print(f"{'method':<8}{'median step (ms)':>18}{'peak mem (MiB)':>16}{'growth in steps (MiB)':>23}")
    for method in METHODS:
        mem = memory[method]
        print(f"{method:<8}{medians[method] * 1e3:>18.1f}{mem['peak_mib']:>16.0f}{mem['growth_mib']:>23.1f}")
    print(f"\n{'ratio':<10}{'step time':>12}{'peak memory':>14}")
    for name, ratio in results["ratios"].items():
        print(f"{name:<10}{ratio['step_time']:>12.3f}{ratio['peak_memory']:>14.3f}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


def _device() -> str:
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else f"cpu ({os.cpu_count()} cores)"


if __name__ == "__main__":
    main()
