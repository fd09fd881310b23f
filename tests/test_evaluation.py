"""evaluate_planner and the comparison report on a small generated Regular dataset."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from datasets import load_from_disk

from trl_styling.evaluation import OraclePlanner, evaluate_planner, goals_of_split, write_comparison
from trl_styling.pipeline import GenerationConfig, PlanProposal, generate_dataset, load_group_specs
from trl_styling.pipeline.backends.world import TeacherPlanner
from trl_styling.tools import Plan, PlanStep


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval-data")
    config = GenerationConfig(
        variant="regular",
        num_groups=20,
        rollouts=3,
        seed=3,
        out_dir=str(out),
        image_size=64,
        split_ratios=(0.5, 0.0, 0.5),
        progress=False,
    )
    generate_dataset(config)
    return load_from_disk(str(out)), load_group_specs(out)


class BrokenPlanner:
    """Never produces a valid plan (a planner that only babbles)."""

    needs_structured_goal = False

    def propose(self, context, goal, n, *, image=None, seed=0):
        return [PlanProposal(plan=None, raw="blah", errors=("invalid plan: no step found",)) for _ in range(n)]


class OneWrongStepPlanner:
    """Always sets the season to dry_season, whatever the goal asks."""

    needs_structured_goal = False

    def propose(self, context, goal, n, *, image=None, seed=0):
        step = PlanStep("Dry season.", "season_cycle", {"target_season": "dry_season"})
        return [PlanProposal(plan=Plan((step,))) for _ in range(n)]


def test_oracle_beats_teacher_beats_wrong_beats_nothing(data, tmp_path):
    dataset, specs = data
    test = dataset["test"]
    num_goals = len(goals_of_split(test))
    assert num_goals >= 5
    kwargs = {"group_specs": specs, "progress": False}
    oracle = evaluate_planner(OraclePlanner("regular"), test, "regular", **kwargs)
    teacher = evaluate_planner(TeacherPlanner(library="regular", seed=0), test, "regular", **kwargs)
    wrong = evaluate_planner(OneWrongStepPlanner(), test, "regular", **kwargs)
    broken = evaluate_planner(BrokenPlanner(), test, "regular", **kwargs)

    assert len(oracle.results) == num_goals
    assert oracle.summary["validity"].mean == 1.0 and oracle.summary["tool_f1"].mean == 1.0
    assert oracle.summary["preservation_violations"].mean == 0.0
    assert oracle.summary["reward"].mean >= 4.5
    assert oracle.summary["reward"].mean > teacher.summary["reward"].mean > wrong.summary["reward"].mean
    assert wrong.summary["reward"].mean > broken.summary["reward"].mean - 0.5  # a no-op is not rewarded more
    assert broken.summary["validity"].mean == 0.0 and broken.summary["tool_f1"].mean == 0.0
    assert broken.results[0].errors == ("invalid plan: no step found",)
    # the wrong planner changes only the season: precision 1 exactly where the goal asks for a season change
    for row, result in zip(goals_of_split(test), wrong.results, strict=True):
        targets = json.loads(row["goal_spec"])["targets"]
        assert result.tool_precision == (1.0 if "season" in targets else 0.0)

    table = write_comparison(
        {"oracle": oracle, "teacher": teacher, "broken": broken}, tmp_path, reference={"teacher (dataset mean)": 3.6}
    )
    assert table.splitlines()[2].startswith("| oracle | ")
    saved = json.loads((tmp_path / "comparison.json").read_text())
    assert set(saved["planners"]) == {"oracle", "teacher", "broken"}
    assert saved["planners"]["oracle"]["summary"]["reward"]["ci_low"] <= oracle.summary["reward"].mean
    assert (tmp_path / "comparison.png").stat().st_size > 1000


def test_rows_without_goal_spec_are_refused(data):
    dataset, _ = data
    test = dataset["test"].map(lambda row: {"goal_spec": None})
    with pytest.raises(ValueError, match=r"has no \['goal_spec'\]: evaluation needs the structured goal"):
        evaluate_planner(OraclePlanner("regular"), test, "regular", progress=False)


class SecondTryPlanner:
    """Valid on every other goal only after one retry (as HFPlanner reports a resampled plan)."""

    needs_structured_goal = False

    def __init__(self):
        self.calls = 0

    def propose(self, context, goal, n, *, image=None, seed=0):
        self.calls += 1
        step = PlanStep("Dry season.", "season_cycle", {"target_season": "dry_season"})
        retried = self.calls % 2 == 0
        errors = ("attempt 1: invalid plan: no step found",) if retried else ()
        return [PlanProposal(plan=Plan((step,)), errors=errors, attempts=2 if retried else 1) for _ in range(n)]


def test_validity_counts_retries_and_first_attempt_validity_does_not(data):
    dataset, specs = data
    evaluation = evaluate_planner(SecondTryPlanner(), dataset["test"], "regular", group_specs=specs, progress=False)
    n = len(evaluation.results)
    assert evaluation.summary["validity"].mean == 1.0
    assert evaluation.summary["first_attempt_validity"].mean == pytest.approx((n - n // 2) / n)
    assert [r.attempts for r in evaluation.results[:2]] == [1, 2]


def test_a_repaired_plan_is_valid_but_not_valid_as_first_generated(data):
    dataset, specs = data

    class RepairedPlanner:
        needs_structured_goal = False

        def propose(self, context, goal, n, *, image=None, seed=0):
            step = PlanStep("Dry season.", "season_cycle", {"target_season": "dry_season"})
            return [
                PlanProposal(
                    plan=Plan((step,)), repairs=("step 0: season_cycle.target_season: 'dry' -> 'dry_season'",)
                )
            ]

    evaluation = evaluate_planner(RepairedPlanner(), dataset["test"], "regular", group_specs=specs, progress=False)
    assert evaluation.summary["validity"].mean == 1.0 and evaluation.summary["first_attempt_validity"].mean == 0.0
    assert evaluation.results[0].repairs[0].endswith("-> 'dry_season'")


def test_cme_reward_gives_nothing_for_no_edit_and_follows_the_formula(data):
    from trl_styling.rewards import EVALUATION_CME_WEIGHTS
    from trl_styling.world.semantics.judge import ProgrammaticJudge

    dataset, specs = data
    test = dataset["test"]
    kwargs = {"group_specs": specs, "progress": False}
    broken = evaluate_planner(BrokenPlanner(), test, "regular", **kwargs)
    oracle = evaluate_planner(OraclePlanner("regular"), test, "regular", **kwargs)
    # Leaving the image untouched keeps about 3/5 of the weighted-sum reward but earns no CME reward.
    assert broken.summary["reward"].mean > 2.5
    assert [r.cme_reward for r in broken.results] == [0.0] * len(broken.results)
    assert oracle.summary["cme_reward"].mean > 4.5
    # Same weights as a CME judge: the column equals what that judge gives for the same executed plans.
    cme_judge = ProgrammaticJudge(cme=EVALUATION_CME_WEIGHTS)
    teacher_cme = evaluate_planner(
        TeacherPlanner(library="regular", seed=0), test, "regular", judge=cme_judge, **kwargs
    )
    teacher = evaluate_planner(TeacherPlanner(library="regular", seed=0), test, "regular", **kwargs)
    assert [r.cme_reward for r in teacher.results] == pytest.approx([r.reward for r in teacher_cme.results])
    other = evaluate_planner(
        TeacherPlanner(library="regular", seed=0), test, "regular", cme_weights=(1.0, 0.0), **kwargs
    )
    # w2 = 0: the CME reward is execution alone, 5 * goal_alignment / 5
    execution_only = [r.criteria["goal_alignment"] for r in other.results]
    assert [r.cme_reward for r in other.results] == pytest.approx(execution_only)


def test_the_table_says_n_a_for_a_metric_the_judge_cannot_give(data):
    from trl_styling.evaluation import PlannerEvaluation, comparison_table

    dataset, specs = data
    evaluation = evaluate_planner(BrokenPlanner(), dataset["test"], "regular", group_specs=specs, progress=False)
    stripped = PlannerEvaluation([replace(r, cme_reward=None) for r in evaluation.results])
    row = comparison_table({"no cme": stripped}).splitlines()[2]
    assert row.split(" | ")[2] == "n/a"


def test_edit_only_reads_the_raw_goal_and_has_no_plan_metrics(data):
    """E: the instruction editor on the raw (descriptive) goal. On these goals it does something but misses
    what the goal only implies, so it lands between leaving the image alone and the oracle's plans."""
    from trl_styling.evaluation import EditOnly, comparison_table
    from trl_styling.world.semantics.reading import read_instruction

    dataset, specs = data
    test = dataset["test"]
    kwargs = {"group_specs": specs, "progress": False}
    edit_only = evaluate_planner(EditOnly(), test, "regular", **kwargs)
    oracle = evaluate_planner(OraclePlanner("regular"), test, "regular", **kwargs)
    broken = evaluate_planner(BrokenPlanner(), test, "regular", **kwargs)
    for row, result in zip(goals_of_split(test), edit_only.results, strict=True):
        assert result.edit_only and result.instruction == row["goal"] and result.num_steps == 0
        assert json.loads(row["goal_spec"])["explicitness"] == "descriptive"
        assert not read_instruction(row["goal"]).fully_understood  # descriptive goals are vague to the editor
    assert edit_only.summary["validity"].n == 0 and edit_only.summary["num_steps"].n == 0
    assert broken.summary["reward"].mean < edit_only.summary["reward"].mean < oracle.summary["reward"].mean
    assert comparison_table({"E": edit_only}).splitlines()[2].split(" | ")[3] == "n/a"  # validity
    with pytest.raises(ValueError, match="evaluate it with editor='instruction'"):
        evaluate_planner(EditOnly(), test, "regular", editor="tools", **kwargs)


def test_the_oracle_through_its_instruction_scores_as_the_oracle_executed(data):
    dataset, specs = data
    kwargs = {"group_specs": specs, "progress": False}
    read = evaluate_planner(OraclePlanner("regular"), dataset["test"], "regular", **kwargs)
    executed = evaluate_planner(OraclePlanner("regular"), dataset["test"], "regular", editor="tools", **kwargs)
    assert read.summary["reward"].mean >= 0.95 * executed.summary["reward"].mean
    assert all(r.instruction.endswith("leave everything not mentioned unchanged.") for r in read.results)
