"""The bounds and layout of a plan grammar (`GrammarSettings`), its plan formats and its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["GrammarError", "GrammarSettings", "PlanFormat"]

PlanFormat = Literal["text", "chat"]


class GrammarError(ValueError):
    """The library has a schema or a rule the plan grammar cannot express."""


@dataclass(frozen=True)
class GrammarSettings:
    """Bounds and layout of a plan grammar (see `trl_styling.tools.grammar`).

    Attributes:
        min_steps: Fewest steps of a plan.
        max_steps: Most steps of a plan (the prompts ask for 1 to 5).
        max_reasoning_chars: Longest reasoning of one step, in characters.
        max_text_chars: Longest free-text value (``description``), in characters.
        max_identifier_chars: Longest identifier value (``source_*``), in characters.
        max_list_items: Most items of a list whose schema has no ``maxItems``.
        max_decimals: Most decimals of a number.
        key_order: ``"sorted"`` (as the datasets write arguments) or ``"schema"`` (the library's order).
        max_cases: Most combinations of case parameters probed for one tool (else `GrammarError`).
    """

    min_steps: int = 1
    max_steps: int = 5
    max_reasoning_chars: int = 400
    max_text_chars: int = 160
    max_identifier_chars: int = 48
    max_list_items: int = 5
    max_decimals: int = 3
    key_order: Literal["sorted", "schema"] = "sorted"
    max_cases: int = 1024  # combinations of case parameters probed per tool

    def __post_init__(self) -> None:
        if not 1 <= self.min_steps <= self.max_steps:
            raise ValueError(f"need 1 <= min_steps <= max_steps, got {self.min_steps} and {self.max_steps}.")
        if self.max_reasoning_chars < 1 or self.max_identifier_chars < 1 or self.max_decimals < 1:
            raise ValueError("max_reasoning_chars, max_identifier_chars and max_decimals must be >= 1.")
        if self.max_text_chars < 0 or self.max_list_items < 1:
            raise ValueError("max_text_chars must be >= 0 and max_list_items >= 1.")
        if self.key_order not in ("sorted", "schema"):
            raise ValueError(f"key_order must be 'sorted' or 'schema', got {self.key_order!r}.")
