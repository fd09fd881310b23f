"""Exact-value tests of the evaluation metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trl_styling.context import StyleContext
from trl_styling.evaluation import bootstrap_ci, estimate, paired_difference, preservation_violations, tool_scores


def test_tool_scores_exact():
    # changed {a, b, c}, required {b, c, d}: P = 2/3, R = 2/3, F1 = 2/3
    scores = tool_scores({"a", "b", "c"}, {"b", "c", "d"})
    assert (scores.precision, scores.recall, scores.f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    # changed {a}, required {a, b}: P = 1, R = 1/2, F1 = 2 * 1 * 0.5 / 1.5 = 2/3
    scores = tool_scores({"a"}, {"a", "b"})
    assert (scores.precision, scores.recall, scores.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert tool_scores(set(), {"a"}) == tool_scores({"b"}, {"a"})  # both 0/0/0
    assert tool_scores(set(), set()).f1 == 1.0


def test_preservation_violations():
    before = StyleContext(season="summer_lush", weather="clear_sky", time_of_day="midday_overhead")
    after = before.replace(season="winter_snow", weather="light_snow")
    assert preservation_violations(("season", "time_of_day"), before, after) == 1
    assert preservation_violations((), before, after) == 0


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    values = np.random.default_rng(0).normal(3.0, 1.0, size=200)
    low, high = bootstrap_ci(values, seed=1)
    assert low < values.mean() < high
    # the CI of a mean of 200 unit-variance draws is about +-1.96/sqrt(200) = +-0.139
    assert high - low == pytest.approx(2 * 1.96 / math.sqrt(200), rel=0.15)
    assert bootstrap_ci(values, seed=1) == (low, high)
    assert bootstrap_ci([2.5]) == (2.5, 2.5)
    assert all(math.isnan(v) for v in bootstrap_ci([]))
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([1.0, 2.0], confidence=1.5)


def test_estimate_string():
    e = estimate([1.0, 2.0, 3.0])
    assert e.mean == 2.0 and e.n == 3 and e.low <= 2.0 <= e.high
    assert str(e).startswith("2.000 [")


def test_paired_difference_is_the_mean_of_per_goal_differences():
    a, b = [3.0, 4.0, 2.5, 5.0], [2.0, 4.5, 2.0, 4.0]
    result = paired_difference(a, b, seed=3)
    # differences 1.0, -0.5, 0.5, 1.0 -> mean 0.5
    assert result.mean == pytest.approx(0.5)
    assert result.n == 4
    assert -0.5 <= result.low <= 0.5 <= result.high <= 1.0
    # every difference equal: a zero-width interval at that difference
    same = paired_difference([2.0, 3.0], [1.5, 2.5])
    assert (same.mean, same.low, same.high) == pytest.approx((0.5, 0.5, 0.5))


def test_paired_difference_rejects_unpaired_results():
    with pytest.raises(ValueError, match="same goals"):
        paired_difference([1.0, 2.0], [1.0])
