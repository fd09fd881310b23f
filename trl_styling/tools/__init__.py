"""Tool libraries (Simple / Regular / Complex, App. C.2), plans, and their text/chat/record forms.

* `get_tool_library` -- ``"simple"``, ``"regular"`` or ``"complex"`` as a `ToolLibrary` of
  `ToolSpec` (usable as OpenAI / transformers ``tools``; ``validate_call`` checks a call).
* `Plan` / `PlanStep` -- per-step reasoning + tool call; ``to_assistant_message`` (chat
  templates), ``to_text`` (the paper's ``[REASONING] ... [ACTION] tool(...)``), ``to_records`` (datasets).
* `parse_plan` -- tolerant reading of planner output into a validated plan.
"""

from __future__ import annotations

from trl_styling.tools.errors import PlanParseError, ToolValidationError
from trl_styling.tools.libraries import LIBRARY_NAMES, get_tool_library, resolve_library
from trl_styling.tools.parsing import parse_plan
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.tools.specs import ToolLibrary, ToolSpec

__all__ = [
    "LIBRARY_NAMES",
    "Plan",
    "PlanParseError",
    "PlanStep",
    "ToolLibrary",
    "ToolSpec",
    "ToolValidationError",
    "get_tool_library",
    "parse_plan",
    "resolve_library",
]
