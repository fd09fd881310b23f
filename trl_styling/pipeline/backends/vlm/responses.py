"""Reading model answers: tolerant JSON extraction with repair, then validation into typed values.

Models wrap JSON in prose, markdown fences or ``<think>`` blocks, use single quotes, Python literals, trailing
commas or bare keys, and get cut off by ``max_tokens``. `extract_json` finds the first JSON object in an
answer and repairs those defects (a cut-off object is closed when what was written so far is complete enough);
the readers then validate: `read_context` (the 10 dimensions, unknown values mapped to the nearest
vocabulary value or refused), `read_scores` (named scores, 0-5 unless told). Every failure is a
`ResponseFormatError` that says what was wrong, so a retry or the recorded failure explains itself.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, UNKNOWN, StyleContext, normalize_value
from trl_styling.pipeline.stages import StageError
from trl_styling.tools.values import ValueParser, ValueSyntaxError

THINK_CLOSE = "</think>"
NEAREST_CUTOFF = 0.6  # difflib ratio below which a value is not "near" any vocabulary value
MAX_OBJECT_STARTS = 16  # "{" positions tried before giving up on an answer
_FENCE = re.compile(r"```[a-zA-Z]*")
_NUMBER_PREFIX = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?")
_NULL_WORDS = ("", UNKNOWN, "none", "null", "n/a", "na")


class ResponseFormatError(StageError):
    """A model answer could not be read or validated; the message names the problem."""


def _answer_part(text: str) -> str:
    """The text after a closing ``</think>`` (reasoning models), without markdown fences."""
    if THINK_CLOSE in text:
        after = text.rsplit(THINK_CLOSE, 1)[1]
        text = after if after.strip() else text
    return _FENCE.sub("", text)


def _close_truncated(fragment: str) -> list[str]:
    """Candidate completions of a cut-off JSON object: close the open string and brackets, optionally after
    dropping the last (incomplete) member."""
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    last_comma = -1
    for i, ch in enumerate(fragment):
        if quote is not None:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
        elif ch == "," and len(stack) == 1:
            last_comma = i
    closers = "".join(reversed(stack))
    candidates = [fragment + (quote or "") + closers]
    if last_comma > 0:
        candidates.append(fragment[:last_comma] + "}")
    return candidates


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (repaired if needed) or `ResponseFormatError`."""
    if not isinstance(text, str):
        raise ResponseFormatError(f"expected the model answer as text, got {type(text).__name__}")
    answer = _answer_part(text)
    starts = [m.start() for m in re.finditer(r"\{", answer)][:MAX_OBJECT_STARTS]
    if not starts:
        snippet = answer.strip()[:60]
        raise ResponseFormatError(f"no JSON object in the answer (it starts {snippet!r})")
    first_error = ""
    for start in starts:
        parser = ValueParser(answer)
        try:
            value, _ = parser.parse(start)
        except ValueSyntaxError as error:
            if error.at_end:
                for candidate in _close_truncated(answer[start:]):
                    try:
                        value, _ = ValueParser(candidate).parse(0)
                    except ValueSyntaxError:
                        continue
                    if isinstance(value, dict) and value:
                        return value
            first_error = first_error or f"malformed JSON at character {error.position}: {error.reason}"
            continue
        if isinstance(value, dict):
            return value
    raise ResponseFormatError(f"no readable JSON object in the answer ({first_error or 'no object found'})")


# ------------------------------------------------------------------------------------------------ context


def nearest_value(dimension: str, raw: str) -> str | None:
    """The vocabulary value of ``dimension`` closest to ``raw`` (``"sunset"`` -> ``"sunset_golden"``), or None.

    An exact normalised match wins, then a value that contains the answer (or is contained in it) as whole
    ``_``-separated words, then the closest by `difflib` above `NEAREST_CUTOFF`."""
    values = DIMENSION_VALUES[dimension]
    value = normalize_value(raw)
    if value in values:
        return value
    words = set(value.split("_"))
    overlapping = [v for v in values if words and (words <= set(v.split("_")) or set(v.split("_")) <= words)]
    if len(overlapping) == 1:
        return overlapping[0]
    close = difflib.get_close_matches(value, overlapping or values, n=1, cutoff=NEAREST_CUTOFF)
    return close[0] if close else None


