"""Method comparison in the hermetic world: B, E, S, R, RW, SW, DPO on Simple, Regular and Complex, several seeds.

Per variant: one starting checkpoint B (:mod:`trl_styling.base_planner`: a tiny Qwen3 pretrained on the rule
teacher's plans for other images and goals, read from ``--base-dir`` when its provenance matches and built
there otherwise), shared by every seed and method. Per (variant, seed): one dataset generated with the world's
noise settings fixed below (identical for every method and never tuned per method), then each method trained
from B with the same steps, batch, schedule and seed (:mod:`trl_styling.recipes`), and
every planner evaluated on the same held-out test goals (plan -> instruction -> the instruction-following
editor, noise-free judge). Alongside: Edit-Only (E, the editor given the raw goal), the rule teacher on the
same goals (noise-free: the policy the data came from), the teacher's mean dataset reward (noisy judge, as the
paper reports it) and the oracle. Goals are descriptive (``--goal-explicitness``), as in the paper.

Each (variant, seed) run is written to ``OUT/runs/<variant>-s<seed>.json`` and skipped when present, so an
interrupted benchmark resumes. The summary (``OUT/summary.json`` + a markdown table on stdout) pools goals
over seeds: mean reward with a 95% bootstrap CI, validity, tool F1, and the paired difference of each method
against S on the same goals (CI above 0: the method beats S), and per variant whether the paper's three claims
hold: a reward-aware method beats S, the best trained planner beats the teacher, planning beats E.

    python benchmarks/compare_methods.py --quick                      # smoke run, ~3 min on 2 cores
    python benchmarks/compare_methods.py --out benchmarks/results/compare_methods
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from trl_styling.prompt import PlannerPrompt
from trl_styling.trainers import TRAINING_METHODS

# World noise, fixed before any run (documented in docs/benchmarks.md): the rule teacher's default mistake
# rates and a judge that is noisy on the training data (std 0.3 on the 0-5 reward), as a VLM judge is.
WORLD_NOISE = {"teacher_noise": "default", "judge_noise_std": 0.3, "extractor_noise": 0.0, "judge_cme": None}
# Rows that are a registered training method with one knob changed: (method key, RecipeSettings overrides).
# "SW+anchor": SW with weights 1 + z (sft_anchor=1), the form the quickstart uses; without a pretrained prior
# the paper's signed weights can unlearn the plan format (docs/benchmarks.md).
METHOD_ROWS: dict[str, tuple[str, dict[str, Any]]] = {"SW+anchor": ("SW", {"sw_anchor": 1.0})}
# Every trained row: each registered method (trl_styling.trainers.TRAINING_METHODS), its variants right after it.
TRAINED = tuple(
    row for key in TRAINING_METHODS for row in (key, *(name for name, (base, _) in METHOD_ROWS.items() if base == key))
)
ALL_METHODS = ("B", *TRAINED)
# Rows the paper's claims compare with S.
REWARD_AWARE = tuple(row for row in TRAINED if row != "S")


@dataclass
class BenchmarkConfig:
    variants: list[str] = field(default_factory=lambda: ["simple", "regular", "complex"])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    methods: list[str] = field(default_factory=lambda: list(ALL_METHODS))
    goal_explicitness: str = "descriptive"  # how goals word their changes (trl_styling.world.semantics.descriptions)
    num_groups: int = 300  # 30 test goals (split 80/10/10 by base image)
    rollouts: int = 3
    image_size: int = 96
    # B, one per variant and shared by every seed (a pretrained model is the same whatever the run's seed): read
    # from base_dir/<variant> when its provenance matches (trl_styling.base_planner), built there otherwise
    base_dir: str = "checkpoints"
    # A pretrained checkpoint as B instead (e.g. SmolLM2-135M-Instruct: `python -m trl_styling.pretrained --out DIR`):
    # its own tokenizer, the full prompt (brief tool specs, text plans), every method trained as a LoRA adapter
    base_model: str = ""
    lora: bool = False  # LoRA adapters (r 16, alpha 32, dropout 0.05 on q/k/v/o) instead of full fine-tuning
    bf16: bool = False  # bf16 mixed-precision training (on a GPU)
    hidden_size: int = 128
    num_layers: int = 3
    vocab_size: int = 2048
    warmup_groups: int = 3000
    warmup_steps: int = 2400
    warmup_batch_size: int = 16
    warmup_learning_rate: float = 5e-3
    steps: int = 60
    learning_rate: float = 1e-4  # the quickstart's, chosen for S on its validation split before any grid run
    dpo_learning_rate: float = 1e-4
    batch_size: int = 8
    loss_normalization: str = "sequence"  # the paper's (App. E.2)
    eval_goals: int = 30
    eval_retries: int = 2  # greedy first; on an invalid plan up to this many samples at temperature 0.7
    eval_repair: bool = False  # snap near-miss names / enumerated values onto the library (reported when on)
    eval_device: str = "cpu"  # where the planners generate: "cpu", "cuda" or "auto" (CUDA when available)
    out: str = "benchmarks/results/compare_methods"

    def __post_init__(self) -> None:
        if self.base_model:  # a pretrained backbone is adapted with LoRA, as in the paper
            self.lora = True

    def base_spec(self, variant: str) -> Any:
        from trl_styling.base_planner import BasePlannerSpec

        return BasePlannerSpec(
            variant=variant,
            goal_explicitness=self.goal_explicitness,
            seed=0,
            warmup_groups=self.warmup_groups,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            vocab_size=self.vocab_size,
            steps=self.warmup_steps,
            batch_size=self.warmup_batch_size,
            learning_rate=self.warmup_learning_rate,
        )


def run_one(cfg: BenchmarkConfig, variant: str, seed: int) -> dict[str, Any]:
    """Generates, trains every method from B and evaluates; returns the run's JSON-ready record."""
    from datasets import load_from_disk

    from trl_styling.base_planner import ensure_base_planner, read_provenance
    from trl_styling.data import reward_statistics
    from trl_styling.evaluation import EditOnly, OraclePlanner, evaluate_planner
    from trl_styling.pipeline import GenerationConfig, generate_dataset, get_backend, load_group_specs
    from trl_styling.recipes import RecipeSettings, load_planner, train_method
    from trl_styling.tools import get_tool_library

    work = Path(cfg.out) / "work" / f"{variant}-s{seed}"
    library = get_tool_library(variant)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    generate_dataset(
        GenerationConfig(
            variant=variant,
            num_groups=cfg.num_groups,
            rollouts=cfg.rollouts,
            seed=seed,
            out_dir=str(work / "data"),
            image_size=cfg.image_size,
            overwrite=True,
            goal_explicitness=cfg.goal_explicitness,
            progress=False,
            **WORLD_NOISE,
        )
    )
    dataset, specs = load_from_disk(str(work / "data")), load_group_specs(work / "data")
    teacher_stats = reward_statistics(dataset["train"])
    timings["generate"] = time.perf_counter() - began

    began = time.perf_counter()
    if cfg.base_model:  # a pretrained B: the full prompt it needs (it has not learnt the tools from the data)
        from trl_styling.pretrained import checkpoint_record

        base, prompt = Path(cfg.base_model), PlannerPrompt(plan_format="text", tool_specs="brief")
        base_record = checkpoint_record(base)
    else:
        spec = cfg.base_spec(variant)
        base = ensure_base_planner(spec, Path(cfg.base_dir) / f"base-planner-{variant}", progress=False)
        prompt, base_record = spec.prompt, read_provenance(base)
    timings["base_planner"] = time.perf_counter() - began
    settings = RecipeSettings(
        steps=cfg.steps,
        learning_rate=cfg.learning_rate,
        batch_size=cfg.batch_size,
        seed=seed,
        dpo_learning_rate=cfg.dpo_learning_rate,
        prompt=prompt,
        loss_normalization=cfg.loss_normalization,
        lora=cfg.lora,
        bf16=cfg.bf16,
        planner_device=cfg.eval_device,
        progress=False,
    )
    models = {"B": base}
    for method in (m for m in cfg.methods if m != "B"):
        began = time.perf_counter()
        recipe, overrides = METHOD_ROWS.get(method, (method, {}))
        models[method] = train_method(
            recipe, base, dataset["train"], library, work / method, replace(settings, **overrides)
        )
        timings[f"train_{method}"] = time.perf_counter() - began

    def evaluate(planner: Any) -> Any:
        return evaluate_planner(
            planner, dataset["test"], library, max_goals=cfg.eval_goals, group_specs=specs, seed=seed, progress=False
        )

    evaluations = {}
    began = time.perf_counter()
    for method in cfg.methods:
        planner = load_planner(
            models[method], library, settings, temperature=0.7, max_retries=cfg.eval_retries, repair=cfg.eval_repair
        )
        evaluations[method] = evaluate(planner)
    teacher = get_backend("plan", "world", library=library, seed=seed, noise=WORLD_NOISE["teacher_noise"])
    evaluations["E"] = evaluate(EditOnly())
    evaluations["teacher"] = evaluate(teacher)
    evaluations["oracle"] = evaluate(OraclePlanner(library))
    timings["evaluate"] = time.perf_counter() - began
    return {
        "variant": variant,
        "seed": seed,
        "config": asdict(cfg),
        "world_noise": WORLD_NOISE,
        "teacher_dataset_reward": teacher_stats,
        "timings_s": timings,
        "base_planner": base_record,
        "evaluations": {name: e.to_dict() for name, e in evaluations.items()},
    }


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per variant and planner: pooled goal-level estimates over seeds, and paired differences against S."""
    from trl_styling.evaluation import estimate, paired_difference

    summary: dict[str, Any] = {}
    for variant in sorted({r["variant"] for r in records}):
        runs = sorted((r for r in records if r["variant"] == variant), key=lambda r: r["seed"])
        planners = list(runs[0]["evaluations"])
        per: dict[str, Any] = {}
        for name in planners:
            results = [g for r in runs for g in r["evaluations"][name]["results"]]
            seed_means = [
                sum(g["reward"] for g in r["evaluations"][name]["results"]) / len(r["evaluations"][name]["results"])
                for r in runs
            ]
            planned = [g for g in results if not g.get("edit_only")]  # E has no plan: N/A on plan metrics
            per[name] = {
                "reward": estimate([g["reward"] for g in results]).to_dict(),
                "validity": estimate([float(g["valid"]) for g in planned]).to_dict(),
                "first_attempt_validity": estimate(
                    [float(g["valid"] and g.get("attempts", 1) == 1 and not g.get("repairs")) for g in planned]
                ).to_dict(),
                "tool_f1": estimate([g["tool_f1"] for g in results]).to_dict(),
                "reward_per_seed": seed_means,
            }
            cme = [g.get("cme_reward") for g in results]
            if None not in cme:  # records written before the CME column have none
                per[name]["cme_reward"] = estimate(cme).to_dict()
            if "S" in planners and name != "S":
                s_results = [g for r in runs for g in r["evaluations"]["S"]["results"]]
                baseline = [g["reward"] for g in s_results]
                per[name]["reward_minus_S"] = paired_difference([g["reward"] for g in results], baseline).to_dict()
                if "cme_reward" in per[name]:
                    per[name]["cme_minus_S"] = paired_difference(cme, [g["cme_reward"] for g in s_results]).to_dict()
        teacher_means = [r["teacher_dataset_reward"]["mean"] for r in runs]
        summary[variant] = {
            "seeds": [r["seed"] for r in runs],
            "planners": per,
            "teacher_dataset_reward": sum(teacher_means) / len(teacher_means),
            "claims": claims(runs),
        }
    return summary


def claims(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The paper's claims on these goals, each from a paired 95% CI (holds: the CI lies above 0)."""
    from trl_styling.evaluation import paired_difference

    def rewards(name: str) -> list[float]:
        return [g["reward"] for r in runs for g in r["evaluations"][name]["results"]]

    present = set(runs[0]["evaluations"])
    trained = [m for m in TRAINED if m in present]
    out: dict[str, Any] = {}
    if "S" in present:
        diffs = {m: paired_difference(rewards(m), rewards("S")) for m in REWARD_AWARE if m in present}
        out["reward-aware beats S"] = {
            "holds": any(d.low > 0 for d in diffs.values()),
            "by": [m for m, d in diffs.items() if d.low > 0],
        }
    if trained:
        best = max(trained, key=lambda m: sum(rewards(m)))
        for other, claim in (("teacher", "best beats the teacher"), ("E", "planning beats E")):
            if other in present:
                diff = paired_difference(rewards(best), rewards(other))
                out[claim] = {"holds": diff.low > 0, "best": best, "difference": diff.to_dict()}
    return out


