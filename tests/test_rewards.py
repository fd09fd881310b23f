"""trl_styling.rewards: the criteria weights, the weighted sum, CME and the judges' combination, on literal values."""

from __future__ import annotations

import math

import pytest

from trl_styling.rewards import (
    CRITERIA,
    CRITERIA_WEIGHTS,
    EVALUATION_CME_WEIGHTS,
    JudgeResult,
    clip_reward,
    cme_reward,
    judge_reward,
    weighted_reward,
)

SCORES = dict(zip(CRITERIA, (5.0, 4.0, 3.0, 3.0, 2.0, 0.0)))
# 0.30*5 + 0.25*4 + 0.15*3 + 0.15*3 + 0.10*2 + 0.05*0
WEIGHTED = 1.5 + 1.0 + 0.45 + 0.45 + 0.2 + 0.0


def test_criteria_weights_are_the_papers():
    assert CRITERIA_WEIGHTS == {
        "goal_alignment": 0.30,
        "aesthetic_quality": 0.25,
        "spatial_consistency": 0.15,
        "technical_quality": 0.15,
        "temporal_consistency": 0.10,
        "creative_interpretation": 0.05,
    }
    assert CRITERIA == tuple(CRITERIA_WEIGHTS) and math.isclose(sum(CRITERIA_WEIGHTS.values()), 1.0)


def test_weighted_reward_exact():
    assert weighted_reward(SCORES) == pytest.approx(WEIGHTED)
    with pytest.raises(ValueError, match="creative_interpretation"):
        weighted_reward({name: 4 for name in CRITERIA[:-1]})


def test_cme_reward_values():
    assert cme_reward(0.8, 0.5, (0.4, 0.6)) == pytest.approx(5 * 0.8 * (0.4 + 0.6 * 0.5))  # 2.8
    assert cme_reward(0.0, 1.0, EVALUATION_CME_WEIGHTS) == 0.0  # no execution, no reward
    assert cme_reward(1.0, 1.0, (1.0, 1.0)) == 5.0  # 10, clipped to the scale
    assert (clip_reward(-0.2), clip_reward(2.5), clip_reward(7.0)) == (0.0, 2.5, 5.0)


def test_judge_reward_is_the_weighted_sum_or_cme_with_its_details():
    reward, details = judge_reward(SCORES)
    assert reward == pytest.approx(WEIGHTED) and details == {"weighted_reward": pytest.approx(WEIGHTED)}
    reward, details = judge_reward(SCORES, execution=0.8, consistency=0.5, cme=(0.4, 0.6))
    assert reward == pytest.approx(2.8)
    assert details == {"weighted_reward": pytest.approx(WEIGHTED), "execution": 0.8, "consistency": 0.5}
    with pytest.raises(ValueError, match="needs finite execution and consistency"):
        judge_reward(SCORES, cme=(0.4, 0.6))
    result = JudgeResult(reward, dict(SCORES), "why", details)
    assert result.to_dict() == {"reward": reward, "criteria": SCORES, "rationale": "why", "details": details}
