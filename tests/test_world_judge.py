"""The programmatic judge: criteria, ordering of good and bad plans, noise, CME, pixel guards."""

from __future__ import annotations

import numpy as np
import pytest

from trl_styling.context import StyleContext
from trl_styling.rewards import CRITERIA, CRITERIA_WEIGHTS
from trl_styling.tools import Plan, PlanStep
from trl_styling.world.semantics.coherence import new_issues
from trl_styling.world.semantics.executor import execute_plan, oracle_plan
from trl_styling.world.semantics.goals import StylingGoal, random_context, sample_goal
from trl_styling.world.semantics.judge import (
    ProgrammaticJudge,
    execute_and_score,
    structure_similarity,
)
from trl_styling.world.semantics.oracle import build_plan
from trl_styling.world.semantics.teacher import RuleTeacher

JUDGE = ProgrammaticJudge()
CTX = StyleContext(
    location="urban_city",
    architecture="victorian_gothic",
    time_period="modern_2000s",
    time_of_day="midday_overhead",
    season="summer_lush",
    weather="clear_sky",
    mood_lighting="neutral_balanced",
    color_grading="natural_balanced",
    artistic_medium="photorealistic",
    atmospheric_effects="none_clear",
)
GOAL = StylingGoal(
    "Show it at dusk twilight in autumn with falling leaves, but keep the Victorian gothic architecture.",
    "regular",
    "victorian_library",
    {"time_of_day": "dusk_twilight", "season": "autumn_falling"},
    preserve=("architecture",),
)


def _score(plan: Plan, goal: StylingGoal = GOAL, library: str = "regular", judge: ProgrammaticJudge = JUDGE):  # noqa: ANN202
    return execute_and_score(CTX, goal, plan, library, judge)[1]


def _plan(*steps: tuple[str, dict]) -> Plan:
    return Plan(tuple(PlanStep("why", tool, args) for tool, args in steps))


