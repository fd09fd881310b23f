"""Agreement statistics of the human evaluation (App. J.2, J.3, J.5.3), in numpy.

Levels are ordinal: fail = 0, partial = 1, pass = 2. For one item rated by several raters, App. J.3's
classes are *exact* (all levels equal), *adjacent* (levels span one step: pass/partial or partial/fail)
and *complete disagreement* (pass and fail both given). Between two raters (or a rater and the judge)
the same classes apply to the difference of their two levels.

Rank correlations are tie-aware: Spearman's rho is Pearson's r of average ranks, Kendall's tau-b is
``(n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2))`` with ``n_0 = n(n-1)/2`` and ``n_1``, ``n_2`` the pairs tied
in x and in y. Both are NaN (``null`` in reports) when a side is constant or has fewer than two values.

For ranking pages (App. J.5) a human top-k ranking gives points ``k, k-1, ..., 1`` to the places and 0 to
unranked methods; the judge's *winner* is its highest-scoring method. With tied top scores, accuracies are
the expected values under a uniformly random tie-break. A method whose judge score is null (the judge
failed) leaves that item's comparison (the human ranking then orders the scored methods only; counted as
``methods_left_out``); an item with fewer than two scored methods is not compared (``rankings_skipped``).
All of these depend only on the order of the judge's scores, so they work on any scale (0-5 or 0-100).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from trl_styling.human_eval.answers import JudgeScores, RaterAnswers, unblind
from trl_styling.human_eval.sampling import resolve_thresholds
from trl_styling.human_eval.schema import DEFAULT_JUDGE_THRESHOLDS, LEVELS, MODE_DIMENSIONS

LEVEL_VALUES: dict[str, int] = {"fail": 0, "partial": 1, "pass": 2}


def average_ranks(values: Sequence[float]) -> np.ndarray:
    """1-based ranks, ties sharing the mean of the ranks they span (``[10, 20, 20] -> [1, 2.5, 2.5]``)."""
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    start = 0
    while start < len(x):
        end = start
        while end + 1 < len(x) and x[order[end + 1]] == x[order[start]]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho with average ranks for ties; NaN when undefined."""
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    if len(x) < 2:
        return math.nan
    rx, ry = average_ranks(x) - (len(x) + 1) / 2, average_ranks(y) - (len(y) + 1) / 2
    denominator = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / denominator if denominator > 0 else math.nan


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b (ties in x and in y corrected); NaN when undefined."""
    if len(x) != len(y):
        raise ValueError(f"kendall_tau_b needs equal lengths, got {len(x)} and {len(y)}")
    n = len(x)
    if n < 2:
        return math.nan
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    upper = np.triu_indices(n, 1)
    sign_x = np.sign(xa[:, None] - xa[None, :])[upper]
    sign_y = np.sign(ya[:, None] - ya[None, :])[upper]
    pairs = n * (n - 1) / 2
    tied_x, tied_y = float(np.sum(sign_x == 0)), float(np.sum(sign_y == 0))
    denominator = math.sqrt((pairs - tied_x) * (pairs - tied_y))
    return float(np.sum(sign_x * sign_y)) / denominator if denominator > 0 else math.nan


def _fraction(count: int, total: int) -> float | None:
    return count / total if total else None


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(kept)) if kept else None


def pass_rates(levels: Sequence[str]) -> dict[str, Any]:
    """Counts and fractions of pass / partial / fail."""
    counts = {level: sum(1 for x in levels if x == level) for level in LEVELS}
    return {"n": len(levels), "counts": counts, **{level: _fraction(counts[level], len(levels)) for level in LEVELS}}


def item_agreement(levels_per_item: Iterable[Sequence[str]]) -> dict[str, Any]:
    """App. J.3 over items with >= 2 ratings: exact / adjacent / complete-disagreement fractions."""
    spreads = []
    for levels in levels_per_item:
        if len(levels) >= 2:
            values = [LEVEL_VALUES[level] for level in levels]
            spreads.append(max(values) - min(values))
    counts = {"exact": spreads.count(0), "adjacent": spreads.count(1), "disagreement": spreads.count(2)}
    return {"items": len(spreads), **{name: _fraction(count, len(spreads)) for name, count in counts.items()}}


def pair_agreement(first: Sequence[str], second: Sequence[str]) -> dict[str, Any]:
    """Two aligned level lists: exact / adjacent / disagreement fractions, Spearman and Kendall tau-b."""
    if len(first) != len(second):
        raise ValueError(f"pair_agreement needs aligned lists, got {len(first)} and {len(second)}")
    a, b = [LEVEL_VALUES[x] for x in first], [LEVEL_VALUES[x] for x in second]
    gaps = [abs(x - y) for x, y in zip(a, b)]
    return {
        "n": len(gaps),
        "exact": _fraction(gaps.count(0), len(gaps)),
        "adjacent": _fraction(gaps.count(1), len(gaps)),
        "disagreement": _fraction(gaps.count(2), len(gaps)),
        "spearman": spearman(a, b),
        "kendall_tau_b": kendall_tau_b(a, b),
    }


def judge_level(score: float, thresholds: tuple[float, float] = DEFAULT_JUDGE_THRESHOLDS) -> str:
    """The judge's reward as a level: ``>= thresholds[1]`` pass, ``>= thresholds[0]`` partial, else fail."""
    partial, passing = thresholds
    return "pass" if score >= passing else "partial" if score >= partial else "fail"


