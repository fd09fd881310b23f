"""Training-step time with and without the vision-feature cache, measured side by side in one run.

Two identical planners (same checkpoint, vision tower frozen in both) take the same optimizer steps on the same
rows; repetitions interleave the two modes (alternating which goes first) and the medians are compared. A step is
what the training loop pays per batch: reading the rows (PNG decode), collating (pixel preprocessing, or hashing
and cache lookup), forward, backward and the optimizer step.

    python benchmarks/vision_cache.py --config tiny   --out tiny.json
    python benchmarks/vision_cache.py --config larger --out larger.json

`tiny` is the test model (64x64 images, 4 image tokens, a 118k-parameter vision tower): the vision tower is a
sliver of the step, so expect a small ratio. `larger` is Qwen3-VL-shaped at a realistic image size (448x448 ->
784 patches -> 196 image tokens, vision hidden 384 x 6 blocks with 3 deepstack layers, text hidden 512 x 4
layers) and still runs on a 2-core CPU in a few minutes. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONFIGS: dict[str, dict[str, Any]] = {
    "tiny": {
        "model": {},  # build_tiny_qwen3_vl defaults
        "image_size": 64,
        "unique_images": 8,
        "rows_per_image": 3,
        "batch_size": 4,
        "reps": 30,
    },
    "larger": {
        "model": {
            "hidden_size": 512,
            "num_layers": 4,
            "num_heads": 8,
            "num_kv_heads": 4,
            "intermediate_size": 1408,
            "vision_hidden_size": 384,
            "vision_depth": 6,
            "vision_num_heads": 6,
            "vision_intermediate_size": 1536,
            "deepstack_visual_indexes": (1, 3, 5),
            "min_pixels": 32 * 32,
            "max_pixels": 448 * 448,
        },
        "image_size": 448,
        "unique_images": 6,
        "rows_per_image": 3,
        "batch_size": 2,
        "reps": 10,
    },
    # Qwen3-VL-4B's proportions at 1/100 scale: vision blocks see 4x as many positions as the language model, so
    # their FLOP share is ~4 x vision-block params / text params (0.30 for the 4B, 0.28 here); plans carry
    # reasoning (~250 completion tokens) as in the paper. The deepstack mergers are relatively 3x heavier here.
    "proportional": {
        "model": {
            "hidden_size": 512,
            "num_layers": 8,
            "num_heads": 8,
            "num_kv_heads": 4,
            "intermediate_size": 1536,
            "vision_hidden_size": 192,
            "vision_depth": 4,
            "vision_num_heads": 3,
            "vision_intermediate_size": 768,
            "deepstack_visual_indexes": (1, 2, 3),
            "min_pixels": 32 * 32,
            "max_pixels": 448 * 448,
        },
        "image_size": 448,
        "unique_images": 6,
        "rows_per_image": 3,
        "batch_size": 2,
        "reps": 10,
        "reasoning_sentences": 8,
    },
}

REASONING = (
    "The goal asks for a calm winter evening, so the season changes first and the light follows it. "
    "Keep the people and the buildings intact while the sky and the ground take on snow and a cooler grade. "
)


def make_rows(
    image_size: int, unique_images: int, rows_per_image: int, reasoning_sentences: int = 0, pairs: bool = False
) -> Any:
    """Trajectory rows (or DPO pairs); each base image is shared by a group of rollouts, as in the paper's data."""
    import numpy as np
    from datasets import Dataset
    from PIL import Image

    plan = (
        REASONING * reasoning_sentences + "season_cycle source_season summer target_season winter_snow intensity 0.8 "
        "time_of_day target_time evening_golden_hour preserve people"
    )
    worse = REASONING * reasoning_sentences + "time_of_day target_time midday_overhead weather_conditions clear"
    rows = []
    for i in range(unique_images * rows_per_image):
        rng = np.random.default_rng(i // rows_per_image)
        # smooth-ish content so PNG decoding costs what a photo would, not a noise image
        base = rng.integers(0, 255, (image_size // 16, image_size // 16, 3), dtype=np.uint8)
        picture = Image.fromarray(base).resize((image_size, image_size), Image.Resampling.BICUBIC)
        goal = f"Goal {i}: make it a snowy winter evening, keep the people."
        row: dict[str, Any] = {
            "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": goal}]}],
            "images": [picture],
        }
        if pairs:
            row["chosen"] = [{"role": "assistant", "content": plan}]
            row["rejected"] = [{"role": "assistant", "content": worse}]
        else:
            row["completion"] = [{"role": "assistant", "content": plan}]
            row["reward"] = 3.0 + (i % 3)
        rows.append(row)
    return Dataset.from_list(rows)