def table(summary: dict[str, Any]) -> str:
    lines = []
    for variant, block in summary.items():
        lines += [
            f"### {variant} (seeds {block['seeds']}; teacher dataset mean reward "
            f"{block['teacher_dataset_reward']:.3f}, noisy judge)",
            "",
            "| planner | reward [95% CI] | reward − S [95% CI] | CME reward [95% CI] | CME − S [95% CI] "
            "| per-seed reward | valid (1st try) | tool F1 |",
            "|---|---|---|---|---|---|---|---|",
        ]

        def cell(e: dict[str, float]) -> str:
            return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"

        for name, p in block["planners"].items():
            diff = cell(p["reward_minus_S"]) if "reward_minus_S" in p else ""
            cme = cell(p["cme_reward"]) if "cme_reward" in p else "n/a"
            cme_diff = cell(p["cme_minus_S"]) if "cme_minus_S" in p else ""
            seeds = ", ".join(f"{x:.2f}" for x in p["reward_per_seed"])
            valid = (
                "n/a"
                if p["validity"]["n"] == 0
                else f"{p['validity']['mean']:.2f} ({p['first_attempt_validity']['mean']:.2f})"
            )
            lines.append(
                f"| {name} | {cell(p['reward'])} | {diff} | {cme} | {cme_diff} | {seeds} | {valid} "
                f"| {p['tool_f1']['mean']:.2f} |"
            )
        for claim, result in block.get("claims", {}).items():
            detail = ", ".join(result["by"]) if "by" in result else (f"{result['best']}: {cell(result['difference'])}")
            lines.append(f"- {claim}: **{'holds' if result['holds'] else 'does not hold'}** ({detail or 'none'})")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    from trl_styling.cli_types import boolean

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = BenchmarkConfig()
    for name, default in vars(defaults).items():
        if isinstance(default, bool):
            parser.add_argument(f"--{name.replace('_', '-')}", type=boolean, default=default)
        elif isinstance(default, list):
            parser.add_argument(f"--{name.replace('_', '-')}", nargs="+", type=type(default[0]), default=default)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    parser.add_argument("--quick", action="store_true", help="one variant, one seed, small budget (smoke run)")
    args = vars(parser.parse_args())
    quick = args.pop("quick")
    cfg = BenchmarkConfig(**args)
    if quick:
        cfg = BenchmarkConfig(
            **{
                **args,
                "variants": ["simple"],
                "seeds": [0],
                "num_groups": 40,
                "warmup_groups": 40,
                "warmup_steps": 60,
                "steps": 20,
                "eval_goals": 6,
                "out": cfg.out + "-quick",
                "base_dir": cfg.out + "-quick/checkpoints",
            }
        )
    unknown = sorted(set(cfg.methods) - set(ALL_METHODS))
    if unknown:
        parser.error(f"unknown method(s) {unknown}; choose from {', '.join(ALL_METHODS)}")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    runs_dir = Path(cfg.out) / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for seed in cfg.seeds:  # seed-major: an interrupted run already covers every variant
        for variant in cfg.variants:
            path = runs_dir / f"{variant}-s{seed}.json"
            if path.exists():
                record = json.loads(path.read_text())
                same = {k: record["config"][k] for k in ("variants", "seeds", "out")}
                if record["config"] != {**asdict(cfg), **same}:
                    raise SystemExit(f"{path} was made with another configuration; move it away or use another --out.")
                print(f"{variant} seed {seed}: reusing {path}")
            else:
                began = time.perf_counter()
                record = run_one(cfg, variant, seed)
                path.write_text(json.dumps(record, indent=1))
                print(f"{variant} seed {seed}: done in {time.perf_counter() - began:.0f} s -> {path}")
            records.append(record)
    summary = summarize(records)
    (Path(cfg.out) / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n" + table(summary))
    print(f"Wrote {Path(cfg.out) / 'summary.json'}")


if __name__ == "__main__":
    main()
