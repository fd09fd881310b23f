"""Judge score scales and the reward-tier sampling of rating pages (App. J.1).

**Score scales.** The dataset's judge reward lies on 0-5; a VLM judge's Overall score (the paper-style
evaluation) on 0-100. A source states its scale as ``score_range = (low, high)``; cut-offs given on 0-5
move to another range linearly: ``low + (t / 5) * (high - low)``, so the default ``(3, 4)`` becomes
``(60, 80)`` on 0-100. Cut-offs given explicitly are taken on the source's own scale.

**Tier sampling.** The paper rates a sample stratified by reward: 40% *high* (``>= PASS``), 40% *medium*
(``>= PARTIAL``, ``< PASS``) and 20% *low* (``< PARTIAL``). `tier_sample` makes that exact:

* requested counts for ``N`` items: ``high = floor(N * 0.4 + 1/2)`` (round half up, in exact rational
  arithmetic), ``medium = min(floor(N * 0.4 + 1/2), N - high)``, ``low = N - high - medium``; e.g. 10 ->
  4/4/2, 5 -> 2/2/1, 4 -> 2/2/0, 1 -> 0/0/1;
* a tier with fewer rows than requested gives all of them, and the shortfall is filled from the rows the
  other tiers have left, in the fixed order `FILL_ORDER` (medium, then high, then low: the nearest tier
  first). Fewer scored rows than ``N`` in all gives every scored row;
* rows without a score (``judge_failed``) are never sampled, and counted;
* without ``N`` every scored row is kept (nothing to stratify);
* within a tier the rows come from one seeded permutation (a fill takes the next rows of it), and the page
  order is a seeded shuffle of the whole sample, so tiers are interleaved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from trl_styling.human_eval.schema import DEFAULT_JUDGE_THRESHOLDS, REWARD_RANGE

TIERS: tuple[str, ...] = ("high", "medium", "low")
TIER_SHARES: tuple[float, float, float] = (0.4, 0.4, 0.2)  # App. J.1
FILL_ORDER: tuple[str, ...] = ("medium", "high", "low")


class ScoreScaleError(ValueError):
    """Cut-offs or a score range that do not fit a judge's scale; the message names the option and the fix."""


