"""Evaluate trained planners (models or LoRA adapters saved by the training scripts) on a generated dataset.

Each planner plans every test goal once (greedy). Two protocols:

* ``--judge world`` (default): the hermetic world's editor executes the plan and its noise-free judge scores it.
  Writes ``comparison.md``, ``comparison.json`` and ``comparison.png`` to ``output_dir``, with E (Edit-Only),
  the oracle planner (the ceiling) and the teacher's mean test reward as references.
* ``--judge openai --base_url URL --model NAME``: the paper's protocol. An edit backend (``--editor``: the world's,
  or ``diffusers``) renders each plan's instruction, and a VLM judge scores image and plan on 0-100 per dimension,
  next to the baselines E, G (``--zero_shot_model``) and B (``--base_model``). Writes ``paper_report.md``,
  ``paper_report.json``, grouped bar charts and each method's outputs for ``trl-styling annotate``.

```bash
python examples/evaluate.py --config examples/configs/paper/evaluate.yaml \
    --dataset_name data/regular --model_paths S=runs/S SW=runs/SW --output_dir runs/evaluation
python examples/evaluate.py --config examples/configs/paper/evaluate.yaml --judge openai --model gpt-4o \
    --zero_shot_model gpt-4o --dataset_name data/regular --model_paths S=runs/S --output_dir runs/paper_eval
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def saved_prompt(model_dir: str, eval_args: Any, fallback: Any = None) -> Any:
    """The prompt saved with a model, else ``fallback`` (B has none: it gets the trained planners'), with the
    command line's overrides."""
    from trl_styling.prompt import PlannerPrompt

    overrides = dict(
        plan_format=eval_args.plan_format, tool_specs=eval_args.tool_specs, include_image=eval_args.include_image
    )
    try:
        saved = PlannerPrompt.load(model_dir)
    except FileNotFoundError as error:  # no saved prompt: only one given in full on the command line
        if fallback is not None:
            saved = fallback
        elif eval_args.plan_format is None or eval_args.tool_specs is None:
            raise FileNotFoundError(f"{error} Here: pass --plan_format and --tool_specs.") from None
        else:
            saved = PlannerPrompt()
    return saved.replace(**overrides)


def hf_planner(model_dir: str, library: str, prompt: Any, max_new_tokens: int) -> Any:
    """An `HFPlanner` on a saved model, greedy."""
    from trl_styling.agent import HFPlanner
    from trl_styling.scripts_support import load_planner_model

    model, processor = load_planner_model(model_dir)
    return HFPlanner(model, processor, library, prompt=prompt, max_new_tokens=max_new_tokens, temperature=0.0)


def planners(eval_args: Any, library: str, structured_goals: bool) -> dict[str, Any]:
    """The methods to compare: the trained models, then the baselines asked for (B, G, E, oracle).

    Models are factories, loaded when their turn comes (one in memory at a time).
    """
    from functools import partial

    from trl_styling.evaluation import EditOnly, OraclePlanner

    methods: dict[str, Any] = {}
    prompts = {name: saved_prompt(path, eval_args) for name, path in eval_args.named_models().items()}
    for name, path in eval_args.named_models().items():
        methods[name] = partial(hf_planner, path, library, prompts[name], eval_args.max_new_tokens)
    if eval_args.base_model:
        trained_prompt = next(iter(prompts.values()), None)  # the paper's B is prompted like its trained planners
        prompt = saved_prompt(eval_args.base_model, eval_args, fallback=trained_prompt)
        methods["B"] = partial(hf_planner, eval_args.base_model, library, prompt, eval_args.max_new_tokens)
    if eval_args.zero_shot_model:
        from trl_styling.pipeline.registry import get_backend_class

        methods["G"] = get_backend_class("plan", "openai")(  # zero-shot, greedy, one attempt like the others
            library=library,
            model=eval_args.zero_shot_model,
            base_url=eval_args.zero_shot_base_url or eval_args.base_url,
            cache_dir=eval_args.judge_cache_dir,
            exemplars=0,
            temperature=0.0,
            max_attempts=1,
        )
    if eval_args.include_edit_only:
        methods["E"] = EditOnly()
    if eval_args.include_oracle:
        if structured_goals:
            methods["oracle"] = OraclePlanner(library)
        else:
            print("No 'goal_spec' column: the oracle (it reads structured goals) is left out.")
    return methods


def main(eval_args: Any) -> None:
    from trl_styling.data import load_styling_dataset, reward_statistics
    from trl_styling.pipeline import load_group_specs

    test = load_styling_dataset(eval_args.dataset_name, split=eval_args.split)
    variants = set(test.unique("variant")) - {""}
    if len(variants) != 1:
        raise ValueError(f"The {eval_args.split!r} split mixes variants {sorted(variants)}; evaluate one at a time.")
    library = variants.pop()
    specs_file = Path(eval_args.dataset_name) / "groups.jsonl"
    specs = load_group_specs(eval_args.dataset_name) if specs_file.is_file() else None
    structured_goals = "goal_spec" in test.column_names and bool(test[0]["goal_spec"])
    methods = planners(eval_args, library, structured_goals)
    if eval_args.judge == "openai":
        paper_protocol(eval_args, methods, test, library, specs)
        return

    from trl_styling.evaluation import evaluate_planner, write_comparison

    editor = {"world": "instruction", "world_tools": "tools"}[eval_args.editor]
    common = dict(
        editor=editor,
        max_goals=eval_args.max_goals,
        group_specs=specs,
        seed=eval_args.seed,
        executor=eval_args.executor,
        num_workers=eval_args.num_workers,
        ray_address=eval_args.ray_address,
    )
    evaluations = {}
    for name, method in methods.items():  # one model in memory at a time
        planner = method() if callable(method) and not hasattr(method, "propose") else method
        evaluations[name] = evaluate_planner(planner, test, library, **common)
    reference = {f"teacher ({eval_args.split} mean)": reward_statistics(test)["mean"]}
    table = write_comparison(evaluations, eval_args.output_dir, reference=reference)
    print(table)
    print(f"Wrote comparison.md, comparison.json and comparison.png to {eval_args.output_dir}.")


def paper_protocol(eval_args: Any, methods: dict[str, Any], test: Any, library: str, specs: Any) -> None:
    """Scores the methods with a served VLM judge on 0-100 (image and plan), as the paper does."""
    from trl_styling.evaluation import ModelJudge, evaluate_like_paper, write_paper_report

    judge = ModelJudge.from_openai(
        model=eval_args.model, base_url=eval_args.base_url, cache_dir=eval_args.judge_cache_dir
    )
    metrics = None
    if eval_args.image_metrics or eval_args.lpips_net or eval_args.clip_model:
        from trl_styling.evaluation.image_metrics import ImageMetrics, ImageMetricsConfig

        metrics = ImageMetrics(ImageMetricsConfig(lpips_net=eval_args.lpips_net, clip_model=eval_args.clip_model))
    evaluation = evaluate_like_paper(
        methods,
        test,
        library,
        judge=judge,
        editor=eval_args.editor,
        editor_kwargs=json.loads(eval_args.editor_kwargs or "{}"),
        metrics=metrics,
        max_goals=eval_args.max_goals,
        seed=eval_args.seed,
        group_specs=specs,
    )
    print(write_paper_report(evaluation, eval_args.output_dir))
    print(f"Wrote paper_report.md, paper_report.json, charts and outputs/ to {eval_args.output_dir}.")
    judged = sum(r.image_scores is not None for m in evaluation.methods.values() for r in m.rows)
    if judged == 0:  # the report is written (flags and errors included), but it compares nothing
        raise RuntimeError(
            f"The judge {eval_args.model!r} gave no usable image score: every row is flagged (see image_error in "
            "paper_report.json). Check --model and --base_url, or use a model that answers in JSON."
        )


def make_parser() -> Any:
    from trl import TrlParser

    from trl_styling.scripts_support import EvaluateArguments

    return TrlParser((EvaluateArguments,))


if __name__ == "__main__":
    main(*make_parser().parse_args_and_config())
