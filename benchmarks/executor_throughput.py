"""The local executor and the Ray executor side by side: the same generation, its throughput, and whether the two
datasets are identical (they must be).

Both run the same configuration with the same number of workers, one after the other, on the world's backends
(CPU). The Ray run starts and stops its own local cluster; its start-up is part of its wall time and reported
apart.

    python benchmarks/executor_throughput.py --num-groups 48 --workers 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any


def run(executor: str, args: argparse.Namespace, out_dir: Path) -> tuple[dict[str, Any], Any]:
    from trl_styling.pipeline import GenerationConfig
    from trl_styling.pipeline.generate import run_generation

    config = GenerationConfig(
        variant=args.variant,
        num_groups=args.num_groups,
        rollouts=3,
        seed=0,
        image_size=args.image_size,
        shard_size=args.shard_size,
        num_workers=args.workers,
        executor=executor,
        out_dir=str(out_dir / executor),
        progress=False,
    )
    began = time.perf_counter()
    summary = run_generation(config)
    wall = time.perf_counter() - began
    timings = summary["timings"]
    row = {
        "executor": executor,
        "workers": args.workers,
        "trajectories": summary["counts"]["trajectories"],
        "wall_seconds": round(wall, 2),
        "generation_seconds": timings["wall_seconds"],
        "trajectories_per_second": timings["trajectories_per_second"],
        "executor_seconds": summary["executor"].get("seconds"),
    }
    return row, summary.dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="regular")
    parser.add_argument("--num-groups", type=int, default=48)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--shard-size", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/executor_throughput.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trl-styling-executors-") as work:
        local, local_data = run("local", args, Path(work))
        ray, ray_data = run("ray", args, Path(work))
        identical = all(local_data[s].to_list() == ray_data[s].to_list() for s in local_data)
    rows = [local, ray]
    print("| executor | workers | trajectories | wall s | generation s | trajectories/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['executor']} | {r['workers']} | {r['trajectories']} | {r['wall_seconds']} | "
            f"{r['generation_seconds']} | {r['trajectories_per_second']} |"
        )
    print(
        f"identical datasets: {identical}; Ray / local generation time: "
        f"{ray['generation_seconds'] / local['generation_seconds']:.2f}"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "rows": rows, "identical": identical}, indent=2) + "\n")


if __name__ == "__main__":
    main()
