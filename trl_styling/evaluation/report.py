"""Comparison of several evaluated planners: a markdown table, a JSON file and a bar chart with error bars."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trl_styling.evaluation.evaluate import PlannerEvaluation

# (key in PlannerEvaluation.summary, column title, digits)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("reward", "reward (0-5)", 3),
    ("cme_reward", "CME reward (0-5)", 3),
    ("validity", "valid plans", 3),
    ("first_attempt_validity", "valid at 1st try", 3),
    ("tool_f1", "tool F1", 3),
    ("tool_precision", "tool P", 3),
    ("tool_recall", "tool R", 3),
    ("preservation_violations", "preservation viol.", 3),
    ("num_steps", "steps", 2),
)


def comparison_table(
    evaluations: Mapping[str, PlannerEvaluation], reference: Mapping[str, float] | None = None
) -> str:
    """Markdown table, one row per planner: mean [95% CI] of each metric. ``reference`` adds rows with a
    single reward figure (e.g. the teacher's mean dataset reward)."""
    header = "| planner | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, evaluation in evaluations.items():
        cells = []
        for key, _, digits in COLUMNS:
            value = evaluation.summary[key]
            if math.isnan(value.mean):  # e.g. CME reward from a judge that reports no execution/consistency
                cells.append("n/a")
                continue
            cells.append(value.format(digits))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, reward in (reference or {}).items():
        lines.append(f"| {name} | {reward:.3f} | " + " | ".join("" for _ in COLUMNS[1:]) + " |")
    return "\n".join(lines)


def paired_table(
    evaluations: Mapping[str, PlannerEvaluation],
    baseline: str = "S",
    metrics: tuple[str, ...] = ("reward", "cme_reward", "tool_f1"),
) -> str:
    """Markdown table of each planner's paired difference with ``baseline`` on the same goals (mean [95% CI]).

    Pairing removes the goal-to-goal spread both planners share; an interval above 0 says the planner beats the
    baseline on these goals. Planners scored on other goals (another count) are left out.
    """
    from trl_styling.evaluation.metrics import paired_difference

    if baseline not in evaluations:
        raise ValueError(f"paired_table: no planner named {baseline!r} among {list(evaluations)}.")
    titles = dict((k, t) for k, t, _ in COLUMNS)
    header = " | ".join(f"{titles[m]} − {baseline}" for m in metrics)
    lines = [f"| planner | {header} |", "|" + "---|" * (len(metrics) + 1)]
    base = evaluations[baseline].results
    for name, evaluation in evaluations.items():
        if name == baseline or [r.group_id for r in evaluation.results] != [r.group_id for r in base]:
            continue
        cells = []
        for metric in metrics:
            pairs = [(getattr(a, metric), getattr(b, metric)) for a, b in zip(evaluation.results, base)]
            if any(x is None or y is None for x, y in pairs):
                cells.append("n/a")
                continue
            diff = paired_difference([x for x, _ in pairs], [y for _, y in pairs])
            cells.append(diff.format(3, signed=True))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mistakes_table(evaluations: Mapping[str, PlannerEvaluation]) -> str:
    """Markdown table of what the valid plans get wrong: mean count per plan of each kind of mistake."""
    from trl_styling.evaluation.diagnosis import ERROR_KINDS

    header = " | ".join(kind.replace("_", " ") for kind in ERROR_KINDS)
    lines = [f"| planner | {header} |", "|" + "---|" * (len(ERROR_KINDS) + 1)]
    for name, evaluation in evaluations.items():
        means = [evaluation.summary.get(f"mistakes/{kind}") for kind in ERROR_KINDS]
        if any(m is None or math.isnan(m.mean) for m in means):
            continue  # no valid plan to diagnose
        lines.append(f"| {name} | " + " | ".join(f"{m.mean:.2f}" for m in means) + " |")
    return "\n".join(lines)


def comparison_json(
    evaluations: Mapping[str, PlannerEvaluation], reference: Mapping[str, float] | None = None
) -> dict[str, Any]:
    return {
        "planners": {name: evaluation.to_dict() for name, evaluation in evaluations.items()},
        "reference": dict(reference or {}),
    }


def plot_comparison(
    evaluations: Mapping[str, PlannerEvaluation],
    path: str | Path,
    metrics: tuple[str, ...] = ("reward", "cme_reward"),
) -> Path:
    """Horizontal bar chart per metric with 95% CI error bars (PNG); planner names stay readable at any length."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(evaluations)
    titles = dict((k, t) for k, t, _ in COLUMNS)
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(4.2 * len(metrics) + 1.5, 0.45 * len(names) + 1.2),
        dpi=120,
        sharey=True,
        squeeze=False,
    )
    for ax, metric in zip(axes[0], metrics):
        estimates = [evaluations[name].summary[metric] for name in names]
        means = [0.0 if math.isnan(e.mean) else e.mean for e in estimates]
        errors = [
            [max(0.0, e.mean - e.low) if not math.isnan(e.mean) else 0.0 for e in estimates],
            [max(0.0, e.high - e.mean) if not math.isnan(e.mean) else 0.0 for e in estimates],
        ]
        positions = list(range(len(names)))
        ax.barh(positions, means, xerr=errors, capsize=3, color="#4C72B0")
        ax.set_yticks(positions, names)
        ax.invert_yaxis()  # first planner on top, as in the table
        ax.set_xlabel(titles.get(metric, metric))
        if metric in ("reward", "cme_reward"):
            ax.set_xlim(0, 5)
        ax.set_title(f"{titles.get(metric, metric)}: mean, 95% CI", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_comparison(
    evaluations: Mapping[str, PlannerEvaluation],
    out_dir: str | Path,
    reference: Mapping[str, float] | None = None,
    baseline: str | None = None,
) -> str:
    """Writes ``comparison.md``, ``comparison.json`` and ``comparison.png`` into ``out_dir``; returns the markdown.

    The markdown holds the comparison table, the paired differences against ``baseline`` (when given and
    evaluated) and the mistakes of the valid plans by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = comparison_table(evaluations, reference)
    if baseline is not None and baseline in evaluations:
        paired = paired_table(evaluations, baseline)
        table += f"\n\nPaired differences against {baseline} on the same goals:\n\n{paired}"
    mistakes = mistakes_table(evaluations)
    if mistakes.count("\n") > 1:
        table += "\n\nMistakes per valid plan (evaluation.diagnosis):\n\n" + mistakes
    (out / "comparison.md").write_text(table + "\n")
    (out / "comparison.json").write_text(json.dumps(comparison_json(evaluations, reference), indent=2))
    plot_comparison(evaluations, out / "comparison.png")
    return table
