"""Self-contained human-evaluation pages (App. J): one HTML file, images inlined, no server, no network.

Two modes:

* ``rate`` (App. J.1): each trajectory is marked Pass / Partial / Fail on Edit Quality, Action Plan
  Quality, Reasoning Quality and Overall Sample Quality, with an optional comment.
* ``rank`` (App. J.5): for each goal the outputs of several methods are shown blind (as "Output A", ..., in
  a seeded random order per goal; the page holds no method names); raters pick the top 3 and mark the
  winner Pass / Partial / Fail on Visual Quality, Instruction Following and Overall Quality.

Answers autosave in the browser's localStorage under ``trl-styling-human-eval:<page_id>`` and are exported
as JSON (the format `trl_styling.human_eval.answers` reads). Next to the page,
`write_page` writes ``<page>.judge.json``: the automatic judge's scores, which the page never shows, their
``score_range``, for rank pages the key from candidate letters to methods, and for rate pages how the
items were sampled (``sampling``, and ``tiers``: each item's reward tier).

Model text is never interpreted as HTML: the data sits in a ``<script type="application/json">`` block with
``<``, ``>`` and ``&`` escaped, the page's JavaScript writes it with ``textContent`` only, and a
Content-Security-Policy allows only the page's own script (by hash), inline styles and ``data:`` images.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl_styling.human_eval.schema import (
    JUDGE_FORMAT,
    LEVEL_LABELS,
    LEVELS,
    MODE_DIMENSIONS,
    PAGE_FORMAT,
    REWARD_RANGE,
    TOP_K,
)

if TYPE_CHECKING:
    from trl_styling.human_eval.items import Output


_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSP|DATA)\}\}")


def json_for_script(data: Any) -> str:
    """JSON that cannot end its ``<script>`` block or open a comment: ``<``, ``>``, ``&`` as ``\\u`` escapes."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def page_id_for(mode: str, item_ids: Sequence[str], dimensions: Sequence[str]) -> str:
    """A stable id from the page's content, so two different pages never share a localStorage key."""
    digest = hashlib.sha256(json.dumps([mode, list(item_ids), list(dimensions)]).encode("utf-8")).hexdigest()
    return f"{mode}-{digest[:12]}"


def _dimension_records(mode: str) -> list[dict[str, str]]:
    return [{"key": key, "label": label, "help": help_text} for key, label, help_text in MODE_DIMENSIONS[mode]]


def rating_page_data(outputs: Sequence[Output], *, title: str, page_id: str | None = None) -> dict[str, Any]:
    """Page data of a ``rate`` page: one item per trajectory (``item_id`` is the ``trajectory_id``)."""
    items = []
    for output in outputs:
        item_id = output.trajectory_id or output.group_id
        items.append(
            {
                "item_id": item_id,
                "trajectory_id": output.trajectory_id,
                "group_id": output.group_id,
                "image": output.image,
                **output.view(),
            }
        )
    ids = [item["item_id"] for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("rating items must have distinct trajectory ids")
    dimensions = _dimension_records("rate")
    return {
        "format": PAGE_FORMAT,
        "mode": "rate",
        "title": title,
        "page_id": page_id or page_id_for("rate", ids, [d["key"] for d in dimensions]),
        "levels": [{"key": key, "label": LEVEL_LABELS[key]} for key in LEVELS],
        "dimensions": dimensions,
        "items": items,
    }


def ranking_page_data(items: Sequence[Mapping[str, Any]], *, title: str, page_id: str | None = None) -> dict[str, Any]:
    """Page data of a ``rank`` page from `ranking_items` (scores dropped)."""
    shown = []
    for item in items:
        # Blind: the page knows candidates by letter only; the judge sidecar maps letters to methods.
        candidates = [{key: value for key, value in c.items() if key != "method"} for c in item["candidates"]]
        shown.append({**{k: v for k, v in item.items() if k != "judge_scores"}, "candidates": candidates})
    methods = sorted({c["method"] for item in items for c in item["candidates"]})
    dimensions = _dimension_records("rank")
    ids = [item["item_id"] for item in shown]
    return {
        "format": PAGE_FORMAT,
        "mode": "rank",
        "title": title,
        "page_id": page_id or page_id_for("rank", ids + methods, [d["key"] for d in dimensions]),
        "levels": [{"key": key, "label": LEVEL_LABELS[key]} for key in LEVELS],
        "dimensions": dimensions,
        "top_k": TOP_K,
        "items": shown,
    }


def render_page(data: Mapping[str, Any]) -> str:
    """The HTML page of ``data`` (`rating_page_data` / `ranking_page_data`)."""
    template = resources.files("trl_styling.human_eval").joinpath("template.html").read_text(encoding="utf-8")
    scripts, styles = _SCRIPT.findall(template), _STYLE.findall(template)
    csp = (
        "default-src 'none'; img-src data:; style-src "
        + " ".join(_csp_hash(s) for s in styles)
        + "; script-src "
        + " ".join(_csp_hash(s) for s in scripts)
        + "; base-uri 'none'; form-action 'none'"
    )
    values = {
        "TITLE": html.escape(str(data["title"])),
        "CSP": html.escape(csp, quote=False),
        "DATA": json_for_script(data),
    }
    # One pass, so text inside the data that looks like a placeholder stays as it is.
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def judge_scores(
    data: Mapping[str, Any],
    outputs: Sequence[Output] | None = None,
    items: Sequence[Mapping[str, Any]] | None = None,
    *,
    score_range: tuple[float, float] = REWARD_RANGE,
    sampling: Mapping[str, Any] | None = None,
    tiers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The sidecar ``<page>.judge.json``: per item the judge's reward (rate) or per-method scores (rank).

    For rank pages it is also the key of the blind candidates: ``candidates[item_id][letter] = method``.

    Args:
        data: the page data.
        outputs: the rated outputs (rate pages).
        items: the ranking items (rank pages).
        score_range: the scale of the scores (``[0, 5]`` for the dataset reward, ``[0, 100]`` for a VLM judge).
        sampling: how the items were sampled (`trl_styling.human_eval.rating.RatingSample.sampling`).
        tiers: the reward tier of each item, when sampled by tier.
    """
    sidecar: dict[str, Any] = {
        "format": JUDGE_FORMAT,
        "page_id": data["page_id"],
        "mode": data["mode"],
        "score_range": list(score_range),
    }
    if data["mode"] == "rate":
        sidecar["scores"] = {o.item_id: o.score for o in outputs or () if o.score is not None}
    else:
        sidecar["scores"] = {
            item["item_id"]: dict(item["judge_scores"]) for item in items or () if item["judge_scores"]
        }
        sidecar["candidates"] = {
            item["item_id"]: {c["candidate_id"]: c["method"] for c in item["candidates"]} for item in items or ()
        }
    if sampling is not None:
        sidecar["sampling"] = dict(sampling)
    if tiers:
        sidecar["tiers"] = dict(tiers)
    return sidecar


def write_page(data: Mapping[str, Any], judge: Mapping[str, Any], out: str | Path) -> tuple[Path, Path]:
    """Writes the page and its judge sidecar (``page.html`` -> ``page.judge.json``); returns both paths."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_page(data), encoding="utf-8")
    sidecar = out.with_name(out.stem + ".judge.json")
    sidecar.write_text(json.dumps(judge, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out, sidecar