def ranking_points(methods: Sequence[str], ranking: Sequence[str | None]) -> list[float]:
    """Points per method: place p (0-based) of a top-k ranking gets ``k - p``, unranked methods 0."""
    k = len(ranking)
    return [float(k - ranking.index(method)) if method in ranking else 0.0 for method in methods]


def _judge_winners(scores: Mapping[str, float]) -> list[str]:
    best = max(scores.values())
    return [method for method, score in scores.items() if score == best]


def winner_accuracy(scores: Mapping[str, float], ranking: Sequence[str | None]) -> float | None:
    """Whether the judge's top method is the human 1st place (expected value over tied top scores)."""
    if not scores or not ranking or ranking[0] is None:
        return None
    winners = _judge_winners(scores)
    return winners.count(ranking[0]) / len(winners)


def top_k_accuracy(scores: Mapping[str, float], ranking: Sequence[str | None], k: int = 2) -> float | None:
    """Whether the judge's top method is among the human top ``k`` (all k places must be filled)."""
    places = list(ranking[:k])
    if not scores or len(places) < min(k, len(scores)) or None in places:
        return None
    winners = _judge_winners(scores)
    return sum(1 for method in winners if method in places) / len(winners)


def _rating_judge(sets: Sequence[RaterAnswers], judge: JudgeScores, thresholds: tuple[float, float]) -> dict:
    dimensions = [key for key, _, _ in MODE_DIMENSIONS["rate"]]
    rated = sorted({item for answers in sets for item in answers.answers if item in judge.scores})
    by_dimension = {}
    for dim in dimensions:
        pooled_human: list[str] = []
        pooled_scores: list[float] = []
        by_rater = {}
        for answers in sets:
            items = [i for i in rated if dim in answers.answers.get(i, _EMPTY).ratings]
            human = [answers.answers[i].ratings[dim] for i in items]
            scores = [judge.scores[i] for i in items]
            by_rater[answers.rater] = _versus_judge(human, scores, thresholds)
            pooled_human += human
            pooled_scores += scores
        by_dimension[dim] = {"pooled": _versus_judge(pooled_human, pooled_scores, thresholds), "by_rater": by_rater}
    return {
        "score_range": list(judge.score_range),
        "thresholds": list(thresholds),
        "items": len(rated),
        "pass_rates": pass_rates([judge_level(judge.scores[i], thresholds) for i in rated]),
        "by_dimension": by_dimension,
    }


def _versus_judge(human: Sequence[str], scores: Sequence[float], thresholds: tuple[float, float]) -> dict:
    """Levels agreement against the judge's thresholded levels; correlations against its raw scores."""
    result = pair_agreement(human, [judge_level(s, thresholds) for s in scores])
    values = [LEVEL_VALUES[x] for x in human]
    result.update(spearman=spearman(values, scores), kendall_tau_b=kendall_tau_b(values, scores))
    return result


class _NoAnswer:
    ratings: dict[str, str] = {}
    ranking: tuple[str | None, ...] = ()
    candidates: tuple[str, ...] = ()


