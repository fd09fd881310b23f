"""Reading exported answers (one JSON file per rater) and the automatic judge's scores, with typed errors.

An answers file (written by the page's *Export JSON*)::

    {"format": "trl-styling-human-eval/1", "page_id": "rate-1a2b...", "mode": "rate" | "rank",
     "rater": "alice", "dimensions": [...],
     "answers": [{"item_id": "...", "ratings": {"edit_quality": "pass", ...}, "comment": ""},            # rate
                 {"item_id": "...", "ranking": ["SW", "RW", null], "winner_ratings": {...}}, ...]}   # rank

The judge is a ``<page>.judge.json`` sidecar written by ``trl-styling annotate`` (its ``score_range`` gives the
scale of the scores; files without one hold 0-5 rewards) or, for rating pages, the generated dataset directory
itself (its 0-5 ``reward`` per ``trajectory_id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trl_styling.human_eval.sampling import is_finite_number, read_score_range
from trl_styling.human_eval.schema import ANSWERS_FORMAT, JUDGE_FORMAT, LEVELS, MODE_DIMENSIONS, REWARD_RANGE


class AnswersError(ValueError):
    """An answers or judge file is malformed; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class ItemAnswer:
    """One rater's answer for one item: levels per dimension and, on rank pages, the top-k candidates in order
    (``None`` for an empty place) and every candidate shown (letters as exported, methods after `unblind`)."""

    item_id: str
    ratings: dict[str, str]
    ranking: tuple[str | None, ...] = ()
    comment: str = ""
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class RaterAnswers:
    """Everything one rater exported from one page."""

    rater: str
    page_id: str
    mode: str
    answers: dict[str, ItemAnswer]
    source: str = ""


