"""Validity, executed reward and decoding speed of a planner with and without grammar-constrained decoding.

The same saved planner (model + tokenizer, e.g. ``quickstart_out/models/S``) plans the first N test goals of a
generated dataset twice, once as trained and once with ``constrained=True`` (its library's plan grammar, see
``trl_styling/tools/grammar/``), greedy and without retries or repair, so validity is validity *as generated*.
Each plan is executed and scored in the hermetic world by ``trl_styling.evaluation.evaluate_planner``. Speed is
measured around ``model.generate``: new tokens per second and seconds per plan. A warm-up plan per mode (not
counted) loads the model and, when constrained, compiles the grammar; its time is reported as ``warmup_s``.

    python benchmarks/constrained_decoding.py --planner quickstart_out/models/S --data quickstart_out/data \\
        --goals 50 --out benchmarks/results/constrained_decoding.json

The prompt layout must match training (``--plan-format``/``--tool-specs``; by default the recipe's, see
``trl_styling.recipes.RecipeSettings``). The library defaults to the dataset's variant.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any


def instrument(planner: Any) -> dict[str, float]:
    """Counts generations, new tokens and seconds spent in ``planner.model.generate`` (the returned dict)."""
    stats = {"plans": 0, "new_tokens": 0, "seconds": 0.0, "cut_off": 0}
    generate = planner.model.generate

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        output = generate(*args, **kwargs)
        stats["seconds"] += time.perf_counter() - began
        stats["plans"] += 1
        prompt = kwargs["input_ids"].shape[1] if "input_ids" in kwargs else args[0].shape[1]
        stats["new_tokens"] += int(output.shape[1] - prompt)
        return output

    planner.model.generate = timed  # an instance attribute: the model class is untouched
    original = planner.generate

    def counted(*args: Any, **kwargs: Any) -> str:
        text = original(*args, **kwargs)
        stats["cut_off"] += int(planner.last_truncated)
        return text

    planner.generate = counted
    return stats


def run_mode(args: argparse.Namespace, constrained: bool, test: Any, library: Any, specs: Any) -> dict[str, Any]:
    from trl_styling.evaluation import evaluate_planner, goals_of_split
    from trl_styling.recipes import RecipeSettings, load_planner

    default = RecipeSettings().prompt
    prompt = default.replace(plan_format=args.plan_format, tool_specs=args.tool_specs)
    settings = RecipeSettings(prompt=prompt, progress=False)
    began = time.perf_counter()
    planner = load_planner(
        args.planner,
        library,
        settings,
        temperature=0.0,
        max_new_tokens=args.max_new_tokens,
        max_retries=0,
        repair=False,
        constrained=constrained,
    )
    if constrained and args.max_reasoning_chars is not None:  # before the first plan: the grammar compiles then
        planner.grammar_settings = replace(planner.grammar_settings, max_reasoning_chars=args.max_reasoning_chars)
    warmup_goal = goals_of_split(test, 1)[0]
    evaluate_planner(planner, [warmup_goal], library, group_specs=specs, progress=False, seed=args.seed)
    warmup = time.perf_counter() - began
    stats = instrument(planner)
    evaluation = evaluate_planner(
        planner, test, library, max_goals=args.goals, group_specs=specs, progress=False, seed=args.seed
    )
    summary = evaluation.summary
    return {
        "constrained": constrained,
        "goals": len(evaluation.results),
        "validity": summary["validity"].mean,
        "first_attempt_validity": summary["first_attempt_validity"].mean,
        "reward": summary["reward"].mean,
        "reward_ci": [summary["reward"].low, summary["reward"].high],
        "tool_f1": summary["tool_f1"].mean,
        "cut_off": stats["cut_off"],
        "new_tokens_per_plan": stats["new_tokens"] / max(stats["plans"], 1),
        "tokens_per_s": stats["new_tokens"] / stats["seconds"] if stats["seconds"] else float("nan"),
        "s_per_plan": stats["seconds"] / max(stats["plans"], 1),
        "warmup_s": warmup,
        "errors": [error for result in evaluation.results for error in result.errors][:10],
    }


def table(rows: list[dict[str, Any]]) -> str:
    header = "| decoding | goals | validity | reward | tool F1 | cut off | tokens/plan | tokens/s | s/plan |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in rows:
        lines.append(
            f"| {'constrained' if row['constrained'] else 'as trained'} | {row['goals']} | {row['validity']:.3f} | "
            f"{row['reward']:.3f} | {row['tool_f1']:.3f} | {row['cut_off']} | {row['new_tokens_per_plan']:.1f} | "
            f"{row['tokens_per_s']:.1f} | {row['s_per_plan']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--planner", required=True, help="a saved model + tokenizer directory")
    parser.add_argument("--data", required=True, help="a generated dataset directory (generate_dataset's out_dir)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--library", default=None, help="simple/regular/complex (default: the dataset's variant)")
    parser.add_argument("--plan-format", default="text", choices=("text", "chat"))
    parser.add_argument("--tool-specs", default=None, help="the prompt's tool listing (default: the recipe's)")
    parser.add_argument("--goals", type=int, default=20, help="test goals (the first N of the split)")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-reasoning-chars", type=int, default=None, help="the grammar's reasoning bound per step")
    parser.add_argument("--out", default="constrained_decoding.json", help="where the JSON results go")
    args = parser.parse_args(argv)

    import torch
    from datasets import load_from_disk

    from trl_styling.pipeline import load_group_specs
    from trl_styling.recipes import RecipeSettings
    from trl_styling.tools import get_tool_library

    test = load_from_disk(args.data)[args.split]
    library = get_tool_library(args.library or test[0]["variant"])
    specs = load_group_specs(args.data)
    rows = [run_mode(args, constrained, test, library, specs) for constrained in (False, True)]
    print(table(rows))
    result = {
        "planner": str(args.planner),
        "data": str(args.data),
        "library": library.name,
        "plan_format": args.plan_format,
        "tool_specs": args.tool_specs or RecipeSettings().prompt.tool_specs,
        "max_new_tokens": args.max_new_tokens,
        "max_reasoning_chars": args.max_reasoning_chars,
        "machine": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "platform": platform.platform(),
            "torch_threads": torch.get_num_threads(),
        },
        "results": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
