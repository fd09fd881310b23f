"""Judge scores on other scales than the 0-5 reward: a VLM judge's 0-100 Overall score (``score_range``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from trl_styling.cli import main
from trl_styling.human_eval.agreement import agreement_report
from trl_styling.human_eval.answers import AnswersError, load_judge, parse_answers, parse_judge
from trl_styling.human_eval.items import ItemSourceError, outputs_from_json
from trl_styling.human_eval.sampling import ScoreScaleError, resolve_thresholds, scale_thresholds

ANSWERS = "trl-styling-human-eval/1"
JUDGE = "trl-styling-human-eval-judge/1"


def _outputs_file(path: Path, scores: dict[str, float | None], score_range: list | None = (0, 100)) -> Path:
    records = [
        {"group_id": g, "goal": f"goal {g}", "plan": "[ACTION] time_of_day(target_time=dusk)", "score": s}
        for g, s in scores.items()
    ]
    data = {"outputs": records} if score_range is None else {"score_range": list(score_range), "outputs": records}
    path.write_text(json.dumps(data))
    return path


def test_thresholds_scale_from_the_reward_to_a_score_range():
    assert scale_thresholds((3, 4), (0, 100)) == (60.0, 80.0)  # low + (t / 5) * (high - low), exactly
    assert scale_thresholds((3, 4), (0, 5)) == (3.0, 4.0)
    assert scale_thresholds((3, 4), (1, 10)) == pytest.approx((6.4, 8.2), abs=1e-12)
    assert scale_thresholds((3, 4), (-1, 1)) == pytest.approx((0.2, 0.6), abs=1e-12)
    assert resolve_thresholds(None, (0, 100)) == (60.0, 80.0)
    assert resolve_thresholds((3, 4), (0, 100)) == (3.0, 4.0)  # explicit: on the judge's own scale, as is
    assert resolve_thresholds((0, 100), (0, 100)) == (0.0, 100.0)  # the bounds are inside
    with pytest.raises(ScoreScaleError, match=r"--x: 60,120 lies outside the judge's score range \[0, 100\]"):
        resolve_thresholds((60, 120), (0, 100), "--x")


def test_outputs_from_json_reads_and_checks_the_score_range(tmp_path):
    outputs = outputs_from_json(_outputs_file(tmp_path / "a.json", {"g1": 85.5, "g2": None}), 64)
    assert [(o.score, o.score_range) for o in outputs] == [(85.5, (0.0, 100.0)), (None, (0.0, 100.0))]
    assert outputs_from_json(_outputs_file(tmp_path / "b.json", {"g1": 4.5}, None), 64)[0].score_range == (0.0, 5.0)
    for bad in ([100, 0], [0], "0-100", [0, True], [0, None]):
        with pytest.raises(ItemSourceError, match="field 'score_range' must be two numbers"):
            outputs_from_json(_outputs_file(tmp_path / "c.json", {"g1": 1.0}, bad), 64)
    with pytest.raises(ItemSourceError, match=r"record 0: 'score' 85 lies outside the score range \[0, 5\]"):
        outputs_from_json(_outputs_file(tmp_path / "d.json", {"g1": 85}, None), 64)


def test_judge_files_without_a_score_range_hold_rewards():
    old = {"format": JUDGE, "mode": "rate", "page_id": "p", "scores": {"t1": 4.0}}
    assert parse_judge(old).score_range == (0.0, 5.0)
    assert parse_judge({**old, "score_range": [0, 100]}).score_range == (0.0, 100.0)
    with pytest.raises(AnswersError, match="field 'score_range' must be two numbers"):
        parse_judge({**old, "score_range": [5, 0]}, "page.judge.json")


def test_rating_a_method_json_and_its_agreement_on_0_100(tmp_path, capsys):
    scores = {"g0": 95, "g1": 85, "g2": 80, "g3": 79, "g4": 70, "g5": 60, "g6": 59, "g7": 30, "g8": None, "g9": 10}
    source = _outputs_file(tmp_path / "sw.json", scores)
    out = tmp_path / "rate.html"
    assert main(["annotate", str(source), "--max-items", "10", "--out", str(out)]) == 0
    # cut-offs 60, 80: 3 high (g0-g2), 3 medium (g3-g5), 3 low; high and medium short by 1, low gives its 1 spare
    assert "high 3/4, medium 3/4, low 3/2; high short by 1, medium short by 1, filled 1 from low; 1 fewer" in (
        capsys.readouterr().out
    )
    sidecar = json.loads((tmp_path / "rate.judge.json").read_text())
    assert sidecar["score_range"] == [0.0, 100.0] and sidecar["sampling"]["thresholds"] == [60.0, 80.0]
    assert sidecar["sampling"]["filled"] == {"low": 1} and sidecar["sampling"]["skipped_unscored"] == 1
    assert sidecar["tiers"] == {
        **dict.fromkeys(["g0", "g1", "g2"], "high"),
        **dict.fromkeys(["g3", "g4", "g5"], "medium"),
        **dict.fromkeys(["g6", "g7", "g9"], "low"),
    }
    marks = {"g0": "pass", "g2": "pass", "g3": "partial", "g5": "pass", "g7": "fail"}
    answers = tmp_path / "alice.json"
    answers.write_text(
        json.dumps(
            {
                "format": ANSWERS,
                "page_id": sidecar["page_id"],
                "mode": "rate",
                "rater": "alice",
                "answers": [{"item_id": i, "ratings": {"overall_quality": m}} for i, m in marks.items()],
            }
        )
    )
    report_path = tmp_path / "agreement.json"
    judge = str(tmp_path / "rate.judge.json")
    assert main(["agreement", str(answers), "--judge", judge, "--out", str(report_path)]) == 0
    assert "judge scores on [0, 100]: pass >= 80, partial >= 60, fail below" in capsys.readouterr().out
    report = json.loads(report_path.read_text())["judge"]
    assert report["score_range"] == [0.0, 100.0] and report["thresholds"] == [60.0, 80.0]
    pooled = report["by_dimension"]["overall_quality"]["pooled"]
    # judge levels pass, pass, partial, partial, fail: only g5 (60 -> partial, human pass) is one step off
    assert (pooled["n"], pooled["exact"], pooled["adjacent"], pooled["disagreement"]) == (5, 0.8, 0.2, 0.0)
    # human [2,2,1,2,0] vs scores [95,80,79,60,30]: 6 concordant, 1 discordant (g3/g5), 3 pairs tied in human:
    # tau-b = (6 - 1) / sqrt((10 - 3) * 10)
    assert pooled["kendall_tau_b"] == pytest.approx(5 / math.sqrt(70), abs=1e-15)
    # explicit cut-offs are on the judge's scale: 3,4 on 0-100 makes every one of these a pass
    argv = ["agreement", str(answers), "--judge", judge, "--judge-thresholds", "3,4", "--out", str(report_path)]
    assert main(argv) == 0
    assert json.loads(report_path.read_text())["judge"]["pass_rates"]["pass"] == 1.0
    for argv, message in [
        (["--judge", judge, "--judge-thresholds", "60,120"], "argument --judge-thresholds: 60,120 lies outside"),
        (["--judge-thresholds", "3,4", "--judge", str(_reward_judge(tmp_path, sidecar["page_id"]))], None),
        (["--judge-thresholds", "60,80", "--judge", str(_reward_judge(tmp_path, sidecar["page_id"]))], "[0, 5]"),
    ]:
        if message is None:
            assert main(["agreement", str(answers), *argv]) == 0
            continue
        with pytest.raises(SystemExit):
            main(["agreement", str(answers), *argv])
        assert message in capsys.readouterr().err


def _reward_judge(tmp_path: Path, page_id: str) -> Path:
    """A sidecar written before score ranges were recorded: 0-5 rewards, no `score_range`."""
    path = tmp_path / "old.judge.json"
    path.write_text(json.dumps({"format": JUDGE, "mode": "rate", "page_id": page_id, "scores": {"g0": 4.5}}))
    return path


def _ranking(rater: str, page_id: str, key: dict, rankings: dict[str, list[str]]) -> dict:
    letters = {item: {method: letter for letter, method in key[item].items()} for item in key}
    answers = [
        {"item_id": item, "ranking": [letters[item][m] for m in methods], "candidates": sorted(key[item])}
        for item, methods in rankings.items()
    ]
    return {"format": ANSWERS, "page_id": page_id, "mode": "rank", "rater": rater, "answers": answers}


def test_rank_page_of_two_0_100_json_files_and_the_judge_agreement(tmp_path, capsys):
    p = _outputs_file(tmp_path / "p.json", {"g1": 90, "g2": 30, "g3": 60, "g4": 50})
    q = _outputs_file(tmp_path / "q.json", {"g1": 40, "g2": 70, "g3": 60, "g4": None})
    out = tmp_path / "rank.html"
    assert main(["annotate", "--methods", f"P={p}", f"Q={q}", "--out", str(out)]) == 0
    sidecar = json.loads((tmp_path / "rank.judge.json").read_text())
    assert sidecar["score_range"] == [0.0, 100.0] and sidecar["scores"]["g4"] == {"P": 50.0}  # Q's null left out
    files = []
    for rater, rankings in [
        ("alice", {"g1": ["P", "Q"], "g2": ["P", "Q"], "g3": ["Q", "P"], "g4": ["P", "Q"]}),
        ("bob", {"g1": ["P", "Q"], "g2": ["Q", "P"], "g3": ["P", "Q"], "g4": ["Q", "P"]}),
    ]:
        files.append(tmp_path / f"{rater}.json")
        files[-1].write_text(json.dumps(_ranking(rater, sidecar["page_id"], sidecar["candidates"], rankings)))
    report_path = tmp_path / "report.json"
    judge = str(tmp_path / "rank.judge.json")
    assert main(["agreement", *map(str, files), "--judge", judge, "--out", str(report_path)]) == 0
    assert "judge scores on [0, 100], 6 rankings compared, 2 skipped (< 2 scored outputs)" in capsys.readouterr().out
    got = json.loads(report_path.read_text())["judge"]
    # g4 has one score: not compared. Judge winners P (g1), Q (g2), P/Q tied (g3).
    # winner: alice 1, 0, 1/2; bob 1, 1, 1/2 -> 4/6. Two methods: top-2 always holds the judge's winner.
    assert (got["score_range"], got["rankings"], got["rankings_skipped"]) == ([0.0, 100.0], 6, 2)
    assert got["winner_accuracy"] == pytest.approx(4 / 6, abs=1e-15) and got["top2_accuracy"] == 1.0
    assert got["chance_winner_accuracy"] == 0.5 and got["methods_left_out"] == 0
    # rho = tau per ranking: alice +1, -1, (g3 tied scores: undefined); bob +1, +1, undefined -> mean 0.5
    assert got["mean_spearman"] == pytest.approx(0.5, abs=1e-15)
    assert got["mean_kendall_tau_b"] == pytest.approx(0.5, abs=1e-15)
    assert got["by_rater"]["bob"]["winner_accuracy"] == pytest.approx(2.5 / 3, abs=1e-15)


def test_a_method_with_a_null_score_leaves_that_items_comparison():
    key = {"g1": {"A": "P", "B": "Q", "C": "R"}, "g2": {"A": "R", "B": "P", "C": "Q"}}
    judge = parse_judge(
        {
            "format": JUDGE,
            "mode": "rank",
            "page_id": "p1",
            "score_range": [0, 100],
            "scores": {"g1": {"P": 85, "Q": 70, "R": 20}, "g2": {"P": 90, "R": 35}},  # Q's g2 score is null
            "candidates": key,
        }
    )
    alice = parse_answers(_ranking("alice", "p1", key, {"g1": ["Q", "R", "P"], "g2": ["Q", "R", "P"]}))
    bob = parse_answers(_ranking("bob", "p1", key, {"g1": ["P", "Q", "R"], "g2": ["P", "Q", "R"]}))
    got = agreement_report([alice, bob], judge)["judge"]
    # On g2 the rankings are read without Q: alice R > P, bob P > R.
    assert (got["rankings"], got["methods_left_out"], got["rankings_skipped"]) == (4, 2, 0)
    # winner (P both times): alice 0, 0; bob 1, 1. top-2: alice g1 {Q, R} misses P; every other holds it.
    assert (got["winner_accuracy"], got["top2_accuracy"]) == (0.5, 0.75)
    assert got["chance_winner_accuracy"] == pytest.approx((1 / 3 + 1 / 2) / 2, abs=1e-15)
    # alice g1: points P1 Q3 R2 vs 85/70/20: rho -0.5, tau -1/3; g2: -1, -1. bob: +1, +1 on both.
    assert got["mean_spearman"] == pytest.approx((-0.5 - 1 + 1 + 1) / 4, abs=1e-15)
    assert got["mean_kendall_tau_b"] == pytest.approx((-1 / 3 - 1 + 1 + 1) / 4, abs=1e-15)
    assert got["by_rater"]["alice"]["methods_left_out"] == 1


def test_rank_sources_on_different_scales_are_an_error_naming_them(tmp_path, capsys):
    p = _outputs_file(tmp_path / "p.json", {"g1": 90})
    r = _outputs_file(tmp_path / "r.json", {"g1": 4.0}, None)
    with pytest.raises(SystemExit):
        main(["annotate", "--methods", f"P={p}", f"R={r}", "--out", str(tmp_path / "rank.html")])
    err = capsys.readouterr().err
    assert f"different scales: P={p} [0, 100], R={r} [0, 5]" in err


def test_load_judge_of_a_dataset_dir_is_on_the_reward_scale(tmp_path):
    from datasets import DatasetDict

    from trl_styling.data.schema import Trajectory, trajectories_to_dataset

    DatasetDict({"test": trajectories_to_dataset([Trajectory("t0", "g0", "b0", "goal", [], 4.2)])}).save_to_disk(
        str(tmp_path / "data")
    )
    judge = load_judge(tmp_path / "data")
    assert judge.score_range == (0.0, 5.0) and judge.scores == {"t0": 4.2}