def count_params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def make_trainer(model_dir: Path, rows: Any, out_dir: Path, cache_path: Path | None, args: argparse.Namespace) -> Any:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from trl_styling import StylingDPOConfig, StylingDPOTrainer, StylingSFTConfig, StylingSFTTrainer
    from trl_styling.vision_cache import freeze_vision_tower

    model = AutoModelForImageTextToText.from_pretrained(model_dir)
    processor = AutoProcessor.from_pretrained(model_dir)
    freeze_vision_tower(model)  # frozen in both modes: the comparison is "recompute" vs "look up"
    config_cls, trainer_cls = (
        (StylingDPOConfig, StylingDPOTrainer) if args.trainer == "dpo" else (StylingSFTConfig, StylingSFTTrainer)
    )
    config = config_cls(
        output_dir=str(out_dir),
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        max_steps=10_000,
        per_device_train_batch_size=args.batch_size,
        learning_rate=1e-4,
        seed=0,
        max_length=None,
        gradient_checkpointing=args.gradient_checkpointing == "on",
        use_vision_cache=cache_path is not None,
        vision_cache_path=str(cache_path) if cache_path else None,
    )
    trainer = trainer_cls(model, args=config, train_dataset=rows, processing_class=processor)
    trainer.create_optimizer()
    trainer.model.train()
    return trainer