def read_context(text: str) -> tuple[StyleContext, list[str]]:
    """(context, repairs) from a context-extraction answer; `ResponseFormatError` when unusable.

    A dimension may be missing or ``"unknown"`` (it becomes ``None``); a value outside the vocabulary is
    mapped to the nearest one (each mapping is listed in ``repairs``) or refused, naming the allowed values.
    An answer that names none of the 10 dimensions is refused."""
    data = extract_json(text)
    if isinstance(data.get("context"), dict):  # {"context": {...}} wrappers
        data = data["context"]
    present = [dim for dim in DIMENSIONS if dim in data]
    if not present:
        raise ResponseFormatError(f"the JSON names none of the context dimensions ({', '.join(DIMENSIONS)})")
    values: dict[str, str | None] = {}
    repairs: list[str] = []
    for dim in DIMENSIONS:
        raw = data.get(dim)
        if isinstance(raw, list) and len(raw) >= 1 and isinstance(raw[0], str):
            raw = raw[0]  # a list of candidates: the first
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in _NULL_WORDS):
            values[dim] = None
            continue
        if not isinstance(raw, str):
            raise ResponseFormatError(f"context dimension {dim!r} must be a string or null, got {raw!r}")
        value = nearest_value(dim, raw)
        if value is None:
            raise ResponseFormatError(
                f"context dimension {dim!r} has value {raw!r}, which is not near any allowed value "
                f"({', '.join(DIMENSION_VALUES[dim])})"
            )
        if value != normalize_value(raw):
            repairs.append(f"{dim}: {raw!r} -> {value!r}")
        values[dim] = value
    return StyleContext(**values), repairs


# ------------------------------------------------------------------------------------------------ scores


def read_number(raw: Any, name: str, low: float, high: float) -> float:
    """A finite number in [low, high] from a JSON number or a string like ``"4.5"`` / ``"4/5"``."""
    if isinstance(raw, bool):
        raise ResponseFormatError(f"score {name!r} must be a number, got {raw!r}")
    if isinstance(raw, dict) and "score" in raw:  # {"score": 4, "reason": ...}
        raw = raw["score"]
    if isinstance(raw, str):
        match = _NUMBER_PREFIX.match(raw)
        if match is None:
            raise ResponseFormatError(f"score {name!r} must be a number, got {raw!r}")
        value = float(match.group(1))
        if match.group(2) is not None:  # "4/5" or "8/10": rescale to [low, high]
            denominator = float(match.group(2))
            if denominator <= 0:
                raise ResponseFormatError(f"score {name!r} has a zero denominator: {raw!r}")
            value = low + (high - low) * value / denominator
        raw = value
    if not isinstance(raw, (int, float)) or not math.isfinite(float(raw)):
        raise ResponseFormatError(f"score {name!r} must be a finite number, got {raw!r}")
    value = float(raw)
    if not low <= value <= high:
        raise ResponseFormatError(f"score {name!r} = {value:g} is outside [{low:g}, {high:g}]")
    return value


def read_scores(
    text: str, names: tuple[str, ...], *, low: float = 0.0, high: float = 5.0
) -> tuple[dict[str, float], str]:
    """(scores, rationale) from a judge answer: every name in ``names`` must be present with a number in
    [low, high] (at the top level or under ``"criteria"``/``"scores"``); the rationale may be missing."""
    data = extract_json(text)
    pool = dict(data)
    for key in ("criteria", "scores"):
        if isinstance(data.get(key), dict):
            pool.update(data[key])
    missing = [name for name in names if name not in pool]
    if missing:
        raise ResponseFormatError(f"the judge answer lacks the score(s) {missing} (expected all of {list(names)})")
    scores = {name: read_number(pool[name], name, low, high) for name in names}
    rationale = data.get("rationale", data.get("reasoning", ""))
    return scores, rationale.strip() if isinstance(rationale, str) else ""
