"""What a plan gets wrong, by kind: the breakdown behind a low executed reward.

`diagnose_plan` compares one executed plan with the goal it was written for and the context it started
from, and counts each kind of mistake separately (a pure function of the plan, its trace and the goal):

================  ============================================================================================
missing_change    a dimension the goal asks to change ends unchanged or elsewhere (tool choice: recall)
extra_change      a dimension the goal does not ask to change was changed (tool choice: precision)
wrong_target      a requested dimension was changed, but to another value than the goal's
wrong_source      a call's ``source_*`` value is not the dimension's value at that point (copied wrongly from
                  the context, or from an earlier step)
missing_preserve  a dimension the goal says to keep has no protection step (``preserve_attribute`` or a
                  styling call's ``preserve``); 0 with a library that has no protection (Simple)
broken_preserve   a dimension the goal says to keep ended changed
out_of_order      1 when the steps are not in the oracle's order: constraints first, then changes by the first
                  dimension they touch in canonical order
redundant_step    a step that changed nothing
================  ============================================================================================

`evaluate_planner` stores the counts with each goal's result, and the summary
reports each kind as a mean count per valid plan (``mistakes/<kind>``; a goal without a valid plan has no plan
to diagnose and is counted by ``validity`` instead).
"""

from __future__ import annotations

from typing import Any

from trl_styling.context import StyleContext
from trl_styling.tools import Plan, ToolLibrary
from trl_styling.tools.grounding import atomic_actions
from trl_styling.tools.vocab import ATOMIC_TOOLS
from trl_styling.world.semantics.executor import CANONICAL_ORDER, ExecutionTrace
from trl_styling.world.semantics.goals import StylingGoal

ERROR_KINDS: tuple[str, ...] = (
    "missing_change",
    "extra_change",
    "wrong_target",
    "wrong_source",
    "missing_preserve",
    "broken_preserve",
    "out_of_order",
    "redundant_step",
)
# Where composite tools keep the atomic calls they run (see the executor's `_edits`).
_CONSTRAINT_TOOLS = ("preserve_attribute", "preserve_object_category", "exclude_region", "spatial_constraint")


def _step_dimensions(tool: str, arguments: dict[str, Any], library: ToolLibrary) -> list[str]:
    if library[tool].category == "styling":
        return [dim for dim in CANONICAL_ORDER if dim in arguments]
    return [ATOMIC_TOOLS[t][0] for t, _ in atomic_actions(tool, arguments)]


def _order_key(tool: str, arguments: dict[str, Any], library: ToolLibrary) -> int:
    if tool in _CONSTRAINT_TOOLS:
        return -1
    dims = _step_dimensions(tool, arguments, library)
    return min((CANONICAL_ORDER.index(d) for d in dims), default=len(CANONICAL_ORDER))


def diagnose_plan(
    plan: Plan, context: StyleContext, goal: StylingGoal, trace: ExecutionTrace, library: ToolLibrary
) -> dict[str, int]:
    """Counts of each kind of mistake in an executed ``plan`` (see the module docstring); 0 everywhere is perfect.

    Args:
        plan: The plan as the planner wrote it.
        context: The image's context before the plan.
        goal: The structured goal the plan was written for.
        trace: The plan's execution on ``context`` (`execute_plan`).
        library: The tool library the plan uses.

    Returns:
        One count per kind of `ERROR_KINDS`.
    """
    changed = set(trace.changed_dimensions())
    final = trace.final
    state = context.to_dict()
    wrong_source = 0
    for step in plan:
        for tool, arguments in atomic_actions(step.tool, step.arguments):
            dim, source, target = ATOMIC_TOOLS[tool]
            current = state.get(dim) or "unknown"
            wrong_source += arguments.get(source, current) != current
            state[dim] = arguments[target]
        if library[step.tool].category == "styling":
            state.update({dim: step.arguments[dim] for dim in CANONICAL_ORDER if dim in step.arguments})
    keys = [_order_key(step.tool, step.arguments, library) for step in plan]
    can_protect = "preserve_attribute" in library.names or any(spec.category == "styling" for spec in library)
    return {
        "missing_change": sum(dim not in changed for dim in goal.targets),
        "extra_change": sum(dim not in goal.targets for dim in changed),
        "wrong_target": sum(dim in changed and final.get(dim) != value for dim, value in goal.targets.items()),
        "wrong_source": wrong_source,
        "missing_preserve": can_protect * sum(dim not in trace.protected_dimensions for dim in goal.preserve),
        "broken_preserve": sum(context.get(dim) != final.get(dim) for dim in goal.preserve),
        "out_of_order": int(keys != sorted(keys)),
        "redundant_step": len(trace.redundant_steps),
    }
