"""Reward math, in one place: the paper's six criteria and their weights (App. C.3.1), the weighted sum, FIRM's
Consistency-Modulated Execution (CME), the 0-5 range and the result every judge returns.

The world's programmatic judge, the VLM judge and the data layer all import it. No heavy imports, so any layer
can.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CRITERIA_WEIGHTS: dict[str, float] = {
    "goal_alignment": 0.30,
    "aesthetic_quality": 0.25,
    "spatial_consistency": 0.15,
    "technical_quality": 0.15,
    "temporal_consistency": 0.10,
    "creative_interpretation": 0.05,
}
CRITERIA: tuple[str, ...] = tuple(CRITERIA_WEIGHTS)
REWARD_MIN, REWARD_MAX = 0.0, 5.0

# The CME weights evaluation reports by default: FIRM's "base and bonus" shape, our choice of values (the
# seed does not give FIRM's). Any w1 > 0 keeps the property that matters here: no execution, no reward.
EVALUATION_CME_WEIGHTS: tuple[float, float] = (0.4, 0.6)


def clip_reward(value: float) -> float:
    """``value`` clipped to the reward range [REWARD_MIN, REWARD_MAX] = [0, 5]."""
    return float(min(REWARD_MAX, max(REWARD_MIN, value)))


def weighted_reward(criteria: Mapping[str, float]) -> float:
    """The paper's scalar reward: Σ weight·score over the six criteria (each on 0-5).

    Raises:
        ValueError: When a criterion is missing or None; the message names it.
    """
    missing = [name for name in CRITERIA if criteria.get(name) is None]
    if missing:
        raise ValueError(
            f"Cannot compute the reward: criteria {missing} are missing; all of {list(CRITERIA)} are needed."
        )
    return float(sum(CRITERIA_WEIGHTS[name] * float(criteria[name]) for name in CRITERIA))


def cme_reward(execution: float, consistency: float, weights: tuple[float, float]) -> float:
    """FIRM's Consistency-Modulated Execution on the 0-5 scale: ``5 * execution * (w1 + w2 * consistency)``,
    clipped to [0, 5]; ``execution`` and ``consistency`` in [0, 1]."""
    return clip_reward(5 * execution * (weights[0] + weights[1] * consistency))


def judge_reward(
    criteria: Mapping[str, float],
    execution: float | None = None,
    consistency: float | None = None,
    cme: tuple[float, float] | None = None,
) -> tuple[float, dict[str, float]]:
    """A judge's reward from its scores, and the numbers behind it.

    Args:
        criteria: The six criteria, each on 0-5.
        execution: How much of the requested change was done, in [0, 1] (needed with ``cme``).
        consistency: How well everything else was kept, in [0, 1] (needed with ``cme``).
        cme: FIRM's ``(w1, w2)``: the reward is then `cme_reward`; ``None`` gives the weighted sum.

    Returns:
        ``(reward, details)``: the reward clipped to [0, 5], and ``{"weighted_reward": ...}`` (plus
        ``execution`` and ``consistency`` under CME).
    """
    weighted = weighted_reward(criteria)
    details = {"weighted_reward": weighted}
    if cme is None:
        return clip_reward(weighted), details
    if execution is None or consistency is None or not (math.isfinite(execution) and math.isfinite(consistency)):
        raise ValueError(f"A CME reward needs finite execution and consistency, got {execution} and {consistency}.")
    details.update(execution=execution, consistency=consistency)
    return cme_reward(execution, consistency, cme), details


@dataclass(frozen=True)
class JudgeResult:
    """A 0-5 reward, the six criteria (0-5 each), a short rationale and the numbers behind them."""

    reward: float
    criteria: dict[str, float]
    rationale: str
    details: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reward": self.reward,
            "criteria": dict(self.criteria),
            "rationale": self.rationale,
            "details": dict(self.details),
        }
