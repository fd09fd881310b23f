"""The Regular library (App. C.2.2): the 10 atomic tools plus 10 constraint/compositional tools.

Nested actions (``then_action``, ``sub_actions``, ``parallel_actions``, ``base_action``, each layer's
``action``, ``source_transform``/``target_transform``) are ``{"tool": <atomic tool>, "arguments": {...}}``
objects checked against the atomic tools; constraint tools cannot nest each other, so plans stay flat
enough for a deterministic executor. The paper's ``layers: list of (action, opacity)`` tuples become
``{"action": ..., "opacity": 0..1}`` objects (JSON has no tuples). ``conditional_transform`` gains an
optional ``condition_attribute`` (the dimension an ``if_attribute_equals`` condition reads), because
``condition_value`` alone cannot say which dimension to compare.
"""

from __future__ import annotations

from typing import Any

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools.errors import ToolValidationError
from trl_styling.tools.schema import (
    action_param,
    enum_list_param,
    enum_param,
    identifier_param,
    list_param,
    number_param,
    object_schema,
)
from trl_styling.tools.simple import DESCRIPTION_PARAM, atomic_tools
from trl_styling.tools.specs import ToolSpec
from trl_styling.tools.vocab import ATOMIC_TOOLS, GRADIENT_DIRECTIONS, LIGHTING_LEVELS, OBJECT_CATEGORIES, REGIONS

_ATOMIC_NAMES = tuple(ATOMIC_TOOLS)
MAX_NESTED_ACTIONS = 5  # plans have 1-5 steps; a composite of more would hide a whole plan in one call

CONDITION_TYPES: tuple[str, ...] = ("if_attribute_equals", "if_region_contains", "if_lighting_level")


def _action(description: str) -> dict[str, Any]:
    return action_param(_ATOMIC_NAMES, description)


def _actions(description: str) -> dict[str, Any]:
    return list_param(_action("One atomic action."), description, min_items=2, max_items=MAX_NESTED_ACTIONS)


def _check_condition(tool: str, args: dict[str, Any]) -> None:
    kind, value, attribute = args["condition_type"], args["condition_value"], args.get("condition_attribute")
    if kind == "if_attribute_equals":
        if attribute is None:
            raise ToolValidationError(
                "if_attribute_equals needs condition_attribute (the dimension to compare).",
                tool=tool,
                parameter="condition_attribute",
                allowed=DIMENSIONS,
            )
        allowed: tuple[str, ...] = DIMENSION_VALUES[attribute]
    else:
        if attribute is not None:
            raise ToolValidationError(
                f"condition_attribute is only used with if_attribute_equals, not {kind}.",
                tool=tool,
                parameter="condition_attribute",
            )
        allowed = OBJECT_CATEGORIES if kind == "if_region_contains" else LIGHTING_LEVELS
    if value not in allowed:
        raise ToolValidationError(
            f"value {value!r} is not allowed for {kind}.", tool=tool, parameter="condition_value", allowed=allowed
        )


def _check_parallel(tool: str, args: dict[str, Any]) -> None:
    # Simultaneous actions on one dimension contradict each other; a sequence may revisit one instead.
    seen: dict[str, int] = {}
    for i, action in enumerate(args["parallel_actions"]):
        dim = ATOMIC_TOOLS[action["tool"]][0]
        if dim in seen:
            raise ToolValidationError(
                f"actions {seen[dim]} and {i} both change {dim!r}; parallel actions must change different dimensions.",
                tool=tool,
                parameter=f"parallel_actions[{i}].tool",
            )
        seen[dim] = i


def _spec(name: str, description: str, properties: dict[str, Any], required: list[str], **kw: Any) -> ToolSpec:
    properties = {**properties, "description": DESCRIPTION_PARAM}
    return ToolSpec(name, description, object_schema(properties, required), category="constraint", **kw)


