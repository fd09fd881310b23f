"""Paper-style reports of `evaluate_like_paper`: tables with 95% CIs, grouped bar charts, JSON, human-eval files.

Per configuration: an image table (six dimensions and Overall), a plan table (eight dimensions and the three
aggregates; N/A for E), the objective image metrics when measured, and the paired differences of each method
with the baseline (S) on the goals both were judged on. The best *trained* method of each column is in bold
(every method tied with it at the displayed precision); baselines (E, G, B and the oracle by default) are shown
but never bolded, and neither are SSIM, PSNR and LPIPS: they measure how much of the original an edit kept, so a
planner that changes nothing would win them. Each method's outputs are also written in the
agent-output JSON that ``trl-styling annotate --methods`` reads (``score`` = the judge's image Overall, 0-100),
so humans can rank them and ``trl-styling agreement`` can compare the judge with them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from trl_styling.evaluation.image_metrics import METRIC_NAMES
from trl_styling.evaluation.metrics import Estimate, paired_difference
from trl_styling.evaluation.model_judge import (
    IMAGE_AGGREGATES,
    IMAGE_DIMENSIONS,
    PLAN_AGGREGATES,
    PLAN_DIMENSIONS,
    PROMPT_VERSION,
    SCORE_RANGE,
)
from trl_styling.evaluation.paper import PaperEvaluation, PaperMethodEvaluation

BASELINES: tuple[str, ...] = ("E", "G", "B", "oracle")
GOAL_METRICS = frozenset({"clip_score"})  # the objective metrics where more means a better edit
IMAGE_COLUMNS = tuple((key, label) for key, label, _ in IMAGE_DIMENSIONS) + IMAGE_AGGREGATES
PLAN_COLUMNS = tuple((key, label) for key, label, _ in PLAN_DIMENSIONS) + PLAN_AGGREGATES
METRIC_LABELS = {"ssim": "SSIM", "psnr": "PSNR (dB)", "lpips": "LPIPS", "clip_score": "CLIP score"}


def trained_methods(evaluation: PaperEvaluation, trained: Sequence[str] | None = None) -> list[str]:
    """The methods that compete for bold.

    Args:
        evaluation: The configuration.
        trained: Their names; None: every planner not named in `BASELINES` (and not Edit-Only).

    Raises:
        ValueError: A name in ``trained`` is not a method of the configuration.
    """
    if trained is not None:
        unknown = sorted(set(trained) - set(evaluation.methods))
        if unknown:
            raise ValueError(f"trained names {unknown} are not methods of {evaluation.configuration!r}.")
        return list(trained)
    return [name for name, m in evaluation.methods.items() if not m.edit_only and name not in BASELINES]


def _cell(value: Estimate | None, digits: int, bold: bool) -> str:
    if value is None:
        return "N/A"
    if value.n == 0 or math.isnan(value.mean):
        return "n/a"
    text = value.format(digits)
    return f"**{text}**" if bold else text


def _best(
    summaries: Mapping[str, Mapping[str, Estimate] | None], key: str, names: Sequence[str], digits: int
) -> set[str]:
    """The names whose mean of ``key`` is the highest at the displayed precision (ties all win)."""
    shown = {
        name: round(s[key].mean, digits)
        for name in names
        if (s := summaries.get(name)) is not None and key in s and s[key].n > 0 and not math.isnan(s[key].mean)
    }
    best = max(shown.values(), default=None)
    return {name for name, value in shown.items() if value == best}


def _table(
    summaries: Mapping[str, Mapping[str, Estimate] | None],
    columns: Sequence[tuple[str, str]],
    trained: Sequence[str],
    extra: Mapping[str, Sequence[str]],
    extra_titles: Sequence[str],
    digits: int,
) -> str:
    titles = [label for _, label in columns] + list(extra_titles)
    lines = ["| method | " + " | ".join(titles) + " |", "|" + "---|" * (len(titles) + 1)]
    bold = [key for key, _ in columns if key not in METRIC_LABELS or key in GOAL_METRICS]
    best = {key: _best(summaries, key, trained, digits) if key in bold else set() for key, _ in columns}
    for name, summary in summaries.items():
        cells = [_cell(None if summary is None else summary.get(key), digits, name in best[key]) for key, _ in columns]
        lines.append(f"| {name} | " + " | ".join(cells + list(extra[name])) + " |")
    return "\n".join(lines)


def image_table(evaluation: PaperEvaluation, trained: Sequence[str] | None = None) -> str:
    """Methods x image dimensions (0-100), mean [95% CI] over the judged rows, and the judged/flagged counts."""
    methods = evaluation.methods
    summaries = {name: m.image_summary() for name, m in methods.items()}
    counts = {name: [_counts(m, "image")] for name, m in methods.items()}
    return _table(summaries, IMAGE_COLUMNS, trained_methods(evaluation, trained), counts, ["judged (flagged)"], 1)


def plan_table(evaluation: PaperEvaluation, trained: Sequence[str] | None = None) -> str:
    """Methods x plan dimensions and aggregates (0-100); E has no plan (N/A)."""
    methods = evaluation.methods
    summaries = {name: m.plan_summary() for name, m in methods.items()}
    extra = {}
    for name, m in methods.items():
        validity = m.validity()
        valid = "N/A" if validity is None else f"{validity.mean:.2f}"
        extra[name] = [valid, "N/A" if m.edit_only else _counts(m, "plan")]
    titles = ["valid plans", "judged (flagged)"]
    return _table(summaries, PLAN_COLUMNS, trained_methods(evaluation, trained), extra, titles, 1)


def metrics_table(evaluation: PaperEvaluation, trained: Sequence[str] | None = None) -> str:
    """Methods x objective image metrics (empty string when none was measured)."""
    summaries = {name: m.metrics_summary() for name, m in evaluation.methods.items()}
    present = {key for s in summaries.values() for key in s}
    names = [key for key in METRIC_NAMES if key in present] + sorted(present - set(METRIC_NAMES))
    if not names:
        return ""
    columns = [(key, METRIC_LABELS.get(key, key)) for key in names]
    extra = {name: [] for name in summaries}
    return _table(summaries, columns, trained_methods(evaluation, trained), extra, [], 3)


def _counts(method: PaperMethodEvaluation, part: str) -> str:
    flagged = method.flagged()[part]
    return f"{len(method.rows) - flagged} ({flagged})"


def paired_table(evaluation: PaperEvaluation, baseline: str = "S") -> str:
    """Each method's paired difference of image and plan Overall with ``baseline`` on the goals both were judged."""
    if baseline not in evaluation.methods:
        raise ValueError(f"paired_table: no method named {baseline!r} in {list(evaluation.methods)}.")
    base = {r.group_id: r for r in evaluation.methods[baseline].rows}
    lines = [
        f"| method | image Overall − {baseline} | plan Overall − {baseline} |",
        "|---|---|---|",
    ]
    for name, method in evaluation.methods.items():
        if name == baseline:
            continue
        cells = []
        for part in ("image_scores", "plan_scores"):
            pairs = [
                (getattr(r, part)["overall"], getattr(base[r.group_id], part)["overall"])
                for r in method.rows
                if r.group_id in base and getattr(r, part) is not None and getattr(base[r.group_id], part) is not None
            ]
            if not pairs:
                cells.append("N/A")
                continue
            diff = paired_difference([a for a, _ in pairs], [b for _, b in pairs])
            cells.append(f"{diff.format(1, signed=True)} (n={diff.n})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_grouped(evaluation: PaperEvaluation, part: Literal["image", "plan"], path: str | Path) -> Path:
    """A grouped bar chart (dimensions x methods, 95% CI error bars) of the ``"image"`` or ``"plan"`` scores.

    A score with no judged row is drawn as no bar and the label "n/a", never as 0.

    Raises:
        ValueError: ``part`` is neither ``"image"`` nor ``"plan"``.
    """
    if part not in ("image", "plan"):
        raise ValueError(f"part must be 'image' or 'plan', got {part!r}.")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    columns = IMAGE_COLUMNS if part == "image" else PLAN_COLUMNS
    summaries = {
        name: (m.image_summary() if part == "image" else m.plan_summary()) for name, m in evaluation.methods.items()
    }
    summaries = {name: s for name, s in summaries.items() if s is not None}
    width = 0.8 / max(len(summaries), 1)
    fig, ax = plt.subplots(figsize=(1.1 * len(columns) + 3, 4.2), dpi=120)
    positions = np.arange(len(columns))
    for k, (name, summary) in enumerate(summaries.items()):
        values = [summary[key] for key, _ in columns]
        judged = [i for i, v in enumerate(values) if v.n > 0 and not math.isnan(v.mean)]
        x = positions + (k - (len(summaries) - 1) / 2) * width
        means = [values[i].mean for i in judged]
        errors = [
            [max(0.0, values[i].mean - values[i].low) for i in judged],
            [max(0.0, values[i].high - values[i].mean) for i in judged],
        ]
        color = f"C{k % 10}"
        ax.bar(x[judged], means, width, yerr=errors, capsize=2, label=name, color=color)
        for i in sorted(set(range(len(values))) - set(judged)):  # no judged row: no bar, and say so
            ax.text(x[i], 1, "n/a", rotation=90, ha="center", va="bottom", fontsize=6, color=color)
    ax.set_xticks(positions, [label for _, label in columns], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(*SCORE_RANGE)
    ax.set_ylabel("judge score (0-100)")
    ax.set_title(f"{evaluation.configuration}: {part} quality (mean, 95% CI)", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="method")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _finite(value: Any) -> Any:
    """``value`` with NaN (a mean over no judged row) and infinities as None, so the JSON stays strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "configuration"


def write_human_eval_outputs(evaluation: PaperEvaluation, out_dir: str | Path) -> list[Path]:
    """Each method's outputs as ``<out_dir>/<method>.json``, the agent-output format of ``trl-styling annotate
    --methods``; ``score`` is the image Overall (0-100), or null when flagged.

    Images are PNG files beside them: the originals once (``images/_originals/``; no method slug starts with
    ``_``), each method's edits under ``images/<method>/``.
    """
    out = Path(out_dir)
    originals = out / "images" / "_originals"
    originals.mkdir(parents=True, exist_ok=True)
    written, saved = [], set()
    for name, method in evaluation.methods.items():
        images = out / "images" / _slug(name)
        images.mkdir(parents=True, exist_ok=True)
        records = []
        for row in method.rows:
            stem = _slug(row.group_id)
            if stem not in saved:  # overwritten, never reused: a rerun on other data must not keep stale images
                row.original_image.save(originals / f"{stem}.png")
                saved.add(stem)
            row.edited_image.save(images / f"{stem}.png")
            records.append(
                {
                    "group_id": row.group_id,
                    "goal": row.goal,
                    "image": f"images/_originals/{stem}.png",
                    "edited_image": f"images/{_slug(name)}/{stem}.png",
                    "plan": row.plan_text if row.valid is not None else "",
                    "instruction": row.instruction,
                    "score": None if row.image_scores is None else row.image_scores["overall"],
                }
            )
        path = out / f"{_slug(name)}.json"
        path.write_text(json.dumps({"score_range": list(SCORE_RANGE), "outputs": records}, indent=2) + "\n")
        written.append(path)
    return written


def paper_report(evaluation: PaperEvaluation, baseline: str = "S", trained: Sequence[str] | None = None) -> str:
    """The markdown section of one configuration: image, plan and metric tables, paired differences."""
    judge = evaluation.judge
    parts = [
        f"## {evaluation.configuration}",
        f"Judge `{judge.get('model')}` (prompts {judge.get('prompt_version', PROMPT_VERSION)}, temperature "
        f"{judge.get('temperature')}, top-p {judge.get('top_p')}), editor `{evaluation.editor}`. Scores 0-100, mean "
        "[95% bootstrap CI] over the judged rows; flagged rows (no usable judge answer) are excluded. Bold: the best "
        "trained method of each column.",
        "### Image quality",
        image_table(evaluation, trained),
        "### Plan quality",
        plan_table(evaluation, trained),
    ]
    metrics = metrics_table(evaluation, trained)
    if metrics:
        parts += ["### Objective image metrics (original vs edited; CLIP score: edited vs goal)", metrics]
    if baseline in evaluation.methods:
        parts += [f"### Paired differences against {baseline} (same goals)", paired_table(evaluation, baseline)]
    return "\n\n".join(parts)


def write_paper_report(
    evaluations: PaperEvaluation | Sequence[PaperEvaluation],
    out_dir: str | Path,
    *,
    baseline: str = "S",
    trained: Sequence[str] | None = None,
) -> str:
    """Writes ``paper_report.md``, ``paper_report.json``, two charts and the human-eval outputs per
    configuration (``<slug>_image.png``, ``<slug>_plan.png``, ``outputs/<slug>/``); returns the markdown."""
    evaluations = [evaluations] if isinstance(evaluations, PaperEvaluation) else list(evaluations)
    labels = [e.configuration for e in evaluations]
    if len(set(labels)) != len(labels):
        raise ValueError(f"Configurations must have distinct labels, got {labels}; pass configuration=... to each.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for evaluation in evaluations:
        slug = _slug(evaluation.configuration)
        sections.append(paper_report(evaluation, baseline, trained))
        plot_grouped(evaluation, "image", out / f"{slug}_image.png")
        if any(not m.edit_only for m in evaluation.methods.values()):
            plot_grouped(evaluation, "plan", out / f"{slug}_plan.png")
        write_human_eval_outputs(evaluation, out / "outputs" / slug)
    markdown = "\n\n".join(sections) + "\n"
    (out / "paper_report.md").write_text(markdown)
    payload = {"prompt_version": PROMPT_VERSION, "configurations": [e.to_dict() for e in evaluations]}
    (out / "paper_report.json").write_text(json.dumps(_finite(payload), indent=2, allow_nan=False) + "\n")
    return markdown