@pytest.mark.parametrize("variant", ["simple", "regular", "complex"])
def test_oracle_scores_at_least_4_5(variant: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        context = random_context(rng, variant)
        goal = sample_goal(context, variant, rng)
        result = _score_ctx(context, goal, oracle_plan(context, goal, variant, rng), variant)
        assert result.reward >= 4.5, (goal, result)
        assert result.criteria["goal_alignment"] == 5.0
        assert set(result.criteria) == set(CRITERIA) and all(0 <= v <= 5 for v in result.criteria.values())
        assert result.reward == pytest.approx(sum(CRITERIA_WEIGHTS[k] * v for k, v in result.criteria.items()))


def _score_ctx(context: StyleContext, goal: StylingGoal, plan: Plan, library: str):  # noqa: ANN202
    return execute_and_score(context, goal, plan, library, JUDGE)[1]


def test_wrong_value_and_irrelevant_plans_rank_below_the_oracle() -> None:
    rng = np.random.default_rng(5)
    checked = 0
    for variant in ("simple", "regular", "complex"):
        for _ in range(60):
            context = random_context(rng, variant)
            goal = sample_goal(context, variant, rng)
            oracle = _score_ctx(context, goal, oracle_plan(context, goal, variant), variant).reward
            changes = list(goal.targets.items())
            dim, value = changes[0]
            # A plain wrong value (one that brings no temporal/palette conflict of its own).
            final = goal.final_context(context)
            wrong = next(
                (
                    x
                    for x in _vocab(dim)
                    if x not in (value, context.get(dim))
                    and new_issues(context, final.replace(**{dim: x})) == (set(), set())
                ),
                None,
            )
            free = next(
                d
                for d in (
                    "weather",
                    "season",
                    "mood_lighting",
                    "color_grading",
                    "time_of_day",
                    "atmospheric_effects",
                    "artistic_medium",
                    "time_period",
                    "architecture",
                )
                if d not in goal.targets and d not in goal.preserve
            )
            if wrong is None:
                continue
            wrong_plan = build_plan(
                context,
                goal,
                [(dim, wrong), *changes[1:]],
                variant,
                preserve=goal.preserve,
                objects=goal.preserve_objects,
                region=goal.region,
            )
            irrelevant = build_plan(context, goal, [(free, _other(context, free))], variant)
            r_wrong = _score_ctx(context, goal, wrong_plan, variant).reward
            r_irrelevant = _score_ctx(context, goal, irrelevant, variant).reward
            assert r_irrelevant < r_wrong < oracle, (goal, r_irrelevant, r_wrong, oracle)
            checked += 1
    assert checked > 170


def _vocab(dim: str) -> tuple[str, ...]:
    from trl_styling.context import DIMENSION_VALUES

    return DIMENSION_VALUES[dim]


def _other(context: StyleContext, dim: str) -> str:
    return next(v for v in _vocab(dim) if v != context.get(dim))


def test_broken_preservation_lowers_the_score_and_is_recorded() -> None:
    oracle = _score(oracle_plan(CTX, GOAL, "regular"))
    drift = _plan(
        ("time_of_day", {"target_time": "dusk_twilight"}),
        ("season_cycle", {"target_season": "autumn_falling"}),
        ("architecture_style", {"target_style": "art_deco"}),
    )
    broken = _score(drift)
    assert broken.reward < oracle.reward - 0.5 and "architecture" in broken.rationale
    assert broken.criteria["goal_alignment"] < oracle.criteria["goal_alignment"]
    # With the constraint in place the executor blocks the drift and records it; hygiene suffers a little.
    guarded = _plan(
        ("preserve_attribute", {"attributes_to_preserve": ["architecture"]}),
        *[(s.tool, s.arguments) for s in drift.steps],
    )
    trace = execute_plan(CTX, guarded, "regular")
    assert [c.dimension for c in trace.blocked_changes] == ["architecture"]
    assert broken.reward < _score(guarded).reward < oracle.reward


def test_region_objects_partial_strength_and_conflicts() -> None:
    goal = StylingGoal(
        "Autumn in the background only.",
        "regular",
        "x",
        {"season": "autumn_falling"},
        preserve_objects=("person",),
        region="background",
    )
    good = _score(oracle_plan(CTX, goal, "regular"), goal)
    spill = _score(
        _plan(
            ("preserve_object_category", {"object_categories": ["person"]}),
            ("season_cycle", {"target_season": "autumn_falling"}),
        ),
        goal,
    )
    unprotected = _score(
        _plan(
            ("exclude_region", {"region_type": "foreground"}), ("season_cycle", {"target_season": "autumn_falling"})
        ),
        goal,
    )
    assert good.reward > 4.9
    assert spill.criteria["spatial_consistency"] < good.criteria["spatial_consistency"]
    assert unprotected.criteria["goal_alignment"] < good.criteria["goal_alignment"]
    assert "objects not protected: person" in unprotected.rationale

    goal = StylingGoal("Dusk.", "simple", "x", {"time_of_day": "dusk_twilight"})
    full = _score(_plan(("time_of_day", {"target_time": "dusk_twilight"})), goal)
    layer = {"action": {"tool": "time_of_day", "arguments": {"target_time": "dusk_twilight"}}, "opacity": 0.6}
    faint = _score(_plan(("layered_transformation", {"layers": [layer]})), goal)
    assert full.criteria["goal_alignment"] == 5.0 and 0 < faint.criteria["goal_alignment"] < 5.0

    goal = StylingGoal("Night.", "simple", "x", {"time_of_day": "night_moonlit"})
    plain = _score(_plan(("time_of_day", {"target_time": "night_moonlit"})), goal)
    clash = _score(
        _plan(
            ("time_of_day", {"target_time": "night_moonlit"}),
            ("color_grading", {"target_grading": "vibrant_saturated"}),
        ),
        goal,
    )
    assert clash.criteria["temporal_consistency"] < plain.criteria["temporal_consistency"] == 5.0
    assert "temporal conflict" in clash.rationale


def test_judge_noise_is_deterministic_and_clipped() -> None:
    plan = _plan(("time_of_day", {"target_time": "dusk_twilight"}))  # half the goal: reward well inside (0, 5)
    trace = execute_plan(CTX, plan, "regular")
    clean = JUDGE.score(GOAL, CTX, trace.final, trace, plan=plan)
    assert ProgrammaticJudge(noise_std=0.0).score(GOAL, CTX, trace.final, trace, plan=plan) == clean
    noisy = ProgrammaticJudge(noise_std=0.5, seed=1)
    a = noisy.score(GOAL, CTX, trace.final, trace, plan=plan)
    b = ProgrammaticJudge(noise_std=0.5, seed=1).score(GOAL, CTX, trace.final, trace, plan=plan)
    c = ProgrammaticJudge(noise_std=0.5, seed=2).score(GOAL, CTX, trace.final, trace, plan=plan)
    assert a == b and a.reward != c.reward and a.reward != clean.reward
    assert all(0.0 <= v <= 5.0 for v in (a.reward, *a.criteria.values()))
    assert noisy.score(GOAL, CTX, trace.final, trace, plan=plan, noise_free=True) == clean
    assert noisy.noise_free().score(GOAL, CTX, trace.final, trace, plan=plan) == clean
    # Different inputs get different (but fixed) draws; the spread is about noise_std.
    teacher = RuleTeacher("regular", seed=0)
    diffs = []
    for plan in teacher.sample_plans(CTX, GOAL, 200):
        t = execute_plan(CTX, plan, "regular")
        diffs.append(noisy.score(GOAL, CTX, t.final, t, plan=plan).reward - JUDGE.score(GOAL, CTX, t.final, t).reward)
    assert 0.2 < np.std(diffs) < 0.6


def test_cme_formula_is_exact() -> None:
    judge = ProgrammaticJudge(cme=(0.4, 0.6))
    plans = [oracle_plan(CTX, GOAL, "regular"), *RuleTeacher("regular", seed=4).sample_plans(CTX, GOAL, 30)]
    for plan in plans:
        result = _score(plan, judge=judge)
        d = result.details
        execution = result.criteria["goal_alignment"] / 5
        consistency = (d["preservation"] + result.criteria["spatial_consistency"] / 5) / 2
        assert (d["execution"], d["consistency"]) == pytest.approx((execution, consistency))
        assert result.reward == pytest.approx(min(5.0, 5 * execution * (0.4 + 0.6 * consistency)))
    # No execution, no reward -- however well everything else was kept.
    nothing = _plan(("weather_conditions", {"target_weather": "clear_sky"}))
    assert _score(nothing, judge=judge).reward == 0.0


def test_pixel_guards() -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    base = np.stack([xx, yy, 0.5 * np.ones_like(xx)], -1) * 0.8 + 0.1
    base += 0.05 * np.sin(xx * 40)[..., None]  # some texture
    goal = StylingGoal("Warmer grade.", "simple", "x", {"color_grading": "warm_cinematic"})
    plan = _plan(("color_grading", {"target_grading": "warm_cinematic"}))
    trace = execute_plan(CTX, plan, "simple")

    def score(edited: np.ndarray):  # noqa: ANN202
        return JUDGE.score(goal, CTX, trace.final, trace, base, edited, plan)

    graded = np.clip(base * np.array([1.1, 1.0, 0.85]), 0, 1)
    good = score(graded)
    assert good.reward == pytest.approx(score(base).reward) and good.details["structure"] > 0.9
    assert score(np.full_like(base, np.nan)).criteria["technical_quality"] == 0.0
    assert score(rng.random(base.shape)).criteria["technical_quality"] < good.criteria["technical_quality"]
    shuffled = graded.reshape(-1, 3)[rng.permutation(64 * 64)].reshape(base.shape)
    assert score(shuffled).criteria["spatial_consistency"] < good.criteria["spatial_consistency"]
    assert score(np.ones_like(base)).criteria["technical_quality"] < good.criteria["technical_quality"]
    assert score((graded * 255).astype(np.uint8)).reward == pytest.approx(good.reward, abs=0.01)
    assert structure_similarity(base, base) == pytest.approx(1.0, abs=1e-4)


def test_rendered_oracle_edits_pass_the_pixel_guards() -> None:
    from trl_styling.world import render_array

    rng = np.random.default_rng(1)
    for i, variant in enumerate(("simple", "regular", "complex") * 3):
        context = random_context(rng, variant)
        goal = sample_goal(context, variant, rng)
        plan = oracle_plan(context, goal, variant)
        trace = execute_plan(context, plan, variant)
        before, after = render_array(context, seed=i, size=64), render_array(trace.final, seed=i, size=64)
        assert JUDGE.score(goal, context, trace.final, trace, before, after, plan).reward >= 4.5
