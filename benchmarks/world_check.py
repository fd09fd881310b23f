"""Checks the default world before any method run (issue: a world where planning matters as in the paper).

Per variant, on data generated with the world noise of ``compare_methods.py`` (fixed, never tuned per method):

1. reward statistics of the teacher's trajectories against the paper's App. C.4.6 (mean, share >= 3.5,
   rollouts per group, within-group spread);
2. the oracle plan rendered through its synthesized instruction by the instruction-following editor against the
   oracle plan executed by the tool editor (target: >= 0.95);
3. Edit-Only (E: the editor reading the raw goal) against the teacher and the oracle, on descriptive goals
   (the default) and on fully explicit ones, where the editor can read every change.

    python benchmarks/world_check.py --out benchmarks/results/world_check.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_methods import WORLD_NOISE  # noqa: E402 - the one home of the world's noise settings

PAPER = {"simple": {"mean": 3.92, "frac_ge_3_5": 0.62}, "regular": {"mean": 3.74, "frac_ge_3_5": 0.48}}


def check(variant: str, explicitness: str, num_groups: int, eval_goals: int, out_dir: Path) -> dict[str, Any]:
    from datasets import concatenate_datasets, load_from_disk

    from trl_styling.data import reward_statistics
    from trl_styling.evaluation import EditOnly, OraclePlanner, evaluate_planner
    from trl_styling.pipeline import GenerationConfig, generate_dataset, get_backend, load_group_specs

    data_dir = out_dir / f"{variant}-{explicitness}"
    config = GenerationConfig(
        variant=variant,
        num_groups=num_groups,
        rollouts=3,
        seed=0,
        out_dir=str(data_dir),
        image_size=96,
        goal_explicitness=explicitness,
        overwrite=True,
        progress=False,
        **WORLD_NOISE,
    )
    generate_dataset(config)
    dataset, specs = load_from_disk(str(data_dir)), load_group_specs(data_dir)
    rows = concatenate_datasets([dataset[name] for name in dataset])
    teacher = get_backend("plan", "world", library=variant, seed=0, noise=WORLD_NOISE["teacher_noise"])
    kwargs = {"max_goals": eval_goals, "group_specs": specs, "progress": False}
    planners = {
        "E": (EditOnly(), "instruction"),
        "teacher": (teacher, "instruction"),
        "oracle (instruction)": (OraclePlanner(variant), "instruction"),
        "oracle (executed)": (OraclePlanner(variant), "tools"),
    }
    evaluations = {
        name: evaluate_planner(p, rows, variant, editor=editor, **kwargs) for name, (p, editor) in planners.items()
    }
    edit_only = evaluations["E"].results
    return {
        "rewards": reward_statistics(rows),
        "planners": {
            name: {
                "reward": e.summary["reward"].to_dict(),
                "cme_reward": e.summary["cme_reward"].to_dict(),
                "tool_f1": e.summary["tool_f1"].mean,
            }
            for name, e in evaluations.items()
        },
        "oracle_instruction_over_executed": evaluations["oracle (instruction)"].summary["reward"].mean
        / evaluations["oracle (executed)"].summary["reward"].mean,
        "E_goals_fully_understood": float(np.mean([_understood(r.instruction) for r in edit_only])),
        "example_goal": edit_only[0].goal,
    }


def _understood(text: str) -> bool:
    from trl_styling.world.semantics.reading import read_instruction

    return read_instruction(text).fully_understood


def table(results: dict[str, Any]) -> str:
    lines = [
        "| variant | goals | teacher data: mean (paper) | ≥ 3.5 (paper) | rollouts/group | within-group std "
        "| oracle instr./executed | E | teacher | oracle | E goals read fully |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in results.items():
        variant, explicitness = key.split("/")
        stats, paper, p = r["rewards"], PAPER.get(variant, {}), r["planners"]
        mean = f"{stats['mean']:.2f}" + (f" ({paper['mean']:.2f})" if paper else "")
        share = f"{stats['frac_ge_3_5']:.0%}" + (f" ({paper['frac_ge_3_5']:.0%})" if paper else "")
        cells = [f"{p[name]['reward']['mean']:.2f}" for name in ("E", "teacher", "oracle (instruction)")]
        lines.append(
            f"| {variant} | {explicitness} | {mean} | {share} | {stats['mean_group_size']:.1f} | "
            f"{stats['mean_within_group_std']:.2f} | {r['oracle_instruction_over_executed']:.3f} | "
            f"{' | '.join(cells)} | {r['E_goals_fully_understood']:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-groups", type=int, default=300)
    parser.add_argument("--eval-goals", type=int, default=100)
    parser.add_argument("--variants", nargs="+", default=["simple", "regular", "complex"])
    parser.add_argument("--out", default="benchmarks/results/world_check.json")
    args = parser.parse_args()
    began = time.perf_counter()
    work = Path(args.out).with_suffix("") / "work"
    results = {}
    for variant in args.variants:
        for explicitness in ("descriptive", "explicit"):
            results[f"{variant}/{explicitness}"] = check(variant, explicitness, args.num_groups, args.eval_goals, work)
    text = table(results)
    print(text)
    wall = time.perf_counter() - began
    record = {
        "command": "python " + " ".join(sys.argv),
        "wall_time_s": wall,
        "world_noise": WORLD_NOISE,
        "results": results,
        "table": text,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out} in {wall:.0f} s")


if __name__ == "__main__":
    main()
