"""What grounding the source values buys: the method grid's trained planners, each evaluated with
`HFPlanner(ground_sources=False)` (as the grid scores them) and `ground_sources=True` on the same test goals.

It reads the planners and data that `compare_methods.py` left in `OUT/work/<variant>-s<seed>/` and evaluates them
exactly as the grid does (noise-free judge, the runs' group specs and seeds, temperature 0.7, the grid's retries
and repair setting), so the "off" column equals the grid's figures.

    python benchmarks/source_grounding.py --grid benchmarks/results/compare_methods_world --seeds 0
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_methods import BenchmarkConfig  # noqa: E402 - the grid's settings, one home


def evaluate(grid: Path, variant: str, seed: int, method: str, ground: bool) -> Any:
    from datasets import load_from_disk

    from trl_styling.evaluation import evaluate_planner
    from trl_styling.pipeline import load_group_specs
    from trl_styling.recipes import RecipeSettings, load_planner

    cfg = BenchmarkConfig()
    work = grid / "work" / f"{variant}-s{seed}"
    data = load_from_disk(str(work / "data"))
    settings = RecipeSettings(prompt=cfg.base_spec(variant).prompt, progress=False)
    planner = load_planner(
        work / method,
        variant,
        settings,
        temperature=0.7,
        max_retries=cfg.eval_retries,
        repair=cfg.eval_repair,
        ground_sources=ground,
    )
    specs = load_group_specs(str(work / "data"))
    return evaluate_planner(
        planner, data["test"], variant, max_goals=cfg.eval_goals, group_specs=specs, seed=seed, progress=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=Path, default=Path("benchmarks/results/compare_methods_world"))
    parser.add_argument("--variants", nargs="+", default=["regular", "simple", "complex"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--methods", nargs="+", default=["S", "R"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/source_grounding.json"))
    args = parser.parse_args()
    from trl_styling.evaluation import estimate, paired_difference

    began = time.perf_counter()
    rows = []
    for variant in args.variants:
        for method in args.methods:
            off, on, fixes = [], [], 0
            for seed in args.seeds:
                off += evaluate(args.grid, variant, seed, method, ground=False).results
                grounded = evaluate(args.grid, variant, seed, method, ground=True).results
                on += grounded
                fixes += sum(len([r for r in g.repairs if "->" in r]) for g in grounded)
            diff = paired_difference([g.reward for g in on], [g.reward for g in off])
            rows.append(
                {
                    "variant": variant,
                    "method": method,
                    "goals": len(off),
                    "reward_off": estimate([g.reward for g in off]).mean,
                    "reward_on": estimate([g.reward for g in on]).mean,
                    "on_minus_off": diff.to_dict(),
                    "sources_fixed_per_goal": fixes / len(on),
                }
            )
    print("| variant | planner | goals | reward as written | grounded | grounded − written [95% CI] | fixes/goal |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        d = r["on_minus_off"]
        print(
            f"| {r['variant']} | {r['method']} | {r['goals']} | {r['reward_off']:.3f} | {r['reward_on']:.3f} | "
            f"{d['mean']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] | {r['sources_fixed_per_goal']:.2f} |"
        )
    seconds = round(time.perf_counter() - began, 1)
    print(f"{seconds} s")
    args.out.write_text(
        json.dumps(
            {"args": {**vars(args), "grid": str(args.grid), "out": str(args.out)}, "rows": rows, "seconds": seconds},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
