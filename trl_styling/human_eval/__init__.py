"""Human evaluation (App. J): a self-contained rating / ranking HTML page and agreement statistics.

``trl-styling annotate`` writes the page (`page`), raters export their answers
as JSON, and ``trl-styling agreement`` computes pass rates and rater / judge agreement
(`agreement`). Names are imported lazily so the CLI starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "agreement_report": "agreement",
    "kendall_tau_b": "agreement",
    "pair_agreement": "agreement",
    "pass_rates": "agreement",
    "spearman": "agreement",
    "top_k_accuracy": "agreement",
    "winner_accuracy": "agreement",
    "AnswersError": "answers",
    "JudgeScores": "answers",
    "RaterAnswers": "answers",
    "load_answers": "answers",
    "load_judge": "answers",
    "ItemSourceError": "items",
    "render_page": "page",
    "rating_sample": "rating",
    "scale_thresholds": "sampling",
    "tier_sample": "sampling",
    "RATING_DIMENSIONS": "schema",
    "WINNER_DIMENSIONS": "schema",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