def timed_step(trainer: Any, indices: list[int]) -> tuple[float, float, float, float]:
    """(collate wall s, compute wall s, process CPU s, loss) of one optimizer step on the rows `indices`.

    CPU time (all threads of this process) is reported next to wall time because it is much less sensitive to
    other processes competing for the cores of a shared machine.
    """
    cpu_start, start = time.process_time(), time.perf_counter()
    batch = trainer.data_collator([trainer.train_dataset[i] for i in indices])
    collated = time.perf_counter()
    loss = trainer.training_step(trainer.model, batch)
    trainer.optimizer.step()
    trainer.optimizer.zero_grad(set_to_none=True)
    done, cpu_done = time.perf_counter(), time.process_time()
    return collated - start, done - collated, cpu_done - cpu_start, float(loss)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    parser.add_argument("--reps", type=int, default=None, help="interleaved repetitions per mode (after warm-up)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per mode first")
    parser.add_argument("--batch-size", type=int, default=None, help="rows (DPO: pairs) per step")
    parser.add_argument(
        "--trainer", choices=("sft", "dpo"), default="sft", help="sft: the S/R/RW/SW step; dpo: weighted DPO"
    )
    parser.add_argument("--gradient-checkpointing", choices=("on", "off"), default="on", help="TRL's default is on")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    spec = CONFIGS[args.config]
    args.reps = args.reps or spec["reps"]
    args.batch_size = args.batch_size or spec["batch_size"]

    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from transformers.utils import logging as hf_logging

    from trl_styling.testing import build_tiny_qwen3_vl
    from trl_styling.vision_cache import build_vision_cache

    if args.threads:
        torch.set_num_threads(args.threads)
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        model_dir = build_tiny_qwen3_vl(tmp_path / "model", seed=0, **spec["model"])
        rows = make_rows(
            spec["image_size"],
            spec["unique_images"],
            spec["rows_per_image"],
            spec.get("reasoning_sentences", 0),
            pairs=args.trainer == "dpo",
        )

        model = AutoModelForImageTextToText.from_pretrained(model_dir)
        processor = AutoProcessor.from_pretrained(model_dir)
        cache_path = tmp_path / "features.h5"
        build_start = time.perf_counter()
        report = build_vision_cache(rows, model, processor, cache_path)
        build_seconds = time.perf_counter() - build_start
        cache_bytes = cache_path.stat().st_size
        merge = processor.image_processor.merge_size
        vision_params, total_params = count_params(model.model.visual), count_params(model)
        del model

        trainers = {
            "without_cache": make_trainer(model_dir, rows, tmp_path / "plain", None, args),
            "with_cache": make_trainer(model_dir, rows, tmp_path / "cached", cache_path, args),
        }
        probe = trainers["without_cache"].data_collator([trainers["without_cache"].train_dataset[0]])
        image_tokens = int(probe["image_grid_thw"][0].prod()) // merge**2
        sequence_length = int(probe["input_ids"].shape[1])

        phases = ("collate", "compute", "total", "cpu")
        samples: dict[str, dict[str, list[float]]] = {m: {k: [] for k in phases} for m in trainers}
        loss_gaps: list[float] = []
        n_rows = len(rows)
        for rep in range(args.warmup + args.reps):
            indices = [(rep * args.batch_size + j) % n_rows for j in range(args.batch_size)]
            order = list(trainers) if rep % 2 == 0 else list(reversed(trainers))  # cancel drift and cache warmth
            losses = {}
            for mode in order:
                collate, compute, cpu, losses[mode] = timed_step(trainers[mode], indices)
                if rep >= args.warmup:
                    for phase, value in zip(phases, (collate, compute, collate + compute, cpu)):
                        samples[mode][phase].append(value)
            loss_gaps.append(abs(losses["with_cache"] - losses["without_cache"]))

    medians = {m: {k: statistics.median(v) * 1000 for k, v in phases.items()} for m, phases in samples.items()}
    ratio = {k: medians["without_cache"][k] / medians["with_cache"][k] for k in phases}
    # Per-repetition ratios of the two adjacent steps: robust to load drifting on a shared machine.
    paired = sorted(a / b for a, b in zip(samples["without_cache"]["total"], samples["with_cache"]["total"]))
    quartiles = statistics.quantiles(paired, n=4) if len(paired) > 1 else [paired[0]] * 3
    results = {
        "config": args.config,
        "trainer": args.trainer,
        "command": "python benchmarks/vision_cache.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "device": "cpu",
        },
        "setup": {
            "image_size": spec["image_size"],
            "image_tokens": image_tokens,
            "sequence_length": sequence_length,
            "rows_per_step": args.batch_size,
            "reps": args.reps,
            "warmup": args.warmup,
            "gradient_checkpointing": args.gradient_checkpointing,
            "vision_params": vision_params,
            "total_params": total_params,
            "model_overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in spec["model"].items()},
        },
        "cache_build": {
            "unique_images": report.num_unique,
            "seconds": build_seconds,
            "seconds_per_image": build_seconds / max(report.num_added, 1),
            "file_bytes": cache_bytes,
        },
        "median_ms": medians,
        "speedup_without_over_with": ratio,
        "paired_total_ratio": {"median": quartiles[1], "q1": quartiles[0], "q3": quartiles[2]},
        "samples_ms": {m: {k: [x * 1000 for x in v] for k, v in phases.items()} for m, phases in samples.items()},
        "max_loss_gap": max(loss_gaps),
    }
    print_table(results)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def print_table(results: dict[str, Any]) -> None:
    setup, medians, ratio = results["setup"], results["median_ms"], results["speedup_without_over_with"]
    print(
        f"\nconfig={results['config']} trainer={results['trainer']}  image {setup['image_size']}px -> "
        f"{setup['image_tokens']} tokens, "
        f"{setup['rows_per_step']} rows/step, seq {setup['sequence_length']}, vision {setup['vision_params']:,} of "
        f"{setup['total_params']:,} params, {setup['reps']} interleaved reps, "
        f"{results['machine']['torch_threads']} threads"
    )
    print(f"{'median ms/step':<16}{'collate':>10}{'fwd+bwd+opt':>14}{'total':>10}{'CPU time':>10}")
    for mode in ("without_cache", "with_cache"):
        row = medians[mode]
        print(f"{mode:<16}{row['collate']:>10.1f}{row['compute']:>14.1f}{row['total']:>10.1f}{row['cpu']:>10.1f}")
    print(
        f"{'ratio (w/o / w)':<16}{ratio['collate']:>10.2f}{ratio['compute']:>14.2f}{ratio['total']:>10.2f}"
        f"{ratio['cpu']:>10.2f}"
    )
    paired = results["paired_total_ratio"]
    print(f"paired per-rep ratio of totals: median {paired['median']:.2f} (IQR {paired['q1']:.2f}-{paired['q3']:.2f})")
    build = results["cache_build"]
    print(
        f"cache build: {build['unique_images']} images in {build['seconds']:.2f} s, {build['file_bytes']:,} bytes; "
        f"max |loss gap| {results['max_loss_gap']:.2e}\n"
    )


if __name__ == "__main__":
    main()
