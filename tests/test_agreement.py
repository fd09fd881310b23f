"""Agreement statistics of the human evaluation (App. J.2, J.3, J.5.3) on literal inputs, maths written out."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from datasets import DatasetDict

from trl_styling.cli import main
from trl_styling.data.schema import Trajectory, trajectories_to_dataset
from trl_styling.human_eval.agreement import (
    agreement_report,
    average_ranks,
    item_agreement,
    judge_level,
    kendall_tau_b,
    pair_agreement,
    ranking_points,
    spearman,
    top_k_accuracy,
    winner_accuracy,
)
from trl_styling.human_eval.answers import AnswersError, load_answers, load_judge, parse_answers, parse_judge

FORMAT = "trl-styling-human-eval/1"


def test_average_ranks_share_the_mean_rank_of_ties():
    assert average_ranks([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_spearman_is_pearson_of_average_ranks():
    # y ranks [1, 2, 3.5, 5, 3.5]; centred x ranks [-2,-1,0,1,2], y ranks [-2,-1,.5,2,.5]: 8 / sqrt(10 * 9.5)
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95), abs=1e-15)
    # ranks [1.5,1.5,3,4] and [1,2.5,2.5,4]: 3.75 / sqrt(4.5 * 4.5)
    assert spearman([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(3.75 / 4.5, abs=1e-15)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0, abs=1e-15)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3])) and math.isnan(spearman([1], [2]))
    with pytest.raises(ValueError, match="equal lengths"):
        spearman([1, 2], [1])


def test_kendall_tau_b_corrects_for_ties_on_both_sides():
    # 9 concordant-or-tied pairs: n_c = 8, n_d = 1 (8 vs 7), one pair tied in y: (8 - 1) / sqrt(10 * (10 - 1))
    assert kendall_tau_b([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(7 / math.sqrt(90), abs=1e-15)
    # n_c = 4, n_d = 0, one tie in x, one in y: 4 / sqrt((6 - 1)(6 - 1))
    assert kendall_tau_b([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.8, abs=1e-15)
    assert kendall_tau_b([1, 1, 2, 2], [1, 2, 1, 2]) == 0.0
    assert kendall_tau_b([3, 2, 1], [1, 2, 3]) == pytest.approx(-1.0, abs=1e-15)
    assert math.isnan(kendall_tau_b([2, 2], [1, 3])) and math.isnan(kendall_tau_b([], []))


def test_correlations_match_scipy():
    from scipy import stats  # a dev dependency; the literal tests above do not need it

    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 4, size=9), rng.integers(0, 3, size=9)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, nan_ok=True)
        assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, nan_ok=True)


def test_item_agreement_classes_by_level_spread():
    items = [["pass", "pass", "pass"], ["pass", "partial"], ["pass", "fail", "partial"], ["fail"]]
    # spreads 0, 1, 2 (the single rating is not an agreement)
    assert item_agreement(items) == {"items": 3, "exact": 1 / 3, "adjacent": 1 / 3, "disagreement": 1 / 3}
    assert item_agreement([["pass"]]) == {"items": 0, "exact": None, "adjacent": None, "disagreement": None}


def test_pair_agreement_of_two_raters():
    result = pair_agreement(["pass", "partial", "fail", "pass"], ["pass", "pass", "fail", "fail"])
    # gaps 0, 1, 0, 2; values [2,1,0,2] vs [2,2,0,0]: centred ranks [1,-.5,-1.5,1] . [1,1,-1,-1] = 1
    assert result["n"] == 4 and (result["exact"], result["adjacent"], result["disagreement"]) == (0.5, 0.25, 0.25)
    assert result["spearman"] == pytest.approx(1 / math.sqrt(4.5 * 4), abs=1e-15)
    # n_c - n_d = 2 - 1, one tie in the first list, two in the second: 1 / sqrt(5 * 4)
    assert result["kendall_tau_b"] == pytest.approx(1 / math.sqrt(20), abs=1e-15)


def test_judge_levels_and_ranking_points():
    assert [judge_level(s) for s in (4.0, 3.99, 3.0, 2.99)] == ["pass", "partial", "partial", "fail"]
    assert judge_level(2.5, (2.0, 3.0)) == "partial"
    assert ranking_points(["A", "B", "C", "D"], ["C", "A", None]) == [2.0, 0.0, 3.0, 0.0]


def test_winner_and_top2_accuracy_with_tied_judge_scores():
    tied = {"A": 3.0, "B": 3.0, "C": 1.0}
    assert winner_accuracy(tied, ["A", "C", "B"]) == 0.5  # A or B equally likely the judge's pick
    assert winner_accuracy({"A": 3.0, "B": 1.0}, ["B", "A"]) == 0.0
    assert winner_accuracy(tied, [None, "A", "B"]) is None
    assert top_k_accuracy(tied, ["C", "A", "B"], 2) == 0.5
    assert top_k_accuracy(tied, ["A", "B", "C"], 2) == 1.0
    assert top_k_accuracy(tied, ["C", None, "A"], 2) is None


def _answers(rater: str, mode: str, answers: list[dict], page_id: str = "p1") -> dict:
    return {"format": FORMAT, "page_id": page_id, "mode": mode, "rater": rater, "answers": answers}


def _rate(item: str, **ratings: str) -> dict:
    return {"item_id": item, "ratings": ratings}


def test_rating_report_pass_rates_inter_rater_and_judge():
    alice = parse_answers(
        _answers(
            "alice",
            "rate",
            [
                _rate("t1", edit_quality="pass", overall_quality="pass"),
                _rate("t2", overall_quality="pass"),
                _rate("t3", overall_quality="fail"),
            ],
        )
    )
    bob = parse_answers(
        _answers(
            "bob",
            "rate",
            [
                _rate("t1", overall_quality="pass"),
                _rate("t2", overall_quality="partial"),
                _rate("t3", overall_quality="fail"),
            ],
        )
    )
    judge = parse_judge(
        {
            "format": "trl-styling-human-eval-judge/1",
            "mode": "rate",
            "page_id": "p1",
            "scores": {"t1": 4.5, "t2": 3.2, "t3": 1.0},
        }
    )
    report = agreement_report([alice, bob], judge)
    assert report["items_rated"] == 3 and report["raters"] == ["alice", "bob"]
    overall = report["pass_rates"]["overall_quality"]
    assert overall == {
        "n": 6,
        "counts": {"pass": 3, "partial": 1, "fail": 2},
        "pass": 0.5,
        "partial": 1 / 6,
        "fail": 2 / 6,
    }
    assert report["pass_rates"]["edit_quality"]["pass"] == 1.0 and report["pass_rates"]["reasoning_quality"]["n"] == 0
    inter = report["inter_rater"]["overall_quality"]
    assert (inter["items"], inter["exact"], inter["adjacent"], inter["disagreement"]) == (3, 2 / 3, 1 / 3, 0.0)
    # alice [2,2,0] vs bob [2,1,0]: ranks [2.5,2.5,1] vs [3,2,1] -> 1.5 / sqrt(1.5 * 2); tau-b 2 / sqrt(2 * 3)
    assert inter["mean_spearman"] == pytest.approx(1.5 / math.sqrt(3), abs=1e-15)
    assert inter["mean_kendall_tau_b"] == pytest.approx(2 / math.sqrt(6), abs=1e-15)
    assert report["inter_rater"]["edit_quality"]["exact"] is None  # only alice rated it: no agreement to measure
    by_rater = report["judge"]["by_dimension"]["overall_quality"]["by_rater"]
    # judge levels pass, partial, fail; bob's levels are monotone in the judge's scores
    assert by_rater["bob"] == {
        "n": 3,
        "exact": 1.0,
        "adjacent": 0.0,
        "disagreement": 0.0,
        "spearman": 1.0,
        "kendall_tau_b": 1.0,
    }
    assert by_rater["alice"]["exact"] == 2 / 3 and by_rater["alice"]["adjacent"] == 1 / 3
    assert by_rater["alice"]["kendall_tau_b"] == pytest.approx(2 / math.sqrt(6), abs=1e-15)
    pooled = report["judge"]["by_dimension"]["overall_quality"]["pooled"]
    assert (pooled["n"], pooled["exact"], pooled["adjacent"]) == (6, 5 / 6, 1 / 6)
    assert report["judge"]["pass_rates"]["pass"] == 1 / 3 and report["judge"]["items"] == 3


def test_ranking_report_unblinds_and_measures_the_judge():
    key = {"g1": {"p": "A", "q": "B", "r": "C", "s": "D"}, "g2": {"p": "D", "q": "C", "r": "B", "s": "A"}}
    letters = {item: {method: letter for letter, method in mapping.items()} for item, mapping in key.items()}

    def ranked(item: str, methods: list[str], **winner: str) -> dict:
        return {
            "item_id": item,
            "ranking": [letters[item][m] for m in methods],
            "winner_ratings": winner,
            "candidates": ["p", "q", "r", "s"],
        }

    alice = parse_answers(
        _answers(
            "alice", "rank", [ranked("g1", ["A", "B", "C"], overall_quality="pass"), ranked("g2", ["C", "A", "B"])]
        )
    )
    bob = parse_answers(
        _answers("bob", "rank", [ranked("g1", ["B", "A", "C"]), ranked("g2", ["A", "B", "D"], overall_quality="fail")])
    )
    judge = parse_judge(
        {
            "format": "trl-styling-human-eval-judge/1",
            "mode": "rank",
            "page_id": "p1",
            "scores": {"g1": {"A": 3, "B": 2, "C": 1, "D": 0}, "g2": {"A": 1, "B": 1, "C": 3, "D": 0}},
            "candidates": key,
        }
    )
    report = agreement_report([alice, bob], judge)
    assert report["rankings"] == 4
    assert report["win_rates"] == {
        "A": {"wins": 2, "rate": 0.5},
        "B": {"wins": 1, "rate": 0.25},
        "C": {"wins": 1, "rate": 0.25},
    }
    assert report["winner_pass_rates"]["A"]["overall_quality"]["pass"] == 0.5
    assert report["winner_pass_rates"]["A"]["overall_quality"]["fail"] == 0.5
    inter = report["inter_rater"]
    # g1 points [3,2,1,0] vs [2,3,1,0]: tau 4/6, rho 0.8; g2 [2,1,3,0] vs [3,2,0,1]: tau 0, rho -0.2
    assert (inter["rater_pairs"], inter["winner_agreement"]) == (2, 0.0)
    assert inter["mean_kendall_tau_b"] == pytest.approx(1 / 3, abs=1e-15)
    assert inter["mean_spearman"] == pytest.approx(0.3, abs=1e-15)
    got = report["judge"]
    # judge winners: A on g1, C on g2. alice: 1st A, 1st C; bob: 1st B (A 2nd), 1st A (C unranked)
    assert (got["rankings"], got["winner_accuracy"], got["top2_accuracy"]) == (4, 0.5, 0.75)
    assert got["chance_winner_accuracy"] == 0.25
    rho = [1.0, 4.5 / math.sqrt(5 * 4.5), 0.8, -1.5 / math.sqrt(5 * 4.5)]
    tau = [1.0, 5 / math.sqrt(30), 4 / 6, -1 / math.sqrt(30)]
    assert got["mean_spearman"] == pytest.approx(sum(rho) / 4, abs=1e-15)
    assert got["mean_kendall_tau_b"] == pytest.approx(sum(tau) / 4, abs=1e-15)
    assert got["by_rater"]["alice"]["winner_accuracy"] == 1.0 and got["by_rater"]["bob"]["top2_accuracy"] == 0.5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "other"}, "field 'format' is 'other'"),
        (_answers("", "rate", []), "field 'rater' is empty"),
        (_answers("a", "vote", []), "field 'mode' must be one of"),
        ({**_answers("a", "rate", []), "answers": {}}, "field 'answers' must be list"),
        (_answers("a", "rate", [_rate("t1", sharpness="pass")]), "unknown dimension 'sharpness'"),
        (_answers("a", "rate", [_rate("t1", edit_quality="good")]), "edit_quality: unknown level 'good'"),
        (_answers("a", "rate", [_rate("t1"), _rate("t1")]), "item 't1' is answered twice"),
        (_answers("a", "rate", [{"ratings": {}}]), "answers[0]: missing field 'item_id'"),
        (_answers("a", "rank", [{"item_id": "g", "ranking": ["p", "p"]}]), "a method appears twice"),
        (_answers("a", "rank", [{"item_id": "g", "winner_ratings": {"edit_quality": "pass"}}]), "unknown dimension"),
    ],
)
def test_malformed_answers_raise_typed_errors_naming_the_field(data, message):
    with pytest.raises(AnswersError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_answers(data, "answers.json")


def test_answers_files_must_come_from_one_page_and_distinct_raters(tmp_path):
    paths = []
    for name, rater, page in [("a", "alice", "p1"), ("b", "alice", "p1"), ("c", "carol", "p2")]:
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(_answers(rater, "rate", [], page)))
    with pytest.raises(AnswersError, match=r"rater\(s\) \['alice'\] appear in several files"):
        load_answers(paths[:2])
    with pytest.raises(AnswersError, match="differ from"):
        load_answers([paths[0], paths[2]])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(AnswersError, match="is not valid JSON"):
        load_answers([tmp_path / "bad.json"])
    with pytest.raises(AnswersError, match="no answers files"):
        load_answers([])


def test_agreement_cli_with_a_dataset_as_judge_and_its_errors(tmp_path, capsys):
    rows = [Trajectory(f"t{i}", f"g{i}", f"b{i}", "goal", [], reward) for i, reward in enumerate([4.2, 3.1, None])]
    DatasetDict({"test": trajectories_to_dataset(rows)}).save_to_disk(str(tmp_path / "data"))
    assert load_judge(tmp_path / "data").scores == {"t0": 4.2, "t1": 3.1}
    answers = tmp_path / "alice.json"
    answers.write_text(
        json.dumps(
            _answers("alice", "rate", [_rate("t0", overall_quality="pass"), _rate("t1", overall_quality="fail")])
        )
    )
    out = tmp_path / "report" / "agreement.json"
    assert main(["agreement", str(answers), "--judge", str(tmp_path / "data"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    pooled = report["judge"]["by_dimension"]["overall_quality"]["pooled"]
    assert (pooled["exact"], pooled["adjacent"], pooled["spearman"]) == (0.5, 0.5, 1.0)
    assert "overall_quality" in capsys.readouterr().out
    rank = tmp_path / "rank.json"
    rank.write_text(json.dumps(_answers("bob", "rank", [{"item_id": "g", "ranking": ["p"]}])))
    for argv, message in [
        (["agreement", str(rank)], "pass --judge PAGE.judge.json"),
        (["agreement", str(rank), "--judge", str(tmp_path / "data")], "for a 'rate' page"),
        (["agreement", str(answers), "--judge-thresholds", "4,3"], "PARTIAL must be <= PASS"),
        (["agreement", str(tmp_path / "missing.json")], "does not exist"),
    ]:
        with pytest.raises(SystemExit):
            main(argv)
        assert message in capsys.readouterr().err