_EMPTY = _NoAnswer()


def rating_report(
    sets: Sequence[RaterAnswers],
    judge: JudgeScores | None = None,
    thresholds: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Pass rates (J.2), inter-rater agreement (J.3) and rater-vs-judge agreement of a rating page.

    ``thresholds`` are the judge's ``(PARTIAL, PASS)`` cut-offs on its own scale; None scales the 0-5
    defaults to the judge's ``score_range`` (`trl_styling.human_eval.sampling.resolve_thresholds`).
    """
    dimensions = [key for key, _, _ in MODE_DIMENSIONS["rate"]]
    items = sorted({item for answers in sets for item, a in answers.answers.items() if a.ratings})
    report: dict[str, Any] = {
        "mode": "rate",
        "page_id": sets[0].page_id,
        "raters": [a.rater for a in sets],
        "items_rated": len(items),
        "pass_rates": {
            d: pass_rates(
                [a.answers[i].ratings[d] for a in sets for i in items if d in a.answers.get(i, _EMPTY).ratings]
            )
            for d in dimensions
        },
        "pass_rates_by_rater": {
            a.rater: {d: pass_rates([x.ratings[d] for x in a.answers.values() if d in x.ratings]) for d in dimensions}
            for a in sets
        },
    }
    inter_rater = {}
    for dim in dimensions:
        per_item = [
            [a.answers[i].ratings[dim] for a in sets if dim in a.answers.get(i, _EMPTY).ratings] for i in items
        ]
        pairs = []
        for first, second in combinations(sets, 2):
            shared = [
                i
                for i in items
                if dim in first.answers.get(i, _EMPTY).ratings and dim in second.answers.get(i, _EMPTY).ratings
            ]
            stats = pair_agreement(
                [first.answers[i].ratings[dim] for i in shared], [second.answers[i].ratings[dim] for i in shared]
            )
            pairs.append({"raters": [first.rater, second.rater], **stats})
        inter_rater[dim] = {
            **item_agreement(per_item),
            "pairs": pairs,
            "mean_spearman": _mean(p["spearman"] for p in pairs),
            "mean_kendall_tau_b": _mean(p["kendall_tau_b"] for p in pairs),
        }
    report["inter_rater"] = inter_rater
    if judge is not None:
        report["judge"] = _rating_judge(sets, judge, resolve_thresholds(thresholds, judge.score_range))
    return report


def _item_methods(item_id: str, sets: Sequence[RaterAnswers], judge: JudgeScores | None) -> list[str]:
    methods = {m for a in sets for m in a.answers.get(item_id, _EMPTY).ranking if m is not None}
    methods |= set(judge.scores.get(item_id, {})) if judge is not None else set()
    for answers in sets:
        methods |= set(answers.answers.get(item_id, _EMPTY).candidates)
    return sorted(methods)


def _ranking_vs_judge(rankings: Sequence[tuple[str, str, tuple]], judge: JudgeScores) -> dict[str, Any]:
    rows = []
    left_out = skipped = 0
    for _, item_id, ranking in rankings:
        scores = judge.scores.get(item_id, {})
        if len(scores) < 2:  # no judge ranking to compare with
            skipped += 1
            continue
        # A method the judge scored null (failed) leaves this item's comparison: the human ranking is
        # read as the order of the scored methods only.
        shown = set(judge.candidates.get(item_id, {}).values()) | {m for m in ranking if m is not None}
        left_out += len(shown - set(scores))
        ranking = tuple(m for m in ranking if m is None or m in scores)
        methods = sorted(scores)
        points = ranking_points(methods, ranking)
        rows.append(
            {
                "winner": winner_accuracy(scores, ranking),
                "top2": top_k_accuracy(scores, ranking, 2),
                "chance": 1 / len(scores),
                "spearman": spearman([scores[m] for m in methods], points),
                "kendall_tau_b": kendall_tau_b([scores[m] for m in methods], points),
            }
        )
    return {
        "rankings": len(rows),
        "rankings_skipped": skipped,
        "methods_left_out": left_out,
        "winner_accuracy": _mean(r["winner"] for r in rows),
        "top2_accuracy": _mean(r["top2"] for r in rows),
        "chance_winner_accuracy": _mean(r["chance"] for r in rows),
        "mean_spearman": _mean(r["spearman"] for r in rows),
        "mean_kendall_tau_b": _mean(r["kendall_tau_b"] for r in rows),
    }


def ranking_report(sets: Sequence[RaterAnswers], judge: JudgeScores | None = None) -> dict[str, Any]:
    """Win rates and winner pass rates (J.5.2), inter-rater and judge-vs-human ranking agreement (J.5.3)."""
    dimensions = [key for key, _, _ in MODE_DIMENSIONS["rank"]]
    rankings = [
        (a.rater, item_id, x.ranking)
        for a in sets
        for item_id, x in a.answers.items()
        if x.ranking and x.ranking[0] is not None
    ]
    wins: dict[str, int] = defaultdict(int)
    winner_levels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for answers in sets:
        for answer in answers.answers.values():
            if answer.ranking and answer.ranking[0] is not None:
                wins[answer.ranking[0]] += 1
                for dim, level in answer.ratings.items():
                    winner_levels[answer.ranking[0]][dim].append(level)
    items = sorted({item_id for _, item_id, _ in rankings})
    pairs = []
    for item_id in items:
        methods = _item_methods(item_id, sets, judge)
        ranked = [
            a.answers[item_id].ranking for a in sets if a.answers.get(item_id, _EMPTY).ranking[:1] not in ((), (None,))
        ]
        for first, second in combinations(ranked, 2):
            a, b = ranking_points(methods, first), ranking_points(methods, second)
            pairs.append(
                {
                    "same_winner": float(first[0] == second[0]),
                    "spearman": spearman(a, b),
                    "kendall_tau_b": kendall_tau_b(a, b),
                }
            )
    report: dict[str, Any] = {
        "mode": "rank",
        "page_id": sets[0].page_id,
        "raters": [a.rater for a in sets],
        "rankings": len(rankings),
        "win_rates": {m: {"wins": n, "rate": n / len(rankings)} for m, n in sorted(wins.items(), key=lambda x: -x[1])},
        "pass_rates": {d: pass_rates([lv for per in winner_levels.values() for lv in per[d]]) for d in dimensions},
        "winner_pass_rates": {
            m: {d: pass_rates(levels[d]) for d in dimensions} for m, levels in sorted(winner_levels.items())
        },
        "inter_rater": {
            "rater_pairs": len(pairs),
            "winner_agreement": _mean(p["same_winner"] for p in pairs),
            "mean_spearman": _mean(p["spearman"] for p in pairs),
            "mean_kendall_tau_b": _mean(p["kendall_tau_b"] for p in pairs),
        },
    }
    if judge is not None:
        report["judge"] = {
            "score_range": list(judge.score_range),
            **_ranking_vs_judge(rankings, judge),
            "by_rater": {a.rater: _ranking_vs_judge([r for r in rankings if r[0] == a.rater], judge) for a in sets},
        }
    return report


def agreement_report(
    sets: Sequence[RaterAnswers],
    judge: JudgeScores | None = None,
    thresholds: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The report of a page's answers (mode taken from the answers); NaN statistics become ``None``.

    ``thresholds`` map a rating page's judge scores to levels, on the judge's own scale; None (the default)
    scales the 0-5 defaults ``(3, 4)`` to the judge's ``score_range`` (``(60, 80)`` on 0-100).

    Raises:
        ValueError: the judge file belongs to another page or mode, or ``thresholds`` lie outside its range.
    """
    if not sets:
        raise ValueError("agreement_report needs at least one rater's answers")
    if judge is not None and judge.mode != sets[0].mode:
        raise ValueError(
            f"the judge scores are for a {judge.mode!r} page but the answers come from a "
            f"{sets[0].mode!r} page; pass the judge file written with this page"
        )
    if judge is not None and judge.page_id is not None and judge.page_id != sets[0].page_id:
        raise ValueError(
            f"the judge file is for page {judge.page_id!r}, the answers for {sets[0].page_id!r}; "
            "pass the <page>.judge.json written next to this page"
        )
    if sets[0].mode == "rate":
        report = rating_report(sets, judge, thresholds)
    else:
        report = ranking_report(unblind(sets, judge), judge)
    return _without_nan(report)


def _without_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Mapping):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nan(v) for v in value]
    return value