@dataclass(frozen=True)
class JudgeScores:
    """Automatic judge scores: per item a reward (rate) or a score per method (rank), on ``score_range``
    (the 0-5 reward unless the sidecar says otherwise); for rank pages also the key of the blind candidates
    (``candidates[item_id][letter] = method``)."""

    mode: str
    scores: dict[str, Any]
    page_id: str | None = None
    candidates: dict[str, dict[str, str]] = field(default_factory=dict)
    score_range: tuple[float, float] = REWARD_RANGE


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in data:
        raise AnswersError(f"{where}: missing field {name!r}; export the answers again from the page")
    value = data[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise AnswersError(f"{where}: field {name!r} must be {expected}, got {type(value).__name__}")
    return value


def _ratings(value: Any, mode: str, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise AnswersError(f"{where}: must be an object mapping dimension to level, got {type(value).__name__}")
    known = [key for key, _, _ in MODE_DIMENSIONS[mode]]
    for dimension, level in value.items():
        if dimension not in known:
            raise AnswersError(f"{where}: unknown dimension {dimension!r}; {mode} pages rate {known}")
        if level not in LEVELS:
            raise AnswersError(f"{where}.{dimension}: unknown level {level!r}; levels are {list(LEVELS)}")
    return dict(value)


def _ranking(value: Any, where: str) -> tuple[str | None, ...]:
    if not isinstance(value, list) or not all(m is None or isinstance(m, str) for m in value):
        raise AnswersError(f"{where}: must be a list of method names (null for an empty place)")
    named = [m for m in value if m is not None]
    if len(set(named)) != len(named):
        raise AnswersError(f"{where}: a method appears twice in {value}; each place needs a different method")
    return tuple(value)


def parse_answers(data: Any, source: str = "<answers>") -> RaterAnswers:
    """Validates one exported answers object (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise AnswersError(f"{source}: expected a JSON object exported by the evaluation page")
    if data.get("format") != ANSWERS_FORMAT:
        raise AnswersError(
            f"{source}: field 'format' is {data.get('format')!r}, expected {ANSWERS_FORMAT!r}; "
            "pass files written by the page's Export JSON button"
        )
    mode = _field(data, "mode", str, source)
    if mode not in MODE_DIMENSIONS:
        raise AnswersError(f"{source}: field 'mode' must be one of {sorted(MODE_DIMENSIONS)}, got {mode!r}")
    rater = _field(data, "rater", str, source).strip()
    if not rater:
        raise AnswersError(f"{source}: field 'rater' is empty; set the rater name in the file or on the page")
    page_id = _field(data, "page_id", str, source)
    answers: dict[str, ItemAnswer] = {}
    for i, record in enumerate(_field(data, "answers", list, source)):
        where = f"{source}: answers[{i}]"
        if not isinstance(record, Mapping):
            raise AnswersError(f"{where}: must be an object")
        item_id = _field(record, "item_id", str, where)
        if item_id in answers:
            raise AnswersError(f"{where}: item {item_id!r} is answered twice; keep one answer per item")
        comment = record.get("comment") or ""
        if mode == "rate":
            ratings = _ratings(record.get("ratings", {}), mode, where + ".ratings")
            answers[item_id] = ItemAnswer(item_id, ratings, comment=str(comment))
        else:
            ratings = _ratings(record.get("winner_ratings", {}), mode, where + ".winner_ratings")
            ranking = _ranking(record.get("ranking", []), where + ".ranking")
            candidates = record.get("candidates", [])
            if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates):
                raise AnswersError(f"{where}.candidates: must be a list of candidate ids")
            answers[item_id] = ItemAnswer(item_id, ratings, ranking, str(comment), tuple(candidates))
    return RaterAnswers(rater, page_id, mode, answers, source)


def _read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnswersError(f"{path} does not exist") from None
    except json.JSONDecodeError as e:
        raise AnswersError(f"{path} is not valid JSON ({e.msg}, line {e.lineno})") from None


def load_answers(paths: Sequence[str | Path]) -> list[RaterAnswers]:
    """Reads answers files from one page: same ``page_id`` and ``mode``, one file per rater."""
    if not paths:
        raise AnswersError("no answers files given; pass the JSON files exported from the page")
    sets = [parse_answers(_read_json(path), str(path)) for path in paths]
    first = sets[0]
    for answers in sets[1:]:
        if (answers.page_id, answers.mode) != (first.page_id, first.mode):
            raise AnswersError(
                f"{answers.source}: page_id/mode {answers.page_id!r}/{answers.mode!r} differ from "
                f"{first.source}'s ({first.page_id!r}/{first.mode!r}); pass one page's answers"
            )
    raters = [answers.rater for answers in sets]
    duplicated = sorted({r for r in raters if raters.count(r) > 1})
    if duplicated:
        raise AnswersError(f"rater(s) {duplicated} appear in several files; give each rater a distinct name")
    return sets


def _number(value: Any, where: str) -> float:
    if not is_finite_number(value):
        raise AnswersError(f"{where}: must be a finite number, got {value!r}")
    return float(value)


def parse_judge(data: Any, source: str = "<judge>") -> JudgeScores:
    """Validates a ``<page>.judge.json`` object."""
    if not isinstance(data, Mapping) or data.get("format") != JUDGE_FORMAT:
        raise AnswersError(
            f"{source}: expected a judge file with format {JUDGE_FORMAT!r} (`trl-styling annotate` "
            "writes it next to the page), or pass the generated dataset directory"
        )
    mode = _field(data, "mode", str, source)
    if mode not in MODE_DIMENSIONS:
        raise AnswersError(f"{source}: field 'mode' must be one of {sorted(MODE_DIMENSIONS)}, got {mode!r}")
    scores: dict[str, Any] = {}
    for item_id, value in _field(data, "scores", dict, source).items():
        where = f"{source}: scores[{item_id!r}]"
        if mode == "rate":
            scores[item_id] = _number(value, where)
        elif isinstance(value, Mapping):
            scores[item_id] = {method: _number(score, f"{where}[{method!r}]") for method, score in value.items()}
        else:
            raise AnswersError(f"{where}: must map method name to score")
    keys = data.get("candidates", {})
    if not isinstance(keys, Mapping) or not all(isinstance(v, Mapping) for v in keys.values()):
        raise AnswersError(f"{source}: field 'candidates' must map item id to {{candidate id: method}}")
    candidates = {item_id: {str(c): str(m) for c, m in key.items()} for item_id, key in keys.items()}
    return JudgeScores(mode, scores, data.get("page_id"), candidates, _score_range(data, source))


def _score_range(data: Mapping[str, Any], source: str) -> tuple[float, float]:
    found = read_score_range(data.get("score_range"))
    if found is None:
        raise AnswersError(
            f"{source}: field 'score_range' must be two numbers [low, high] with low < high, got "
            f"{data.get('score_range')!r}; write the judge file again with `trl-styling annotate`"
        )
    return found


def unblind(sets: Sequence[RaterAnswers], judge: JudgeScores | None) -> list[RaterAnswers]:
    """Rank answers with candidate letters replaced by method names, using the judge sidecar's key."""
    if not sets or sets[0].mode != "rank":
        return list(sets)
    if judge is None or not judge.candidates:
        raise AnswersError(
            "rank pages export blind candidate ids; pass --judge PAGE.judge.json (written by "
            "`trl-styling annotate` next to the page) to map them to methods"
        )
    result = []
    for answers in sets:
        mapped = {}
        for item_id, answer in answers.answers.items():
            key = judge.candidates.get(item_id)
            if key is None:
                raise AnswersError(
                    f"{answers.source}: item {item_id!r} is not in the judge file's 'candidates'; "
                    "pass the judge file of this page"
                )
            unknown = [c for c in (*answer.ranking, *answer.candidates) if c is not None and c not in key]
            if unknown:
                raise AnswersError(
                    f"{answers.source}: item {item_id!r} ranks unknown candidates {unknown}; "
                    f"the page showed {sorted(key)}"
                )
            ranking = tuple(None if c is None else key[c] for c in answer.ranking)
            candidates = tuple(key[c] for c in answer.candidates) or tuple(sorted(key.values()))
            mapped[item_id] = replace(answer, ranking=ranking, candidates=candidates)
        result.append(replace(answers, answers=mapped))
    return result


def load_judge(source: str | Path) -> JudgeScores:
    """A judge sidecar JSON, or a generated dataset directory (``reward`` per ``trajectory_id``, rate pages)."""
    path = Path(source)
    if path.is_dir():
        from trl_styling.pipeline.report import load_trajectories

        scores = {}
        for split in load_trajectories(path).values():
            columns = split.select_columns(
                [c for c in ("trajectory_id", "reward", "judge_failed") if c in split.column_names]
            )
            for row in columns:
                if row.get("reward") is not None and not row.get("judge_failed"):
                    scores[row["trajectory_id"]] = float(row["reward"])
        return JudgeScores("rate", scores)
    return parse_judge(_read_json(path), str(path))
