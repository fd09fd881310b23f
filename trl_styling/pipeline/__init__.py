"""Synthetic trajectory generation (paper §3, App. C.4): stage interfaces, named backends, the driver, reports.

* `stages` -- the six stages (render, extract_context, plan,
  synthesize_instruction, edit, judge) and the values they pass;
* `registry` -- ``register_backend`` / ``get_backend`` / ``list_backends``;
  backends live one family per module under `trl_styling.pipeline.backends` (the hermetic world's are
  built in), plus the template instruction synthesizer (`instructions`);
* `generate_dataset` (``trl-styling generate``) -- sharded, resumable, multi-process generation into
  a ``DatasetDict`` of `TRAJECTORY_FEATURES` rows split by base image;
* `dataset_report` (``trl-styling stats``).

``datasets`` is imported on first use of the driver or the report, not by ``import trl_styling.pipeline``.
"""

from __future__ import annotations

import importlib
from typing import Any

from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.registry import get_backend, list_backends, register_backend, unregister_backend
from trl_styling.pipeline.stages import (
    STAGES,
    EditedImage,
    JudgeRequest,
    PlanProposal,
    RenderedImage,
    StageError,
)

_LAZY = {
    "generate_dataset": "trl_styling.pipeline.generate",
    "run_generation": "trl_styling.pipeline.generate",
    "load_group_specs": "trl_styling.pipeline.generate",
    "dataset_report": "trl_styling.pipeline.report",
    "synthesize_instruction": "trl_styling.pipeline.instructions",
}

__all__ = [
    "STAGES",
    "EditedImage",
    "GenerationConfig",
    "JudgeRequest",
    "PlanProposal",
    "RenderedImage",
    "StageError",
    "get_backend",
    "list_backends",
    "register_backend",
    "unregister_backend",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trl_styling.pipeline' has no attribute {name!r}")
