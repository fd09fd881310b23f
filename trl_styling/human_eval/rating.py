"""The trajectories of a rating page (App. J.1): which rows of a dataset split or agent-output file to rate.

By default the sample is stratified by judge score, 40% high / 40% medium / 20% low
(`trl_styling.human_eval.sampling`); ``sampling="uniform"`` takes a seeded random sample of all rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trl_styling.human_eval.items import (
    ItemSourceError,
    Output,
    load_split,
    read_records,
    record_output,
    record_score,
    row_output,
    row_score,
    sample_indices,
)
from trl_styling.human_eval.sampling import resolve_thresholds, tier_sample
from trl_styling.human_eval.schema import REWARD_RANGE


@dataclass
class RatingSample:
    """The outputs of a rating page, their scale and how they were sampled (recorded in the judge sidecar)."""

    outputs: list[Output]
    score_range: tuple[float, float]
    sampling: dict[str, Any]
    tiers: dict[str, str] = field(default_factory=dict)  # item id -> reward tier (tiers sampling only)
    summary: str = ""  # a line for the terminal


def rating_sample(
    source: str | Path,
    split: str,
    max_items: int | None,
    seed: int,
    max_image_size: int,
    *,
    sampling: str = "tiers",
    thresholds: tuple[float, float] | None = None,
) -> RatingSample:
    """Trajectories of a dataset split, or the records of one agent-output JSON file, to rate.

    Images are decoded for the chosen rows only.

    Args:
        source: a `trl-styling generate` directory (its ``split``) or an agent-output JSON / JSONL file.
        split: the dataset split (ignored for a file).
        max_items: items on the page; None for all.
        seed: the sampling seed.
        max_image_size: downscale images to at most this many pixels a side.
        sampling: ``"tiers"`` (App. J.1: 40% high / 40% medium / 20% low reward, see
            `trl_styling.human_eval.sampling`; rows without a score are skipped) or ``"uniform"`` (a seeded
            random sample of all rows).
        thresholds: the tier cut-offs ``(PARTIAL, PASS)`` on the source's scale; None scales the 0-5 defaults.

    Raises:
        ItemSourceError: the source cannot be read, or ``thresholds`` lie outside its score range.
    """
    path = Path(source)
    if path.is_dir():
        rows = load_split(path, split)
        light = rows.select_columns([c for c in ("reward", "judge_failed") if c in rows.column_names])
        scores, score_range = [row_score(row) for row in light], REWARD_RANGE
    elif path.is_file():
        records, score_range = read_records(path)
        scores = [record_score(record, i, path, score_range) for i, record in enumerate(records)]
    else:
        raise ItemSourceError(f"{source} does not exist; pass a `trl-styling generate` directory or a JSON file")
    record: dict[str, Any] = {"method": sampling, "seed": seed, "max_items": max_items}
    tiers: list[str] = []
    summary = ""
    if sampling == "tiers":
        try:
            cutoffs = resolve_thresholds(thresholds, score_range, "argument --tier-thresholds")
        except ValueError as e:
            raise ItemSourceError(str(e)) from None
        chosen = tier_sample(scores, max_items, seed, cutoffs)
        indices, tiers, record, summary = chosen.indices, chosen.tiers, chosen.record(seed), chosen.summary()
    elif sampling == "uniform":
        indices = sample_indices(len(scores), max_items, seed)
    else:
        raise ItemSourceError(f"sampling must be 'tiers' or 'uniform', got {sampling!r}")
    if path.is_dir():
        chosen_rows = rows.select(indices)
        outputs = [row_output(row, max_image_size, f"{path} row {row.get('trajectory_id')}") for row in chosen_rows]
    else:
        outputs = [record_output(records[i], i, path, score_range, max_image_size) for i in indices]
    ids = [output.item_id for output in outputs]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ItemSourceError(f"{source}: items {twice} appear twice; give each record a distinct 'trajectory_id'")
    return RatingSample(outputs, score_range, record, dict(zip(ids, tiers)), summary)


def rating_outputs(
    dataset_dir: str | Path, split: str, max_items: int | None, seed: int, max_image_size: int
) -> list[Output]:
    """A seeded uniform random sample of trajectories of ``split`` (`rating_sample` with ``sampling="uniform"``)."""
    return rating_sample(dataset_dir, split, max_items, seed, max_image_size, sampling="uniform").outputs