def is_finite_number(value: Any) -> bool:
    """A finite int or float (booleans are not scores)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_score_range(value: Any) -> tuple[float, float] | None:
    """``(low, high)`` from a file's ``score_range`` field: `REWARD_RANGE` when absent (files written before
    ranges were recorded hold 0-5 rewards), None when it is not two finite numbers with low < high."""
    if value is None:
        return REWARD_RANGE
    if not isinstance(value, list) or len(value) != 2 or not all(is_finite_number(v) for v in value):
        return None
    return (float(value[0]), float(value[1])) if value[0] < value[1] else None


def scale_thresholds(
    thresholds: tuple[float, float], score_range: tuple[float, float], source_range: tuple[float, float] = REWARD_RANGE
) -> tuple[float, float]:
    """``thresholds`` on ``source_range`` (default the 0-5 reward) moved linearly onto ``score_range``."""
    (low, high), (src_low, src_high) = score_range, source_range

    def scale(t: float) -> float:
        # Multiply before dividing so integer cut-offs on integer ranges stay exact (3 on 0-5 -> 60.0 on 0-100).
        return float(low + (t - src_low) * (high - low) / (src_high - src_low))

    return scale(thresholds[0]), scale(thresholds[1])


def resolve_thresholds(
    thresholds: tuple[float, float] | None, score_range: tuple[float, float], name: str = "thresholds"
) -> tuple[float, float]:
    """Explicit cut-offs checked against ``score_range``, or the 0-5 defaults scaled to it when None.

    Raises:
        ScoreScaleError: a cut-off lies outside ``score_range``; the message starts with ``name``.
    """
    if thresholds is None:
        return scale_thresholds(DEFAULT_JUDGE_THRESHOLDS, score_range)
    low, high = score_range
    if not all(low <= t <= high for t in thresholds):
        defaults = ",".join(f"{t:g}" for t in scale_thresholds(DEFAULT_JUDGE_THRESHOLDS, score_range))
        raise ScoreScaleError(
            f"{name}: {thresholds[0]:g},{thresholds[1]:g} lies outside the judge's score range [{low:g}, {high:g}]; "
            f"give the cut-offs on that scale (the default 3,4 of 0-5 is {defaults} there) or leave it out"
        )
    return (float(thresholds[0]), float(thresholds[1]))


def reward_tier(score: float, thresholds: tuple[float, float] = DEFAULT_JUDGE_THRESHOLDS) -> str:
    """``high`` (``>= thresholds[1]``), ``medium`` (``>= thresholds[0]``) or ``low``."""
    partial, passing = thresholds
    return "high" if score >= passing else "medium" if score >= partial else "low"


def tier_counts(max_items: int, shares: Sequence[float] = TIER_SHARES) -> dict[str, int]:
    """Requested items per tier for ``max_items`` (see the module docstring); ``shares`` sum to 1."""
    exact = [Fraction(str(share)) for share in shares]
    if len(exact) != len(TIERS) or any(share < 0 for share in exact) or sum(exact) != 1:
        raise ValueError(f"shares must be three numbers >= 0 (high, medium, low) summing to 1, got {tuple(shares)}")
    high = math.floor(max_items * exact[0] + Fraction(1, 2))
    medium = min(math.floor(max_items * exact[1] + Fraction(1, 2)), max_items - high)
    return {"high": high, "medium": medium, "low": max_items - high - medium}


@dataclass(frozen=True)
class TierSample:
    """The rows `tier_sample` chose, in page order, and what it asked for, found and took per tier."""

    indices: list[int]
    tiers: list[str]  # the tier of each chosen row, aligned with ``indices``
    max_items: int | None
    thresholds: tuple[float, float]
    shares: tuple[float, float, float]
    requested: dict[str, int]
    available: dict[str, int]
    achieved: dict[str, int]
    filled: dict[str, int]  # rows a tier gave beyond its request, to cover other tiers' shortfall
    skipped_unscored: int

    @property
    def shortfall(self) -> dict[str, int]:
        """Per tier, how many requested rows it could not give itself."""
        return {t: self.requested[t] - self.available[t] for t in TIERS if self.requested[t] > self.available[t]}

    def record(self, seed: int) -> dict[str, Any]:
        """The JSON summary the judge sidecar keeps under ``sampling``."""
        return {
            "method": "tiers",
            "seed": seed,
            "max_items": self.max_items,
            "thresholds": list(self.thresholds),
            "shares": dict(zip(TIERS, self.shares)),
            "fill_order": list(FILL_ORDER),
            "requested": self.requested,
            "available": self.available,
            "achieved": self.achieved,
            "shortfall": self.shortfall,
            "filled": self.filled,
            "skipped_unscored": self.skipped_unscored,
        }

    def summary(self) -> str:
        """One line for the terminal: achieved/requested per tier, fills and skipped rows."""
        parts = [f"{t} {self.achieved[t]}/{self.requested[t]}" for t in TIERS]
        text = "Sampled by reward tier (achieved/requested): " + ", ".join(parts)
        if self.shortfall:
            short = ", ".join(f"{t} short by {n}" for t, n in self.shortfall.items())
            fills = ", ".join(f"{n} from {t}" for t, n in self.filled.items()) or "nothing left to fill from"
            text += f"; {short}, filled {fills}"
        total = sum(self.requested.values()) - sum(self.achieved.values())
        if total > 0:
            text += f"; {total} fewer items than requested"
        return text + f"; skipped {self.skipped_unscored} rows without a judge score."


def tier_sample(
    rewards: Sequence[float | None],
    max_items: int | None,
    seed: int,
    thresholds: tuple[float, float] = DEFAULT_JUDGE_THRESHOLDS,
    shares: tuple[float, float, float] = TIER_SHARES,
) -> TierSample:
    """A seeded sample of row indices stratified by reward tier (the rules are in the module docstring).

    Args:
        rewards: the judge score of each row; None (or NaN) for a row whose judge failed.
        max_items: items wanted in all; None keeps every scored row.
        seed: seeds the permutation within each tier and the page order.
        thresholds: ``(PARTIAL, PASS)`` on the scores' own scale.
        shares: the high / medium / low shares of ``max_items``.
    """
    by_tier: dict[str, list[int]] = {t: [] for t in TIERS}
    skipped = 0
    for index, reward in enumerate(rewards):
        if reward is None or not math.isfinite(reward):
            skipped += 1
        else:
            by_tier[reward_tier(reward, thresholds)].append(index)
    available = {t: len(rows) for t, rows in by_tier.items()}
    counts = tier_counts(max_items or 0, shares)  # validates the shares even when every row is kept
    requested = dict(available) if max_items is None else counts
    take = {t: min(requested[t], available[t]) for t in TIERS}
    missing = sum(requested.values()) - sum(take.values())
    filled: dict[str, int] = {}
    for tier in FILL_ORDER:
        extra = min(missing, available[tier] - take[tier])
        if extra > 0:
            take[tier] += extra
            filled[tier] = extra
            missing -= extra
    rng = np.random.default_rng(seed)
    chosen = [(int(i), t) for t in TIERS for i in rng.permutation(by_tier[t])[: take[t]]]
    order = rng.permutation(len(chosen))
    return TierSample(
        indices=[chosen[i][0] for i in order],
        tiers=[chosen[i][1] for i in order],
        max_items=max_items,
        thresholds=(float(thresholds[0]), float(thresholds[1])),
        shares=(float(shares[0]), float(shares[1]), float(shares[2])),
        requested=requested,
        available=available,
        achieved=take,
        filled=filled,
        skipped_unscored=skipped,
    )
