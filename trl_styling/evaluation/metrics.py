"""Plan-level metrics and bootstrap confidence intervals (pure functions, no model, no world state)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trl_styling.context import StyleContext


@dataclass(frozen=True)
class ToolScores:
    """Precision / recall / F1 of the dimensions a plan changed against those the goal requires."""

    precision: float
    recall: float
    f1: float


def tool_scores(changed: set[str], required: set[str]) -> ToolScores:
    """Dimension-level P/R/F1. An empty plan for a non-empty goal scores 0/0/0; both empty scores 1/1/1."""
    if not changed and not required:
        return ToolScores(1.0, 1.0, 1.0)
    hits = len(changed & required)
    precision = hits / len(changed) if changed else 0.0
    recall = hits / len(required) if required else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ToolScores(precision, recall, f1)


def preservation_violations(preserve: Sequence[str], initial: StyleContext, final: StyleContext) -> int:
    """Preserved dimensions whose value changed (the goal said to keep them)."""
    return sum(initial.get(dim) != final.get(dim) for dim in preserve)


def bootstrap_ci(
    values: Sequence[float], confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean. One value gives a zero-width interval; none gives NaNs."""
    data = np.asarray(values, dtype=np.float64)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}.")
    if data.size == 0:
        return float("nan"), float("nan")
    if data.size == 1:
        return float(data[0]), float(data[0])
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(n_resamples, data.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


@dataclass(frozen=True)
class Estimate:
    """A mean with its bootstrap confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "n": self.n}

    def format(self, digits: int = 3, signed: bool = False) -> str:
        """``mean [low, high]`` with ``digits`` decimals; ``signed`` puts ``+`` on positive values (differences)."""
        spec = f"{'+' if signed else ''}.{digits}f"
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def __str__(self) -> str:
        return self.format()


def estimate(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> Estimate:
    data = [float(v) for v in values]
    low, high = bootstrap_ci(data, confidence=confidence, seed=seed)
    mean = float(np.mean(data)) if data else float("nan")
    return Estimate(mean, low, high, len(data))


def paired_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95, seed: int = 0) -> Estimate:
    """Mean of ``a[i] - b[i]`` with a bootstrap CI: two planners scored on the *same* goals, in the same order.

    Pairing removes the goal-to-goal spread that both planners share, so the interval is much narrower than
    comparing two separate CIs; an interval above 0 says ``a`` beats ``b`` on these goals.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_difference needs results on the same goals; got {len(a)} and {len(b)} values.")
    return estimate([float(x) - float(y) for x, y in zip(a, b)], confidence=confidence, seed=seed)
