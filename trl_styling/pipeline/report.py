"""``trl-styling stats``: reward statistics and plots of a generated trajectory dataset.

Writes into ``DIR/report/`` (or ``out_dir``): ``report.json`` (`reward_statistics`
overall and per split, per-group reward spread, split leakage check, the generation throughput when
``generation.json`` is there) and, when matplotlib is installed (``pip install trl-styling[report]``),
``reward_histograms.png`` (one panel per variant), ``criteria_means.png`` and ``group_spread.png``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict, concatenate_datasets, load_from_disk

from trl_styling.data import reward_statistics
from trl_styling.data.schema import is_usable
from trl_styling.rewards import CRITERIA

_LIGHT = ("trajectory_id", "group_id", "base_image_id", "variant", "reward", "judge_failed", "split", *CRITERIA)


def _light(dataset: Dataset) -> Dataset:
    return dataset.select_columns([c for c in _LIGHT if c in dataset.column_names])


def load_trajectories(dataset_dir: str | Path) -> DatasetDict:
    path = Path(dataset_dir)
    if not path.exists():
        raise FileNotFoundError(f"{dataset_dir} does not exist; pass a directory written by `trl-styling generate`.")
    try:
        data = load_from_disk(str(path))
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{dataset_dir} holds no dataset saved with save_to_disk ({e}).") from None
    return data if isinstance(data, DatasetDict) else DatasetDict({"all": data})


def group_spreads(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Population std of the usable rewards of each group with >= 2 usable rows."""
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if is_usable(row):
            groups[row["group_id"]].append(row["reward"])
    return {g: float(np.std(v)) for g, v in groups.items() if len(v) >= 2}


def dataset_report(dataset_dir: str | Path, out_dir: str | Path | None = None) -> dict[str, Any]:
    """Computes the report of a generated dataset, writes it (JSON + PNG) and returns it."""
    splits = load_trajectories(dataset_dir)
    light = DatasetDict({name: _light(split) for name, split in splits.items()})
    everything = concatenate_datasets(list(light.values())) if len(light) > 1 else next(iter(light.values()))
    rows = everything.to_list()
    spreads = group_spreads(rows)
    homes: dict[str, set[str]] = defaultdict(set)
    for name, split in light.items():
        for base in split["base_image_id"]:
            homes[base].add(name)
    leaked = sorted(b for b, names in homes.items() if len(names) > 1)
    report: dict[str, Any] = {
        "dataset_dir": str(dataset_dir),
        "overall": reward_statistics(everything),
        "splits": {name: reward_statistics(split) for name, split in light.items()},
        "group_spread": {
            "groups": len(spreads),
            "mean_std": float(np.mean(list(spreads.values()))) if spreads else None,
            "frac_std_gt_0": float(np.mean([s > 0 for s in spreads.values()])) if spreads else None,
            "histogram": _histogram(list(spreads.values()), np.linspace(0, 2.5, 11)),
        },
        "rewards_in_range": all(0.0 <= r["reward"] <= 5.0 for r in rows if is_usable(r)),
        "base_images_in_two_splits": leaked,
        "reward_histograms": {
            variant: _histogram(values, np.linspace(0, 5, 21)) for variant, values in sorted(_by_variant(rows).items())
        },
    }
    generation = Path(dataset_dir) / "generation.json"
    if generation.exists():
        report["generation"] = json.loads(generation.read_text()).get("timings")
    out = Path(out_dir) if out_dir is not None else Path(dataset_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    report["plots"] = _plots(rows, spreads, report, out)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    report["report_dir"] = str(out)
    return report


def _by_variant(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if is_usable(row):
            out[row.get("variant") or "unknown"].append(row["reward"])
    return out


def _histogram(values: list[float], edges: np.ndarray) -> dict[str, list[float]]:
    counts, edges = np.histogram(np.asarray(values, dtype=float), bins=edges)
    return {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}


def _plots(rows: list[dict[str, Any]], spreads: dict[str, float], report: dict[str, Any], out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        report["plots_skipped"] = "matplotlib is not installed: pip install 'trl-styling[report]'"
        return []
    written = []
    variants = _by_variant(rows)
    if variants:
        fig, axes = plt.subplots(1, len(variants), figsize=(4.5 * len(variants), 3.2), squeeze=False)
        for ax, (variant, values) in zip(axes[0], sorted(variants.items())):
            ax.hist(values, bins=np.linspace(0, 5, 21), color="#4C72B0", edgecolor="white")
            ax.axvline(3.5, color="#C44E52", linestyle="--", linewidth=1, label="R threshold 3.5")
            ax.set(
                title=f"{variant}: n={len(values)}, mean={np.mean(values):.2f}",
                xlabel="reward (0-5)",
                ylabel="trajectories",
                xlim=(0, 5),
            )
            ax.legend(fontsize=8)
        written.append(_save(fig, out / "reward_histograms.png", plt))
    means = report["overall"]["criteria_means"]
    if any(v is not None for v in means.values()):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        names = [c for c in CRITERIA if means.get(c) is not None]
        ax.barh(names, [means[c] for c in names], color="#55A868")
        ax.set(xlim=(0, 5), xlabel="mean score (0-5)", title="Criteria means (usable rows)")
        ax.invert_yaxis()
        written.append(_save(fig, out / "criteria_means.png", plt))
    if spreads:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.hist(list(spreads.values()), bins=np.linspace(0, 2.5, 26), color="#8172B2", edgecolor="white")
        ax.set(xlabel="within-group reward std", ylabel="groups", title=f"Within-group spread ({len(spreads)} groups)")
        written.append(_save(fig, out / "group_spread.png", plt))
    return written


def _save(fig: Any, path: Path, plt: Any) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def _fmt(x: Any, spec: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def format_report(report: dict[str, Any]) -> str:
    """A short text summary of `dataset_report`."""
    o, spread = report["overall"], report["group_spread"]
    lines = [
        f"{report['dataset_dir']}: {o['count']} trajectories, {o['usable']} usable, {o['judge_failed']} judge-failed, "
        f"{o['num_groups']} groups (mean size {_fmt(o['mean_group_size'], '.2f')})",
        f"reward: mean {_fmt(o['mean'])}, std {_fmt(o['std'])}, min {_fmt(o['min'])}, max {_fmt(o['max'])}; "
        f">= 3.5: {_fmt(o['frac_ge_3_5'], '.1%')}, >= 4.0: {_fmt(o['frac_ge_4_0'], '.1%')}",
        "per variant: " + ", ".join(f"{k or '?'} {_fmt(v)}" for k, v in o["variant_means"].items()),
        f"within-group std: mean {_fmt(spread['mean_std'])}, "
        f"groups with std > 0: {_fmt(spread['frac_std_gt_0'], '.1%')}",
        "criteria means: " + ", ".join(f"{k} {_fmt(v, '.2f')}" for k, v in o["criteria_means"].items()),
        "splits: "
        + ", ".join(f"{k} {v['count']}" for k, v in report["splits"].items())
        + (
            "; no base image in two splits"
            if not report["base_images_in_two_splits"]
            else f"; WARNING: {len(report['base_images_in_two_splits'])} base images in two splits"
        ),
    ]
    generation = report.get("generation")
    if generation and generation.get("trajectories_per_second"):
        lines.append(
            f"generation: {generation['trajectories_per_second']:.2f} trajectories/s "
            f"({generation['num_workers']} worker(s))"
        )
    if report.get("plots_skipped"):
        lines.append(f"plots skipped: {report['plots_skipped']}")
    lines.append(f"report written to {report['report_dir']}")
    return "\n".join(lines)
