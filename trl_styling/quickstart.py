"""The project's main job on the embedded default (`make quickstart`): the paper's loop end to end on a CPU.

1. generate a small Regular dataset in the hermetic world (render -> goal -> teacher plans -> edit -> judge);
2. build a tiny Qwen3 planner offline (every tool name and enumerated value one token) and give it a short
   format warm-up on the teacher's plans for other images and goals (B) — a stand-in for the pretraining a
   real planner (Qwen3-VL) starts from, shared by every method;
3. train S (SFT, r >= 1) and SW (group-standardized reward weights) from B with the same seed and steps;
4. evaluate B, S and SW on the held-out test goals (executed, noise-free reward), beside the rule teacher
   executed on the same goals, the teacher's mean dataset reward and the oracle planner, under the paper's
   weighted reward and the CME reward (no edit, no reward). Each planner decodes greedily and, like the agent,
   resamples (temperature 0.7, at most ``eval_retries`` times) when its plan does not parse or validate; with
   ``eval_repair`` (off by default) near-miss names and values are snapped onto the library and reported; the
   report gives the validity of the plans used and the validity as first generated (greedy, unrepaired);
5. run the StylingAgent with the SW planner on one test image and write the before/after images, the plan
   with its reasoning, the instruction and ``report.json`` to the output directory.

    python -m trl_styling.quickstart --out quickstart_out
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("trl_styling.quickstart")


@dataclass
class QuickstartConfig:
    out: str = "quickstart_out"
    variant: str = "regular"
    num_groups: int = 150
    rollouts: int = 3
    image_size: int = 128
    seed: int = 0
    hidden_size: int = 128
    num_layers: int = 3
    vocab_size: int = 2048  # the fitted BPE saturates near 2k merges on these texts; more only widens the head
    warmup_groups: int = 400  # the warm-up corpus: teacher plans for other images and goals (not the test's)
    warmup_steps: int = 300
    warmup_learning_rate: float = 5e-3
    method_steps: int = 70
    learning_rate: float = 2e-3
    batch_size: int = 8
    tool_specs: str = "names"
    sw_anchor: float = 1.0
    eval_goals: int = 15
    eval_retries: int = 2  # greedy first; on an invalid plan up to this many samples at temperature 0.7
    eval_repair: bool = False  # snap near-miss tool names / enumerated values onto the library (reported)
    num_workers: int = 2


def _settings(cfg: QuickstartConfig, *, warmup: bool = False) -> Any:
    from trl_styling.recipes import RecipeSettings

    steps, rate = (cfg.warmup_steps, cfg.warmup_learning_rate) if warmup else (cfg.method_steps, cfg.learning_rate)
    return RecipeSettings(steps=steps, learning_rate=rate, batch_size=cfg.batch_size, seed=cfg.seed,
                          tool_specs=cfg.tool_specs, sw_anchor=cfg.sw_anchor)  # fmt: skip


def run(cfg: QuickstartConfig) -> dict[str, Any]:
    from datasets import load_from_disk

    from trl_styling.agent import TeacherPlanner
    from trl_styling.data import reward_statistics
    from trl_styling.evaluation import OraclePlanner, evaluate_planner, write_comparison
    from trl_styling.pipeline import GenerationConfig, generate_dataset, load_group_specs
    from trl_styling.recipes import build_initial_planner, generate_warmup_corpus, load_planner, train_method
    from trl_styling.tools import get_tool_library

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    library = get_tool_library(cfg.variant)

    began = time.perf_counter()
    data_dir = out / "data"
    generate_dataset(GenerationConfig(variant=cfg.variant, num_groups=cfg.num_groups, rollouts=cfg.rollouts,
                                      seed=cfg.seed, out_dir=str(data_dir), image_size=cfg.image_size,
                                      num_workers=cfg.num_workers, overwrite=True))  # fmt: skip
    dataset = load_from_disk(str(data_dir))
    specs = load_group_specs(data_dir)
    warmup_corpus = generate_warmup_corpus(out / "warmup_data", cfg.variant, num_groups=cfg.warmup_groups,
                                           seed=cfg.seed, num_workers=cfg.num_workers)  # fmt: skip
    stats = reward_statistics(dataset["train"])
    timings["generate"] = time.perf_counter() - began
    print(f"Teacher data: {stats['count']} train trajectories, mean reward {stats['mean']:.3f}")

    began = time.perf_counter()
    base = build_initial_planner(out / "models" / "init", dataset["train"], library, _settings(cfg),
                                 hidden_size=cfg.hidden_size, num_layers=cfg.num_layers,
                                 vocab_size=cfg.vocab_size)  # fmt: skip
    # B: a format warm-up (SFT on the warm-up corpus), the shared starting point of every method.
    base = train_method("S", base, warmup_corpus, library, out / "models" / "B", _settings(cfg, warmup=True))
    models = {"B": base}
    for method in ("S", "SW"):
        models[method] = train_method(method, base, dataset["train"], library, out / "models" / method, _settings(cfg))
    timings["train"] = time.perf_counter() - began

    began = time.perf_counter()
    evaluations = {}
    for name, model_dir in models.items():
        if name == "SW" and cfg.sw_anchor:  # say so when SW is not the paper's plain z-weights
            name = f"SW (sft_anchor={cfg.sw_anchor:g})"
        planner = load_planner(model_dir, library, _settings(cfg), temperature=0.7, max_retries=cfg.eval_retries,
                               repair=cfg.eval_repair)  # fmt: skip
        evaluations[name] = evaluate_planner(planner, dataset["test"], library, max_goals=cfg.eval_goals,
                                             group_specs=specs, seed=cfg.seed)  # fmt: skip
    # the rule teacher the data came from (its default mistakes), executed on the same goals: the bar to beat
    teacher = TeacherPlanner(library=library, seed=cfg.seed)
    for name, planner in (("teacher (executed)", teacher), ("oracle", OraclePlanner(library))):
        evaluations[name] = evaluate_planner(planner, dataset["test"], library, max_goals=cfg.eval_goals,
                                             group_specs=specs, seed=cfg.seed)  # fmt: skip
    timings["evaluate"] = time.perf_counter() - began
    table = write_comparison(evaluations, out, reference={"teacher (dataset mean)": stats["mean"]})
    print("\n" + table + "\n")

    began = time.perf_counter()
    agent_report = _run_agent(models["SW"], dataset["test"], specs, library, out, cfg)
    timings["agent"] = time.perf_counter() - began

    report = {
        "config": vars(cfg),
        "teacher_mean_reward": stats["mean"],
        "methods": {
            name: {
                "mean_reward": e.summary["reward"].mean,
                "reward_ci": [e.summary["reward"].low, e.summary["reward"].high],
                "cme_reward": e.summary["cme_reward"].mean,
                "validity_rate": e.summary["validity"].mean,
                "first_attempt_validity_rate": e.summary["first_attempt_validity"].mean,
                "tool_f1": e.summary["tool_f1"].mean,
                "preservation_violations": e.summary["preservation_violations"].mean,
            }
            for name, e in evaluations.items()
        },
        "agent": agent_report,
        "timings_s": timings,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(f"Wrote {out / 'report.json'}; timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    return report


def _run_agent(model_dir: Path, test: Any, specs: Any, library: Any, out: Path, cfg: QuickstartConfig) -> dict:
    from trl_styling.agent import StylingAgent
    from trl_styling.recipes import load_planner

    row = test[0]
    spec = specs[row["group_id"]]
    planner = load_planner(model_dir, library, _settings(cfg), temperature=0.7)
    agent = StylingAgent.for_world(planner, library, seed=spec.get("render_seed", cfg.seed))
    result = agent.run(row["image"], spec["goal"], seed=cfg.seed)
    agent_dir = out / "agent"
    agent_dir.mkdir(parents=True, exist_ok=True)
    row["image"].save(agent_dir / "before.png")
    result.edited_image.save(agent_dir / "after.png")
    plan_text = result.plan.to_text() if result.plan is not None else ""
    (agent_dir / "plan.txt").write_text(plan_text + "\n")
    (agent_dir / "instruction.txt").write_text(result.instruction + "\n")
    summary = {
        "goal": spec["goal"].text,
        "context": result.context.to_dict(),
        "plan": plan_text,
        "instruction": result.instruction,
        "reward": None if result.score is None else result.score.reward,
        "errors": list(result.errors),
        "fallback": result.fallback,
    }
    print(f"Agent on {row['group_id']}: goal {summary['goal']!r}\n  plan:\n{plan_text}\n  reward: {summary['reward']}")
    return summary


def main() -> None:
    from trl_styling.cli_types import boolean

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in vars(QuickstartConfig()).items():
        kind = boolean if isinstance(default, bool) else type(default)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=default)
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING)
    run(QuickstartConfig(**vars(args)))


if __name__ == "__main__":
    main()
