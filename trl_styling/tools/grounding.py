"""Source values are facts about the image: `ground_sources` sets them from the context.

Every atomic tool names the value it changes from (`source_*`) and the value it changes to (`target_*`). The
source is not a choice. It is the dimension's value at that point of the plan, which the agent knows from the
extracted context. A small planner often copies it wrongly (the most frequent mistake in the
quickstart's diagnosis). The synthesized instruction reads it: a source equal to the target turns "change X
to Y" into "make sure X stays Y". So the agent can set it instead of trusting the copy.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.tools.errors import ToolValidationError
from trl_styling.tools.plan import Plan
from trl_styling.tools.specs import ToolLibrary
from trl_styling.tools.vocab import ATOMIC_TOOLS

# Arguments of composite tools that hold one nested action, or a list of them.
NESTED_ACTIONS: tuple[str, ...] = ("then_action", "base_action", "source_transform", "target_transform")
NESTED_LISTS: tuple[str, ...] = ("sub_actions", "parallel_actions")


def atomic_actions(tool: str, arguments: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The atomic calls ``(tool, arguments)`` a step runs, composites unpacked, in execution order.

    The yielded ``arguments`` are the nested dicts themselves (not copies), so a caller may edit them in place.
    """
    if tool in ATOMIC_TOOLS:
        yield tool, arguments
        return
    for key in NESTED_ACTIONS:
        if isinstance(arguments.get(key), dict):
            yield from atomic_actions(arguments[key]["tool"], arguments[key]["arguments"])
    for key in NESTED_LISTS:
        for action in arguments.get(key) or ():
            yield from atomic_actions(action["tool"], action["arguments"])
    for layer in arguments.get("layers") or ():
        yield from atomic_actions(layer["action"]["tool"], layer["action"]["arguments"])


def ground_sources(plan: Plan, context: StyleContext, library: ToolLibrary) -> tuple[Plan, tuple[str, ...]]:
    """``plan`` with every ``source_*`` value set to the dimension's value before that call, and what changed.

    Args:
        plan: A validated plan.
        context: The image's context before the plan.
        library: The plan's tool library.

    Returns:
        The grounded plan (validated against ``library``) and one line per corrected value, e.g.
        ``"step 2 (time_of_day): source_time 'overcast_diffuse' -> 'morning_golden'"``. An unknown current value
        (``None``) is left as written.
    """
    state = context.to_dict()
    steps, fixes = [], []
    for number, step in enumerate(plan.steps, 1):
        arguments = copy.deepcopy(step.arguments)
        for tool, args in atomic_actions(step.tool, arguments):
            dim, source, target = ATOMIC_TOOLS[tool]
            current = state.get(dim)
            if current is not None and source in args and args[source] != current:
                fixes.append(f"step {number} ({tool}): {source} {args[source]!r} -> {current!r}")
                args[source] = current
            if target in args:
                state[dim] = args[target]
        if library[step.tool].category == "styling":
            state.update({dim: arguments[dim] for dim in DIMENSIONS if dim in arguments})
        steps.append(replace(step, arguments=arguments))
    try:
        return Plan(steps=tuple(steps)).validate(library), tuple(fixes)
    except ToolValidationError as error:  # a context value the library does not take: keep the plan as written
        return plan, (f"sources not grounded: {error}",)
