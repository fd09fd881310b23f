"""Evaluate trained planners (models or LoRA adapters saved by the training scripts) on a generated dataset.

Each planner plans every test goal once (greedy); the plan is executed by the hermetic world's editor and scored
by its noise-free judge. Writes ``comparison.md``, ``comparison.json`` and ``comparison.png`` to ``output_dir``,
with the oracle planner (the ceiling) and the teacher's mean test reward as references.

```bash
python examples/evaluate.py --config examples/configs/paper/evaluate.yaml \
    --dataset_name data/regular --model_paths S=runs/S SW=runs/SW --output_dir runs/evaluation
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def main(eval_args: Any) -> None:
    from trl_styling.agent import HFPlanner
    from trl_styling.data import load_styling_dataset, reward_statistics
    from trl_styling.evaluation import OraclePlanner, evaluate_planner, write_comparison
    from trl_styling.pipeline import load_group_specs
    from trl_styling.prompt import PlannerPrompt
    from trl_styling.scripts_support import load_planner_model

    test = load_styling_dataset(eval_args.dataset_name, split=eval_args.split)
    variants = set(test.unique("variant")) - {""}
    if len(variants) != 1:
        raise ValueError(f"The {eval_args.split!r} split mixes variants {sorted(variants)}; evaluate one at a time.")
    library = variants.pop()
    specs_file = Path(eval_args.dataset_name) / "groups.jsonl"
    specs = load_group_specs(eval_args.dataset_name) if specs_file.is_file() else None
    common = dict(
        max_goals=eval_args.max_goals,
        group_specs=specs,
        seed=eval_args.seed,
        executor=eval_args.executor,
        num_workers=eval_args.num_workers,
        ray_address=eval_args.ray_address,
    )

    evaluations = {}
    for name, model_dir in eval_args.named_models().items():
        overrides = dict(
            plan_format=eval_args.plan_format, tool_specs=eval_args.tool_specs, include_image=eval_args.include_image
        )
        try:
            saved = PlannerPrompt.load(model_dir)
        except FileNotFoundError as error:  # no saved prompt: only one given in full on the command line
            if eval_args.plan_format is None or eval_args.tool_specs is None:
                raise FileNotFoundError(f"{error} Here: pass --plan_format and --tool_specs.") from None
            saved = PlannerPrompt()
        prompt = saved.replace(**overrides)
        model, processor = load_planner_model(model_dir)
        planner = HFPlanner(
            model, processor, library, prompt=prompt, max_new_tokens=eval_args.max_new_tokens, temperature=0.0
        )
        evaluations[name] = evaluate_planner(planner, test, library, **common)
    if eval_args.include_oracle:
        evaluations["oracle"] = evaluate_planner(OraclePlanner(library), test, library, **common)
    reference = {f"teacher ({eval_args.split} mean)": reward_statistics(test)["mean"]}
    table = write_comparison(evaluations, eval_args.output_dir, reference=reference)
    print(table)
    print(f"Wrote comparison.md, comparison.json and comparison.png to {eval_args.output_dir}.")


def make_parser() -> Any:
    from trl import TrlParser

    from trl_styling.scripts_support import EvaluateArguments

    return TrlParser((EvaluateArguments,))


if __name__ == "__main__":
    main(*make_parser().parse_args_and_config())