def constraint_tools() -> tuple[ToolSpec, ...]:
    """The 10 constraint/compositional tools of App. C.2.2, in the paper's order."""
    return (
        _spec(
            "preserve_attribute",
            "Explicitly preserves visual attributes while other transformations occur.",
            {
                "attributes_to_preserve": enum_list_param(DIMENSIONS, "Dimension names to keep unchanged."),
                "preservation_strength": enum_param(("strict", "moderate", "soft"), "How strictly.", default="strict"),
            },
            ["attributes_to_preserve"],
        ),
        _spec(
            "exclude_region",
            "Masks a spatial region from transformation.",
            {
                "region_type": enum_param(REGIONS, "Region to leave untouched."),
                "exclusion_strength": enum_param(
                    ("complete", "partial"), "Full or partial masking.", default="complete"
                ),
            },
            ["region_type"],
        ),
        _spec(
            "conditional_transform",
            "Applies an action only if a condition on the image holds.",
            {
                "condition_type": enum_param(CONDITION_TYPES, "Kind of condition."),
                "condition_attribute": enum_param(
                    DIMENSIONS, "Dimension compared by if_attribute_equals (only then)."
                ),
                "condition_value": identifier_param(
                    "Value to check: a value of condition_attribute, an object "
                    "category (if_region_contains) or a lighting level "
                    f"({', '.join(LIGHTING_LEVELS)})."
                ),
                "then_action": _action("Action applied when the condition is true."),
            },
            ["condition_type", "condition_value", "then_action"],
            check=_check_condition,
        ),
        _spec(
            "preserve_object_category",
            "Preserves all objects of the given semantic categories.",
            {
                "object_categories": enum_list_param(OBJECT_CATEGORIES, "Categories to preserve."),
                "preservation_mode": enum_param(
                    ("identity", "style_only"),
                    "identity keeps the objects as they are; style_only keeps their rendering style.",
                    default="identity",
                ),
            },
            ["object_categories"],
        ),
        _spec(
            "spatial_constraint",
            "Applies the change of one dimension with a spatial profile.",
            {
                "constraint_type": enum_param(
                    ("top_to_bottom_gradient", "center_outward", "left_to_right"), "Spatial profile."
                ),
                "affected_attribute": enum_param(DIMENSIONS, "Dimension whose change is constrained."),
                "gradient_sharpness": enum_param(
                    ("smooth", "moderate", "sharp"), "Transition width.", default="smooth"
                ),
            },
            ["constraint_type", "affected_attribute"],
        ),
        _spec(
            "sequence_transform",
            "Applies sub-actions in an explicit order.",
            {
                "sub_actions": _actions("Ordered atomic actions (2-5)."),
                "timing": enum_param(
                    ("simultaneous", "sequential"), "Apply one after another or at once.", default="sequential"
                ),
            },
            ["sub_actions"],
        ),
        _spec(
            "parallel_transform",
            "Applies several actions on different dimensions simultaneously.",
            {
                "parallel_actions": _actions("Atomic actions on distinct dimensions (2-5)."),
                "blending_mode": enum_param(
                    ("additive", "average", "weighted"), "How effects combine.", default="additive"
                ),
            },
            ["parallel_actions"],
            check=_check_parallel,
        ),
        _spec(
            "graduated_effect",
            "Applies an action with gradually varying intensity.",
            {
                "base_action": _action("Action to graduate."),
                "gradient_direction": enum_param(GRADIENT_DIRECTIONS, "From full effect to none."),
                "intensity_curve": enum_param(("linear", "exponential", "sigmoid"), "Falloff.", default="linear"),
            },
            ["base_action", "gradient_direction"],
        ),
        _spec(
            "layered_transformation",
            "Applies actions as layers blended with given opacities.",
            {
                "layers": list_param(
                    object_schema(
                        {
                            "action": _action("Layer action."),
                            "opacity": number_param("Layer opacity.", 0.0, 1.0),
                        },
                        ["action", "opacity"],
                    ),
                    "Layers, bottom first (1-5).",
                    max_items=MAX_NESTED_ACTIONS,
                ),
                "blend_mode": enum_param(
                    ("normal", "multiply", "screen", "overlay"), "Layer blend mode.", default="normal"
                ),
            },
            ["layers"],
        ),
        _spec(
            "selective_blend",
            "Blends two transformation results by a semantic or spatial criterion.",
            {
                "blend_criterion": enum_param(
                    ("by_semantic_region", "by_depth", "by_lighting_level"), "What decides the mix."
                ),
                "source_transform": _action("First transformation (near / selected / bright parts)."),
                "target_transform": _action("Second transformation (far / other / dark parts)."),
                "blend_ratio": number_param("Share of source_transform, 0 to 1.", 0.0, 1.0, default=0.5),
            },
            ["blend_criterion", "source_transform", "target_transform"],
        ),
    )


def regular_tools() -> tuple[ToolSpec, ...]:
    return (*atomic_tools(), *constraint_tools())
