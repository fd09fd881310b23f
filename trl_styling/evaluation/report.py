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
            cells.append(f"{value.mean:.{digits}f} [{value.low:.{digits}f}, {value.high:.{digits}f}]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, reward in (reference or {}).items():
        lines.append(f"| {name} | {reward:.3f} | " + " | ".join("" for _ in COLUMNS[1:]) + " |")
    return "\n".join(lines)


def comparison_json(
    evaluations: Mapping[str, PlannerEvaluation], reference: Mapping[str, float] | None = None
) -> dict[str, Any]:
    return {
        "planners": {name: evaluation.to_dict() for name, evaluation in evaluations.items()},
        "reference": dict(reference or {}),
    }


def plot_comparison(evaluations: Mapping[str, PlannerEvaluation], path: str | Path, metric: str = "reward") -> Path:
    """Bar chart of one metric with 95% CI error bars (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(evaluations)
    estimates = [evaluations[name].summary[metric] for name in names]
    means = [e.mean for e in estimates]
    errors = [[e.mean - e.low for e in estimates], [e.high - e.mean for e in estimates]]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(names)), 3.2), dpi=120)
    ax.bar(names, means, yerr=errors, capsize=4, color="#4C72B0")
    ax.set_ylabel(dict((k, t) for k, t, _ in COLUMNS).get(metric, metric))
    if metric == "reward":
        ax.set_ylim(0, 5)
    ax.set_title(f"{metric} (mean, 95% bootstrap CI)")
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
) -> str:
    """Writes ``comparison.md``, ``comparison.json`` and ``comparison.png`` into ``out_dir``; returns the table."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = comparison_table(evaluations, reference)
    (out / "comparison.md").write_text(table + "\n")
    (out / "comparison.json").write_text(json.dumps(comparison_json(evaluations, reference), indent=2))
    plot_comparison(evaluations, out / "comparison.png")
    return table
