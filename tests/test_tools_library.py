"""Tool libraries (App. C.2): contents, schemas, validation errors, normalisation, prompt listing."""

from __future__ import annotations

import copy
import pickle

import pytest

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools import LIBRARY_NAMES, ToolLibrary, ToolSpec, ToolValidationError, get_tool_library
from trl_styling.tools.complex import STYLING_ACTIONS
from trl_styling.tools.examples import example_arguments
from trl_styling.tools.vocab import ATOMIC_TOOLS, OBJECT_CATEGORIES

ATOMIC = (
    "location_setting",
    "architecture_style",
    "time_period_era",
    "time_of_day",
    "season_cycle",
    "weather_conditions",
    "mood_lighting",
    "color_grading",
    "artistic_medium",
    "atmospheric_effects",
)
CONSTRAINT = (
    "preserve_attribute",
    "exclude_region",
    "conditional_transform",
    "preserve_object_category",
    "spatial_constraint",
    "sequence_transform",
    "parallel_transform",
    "graduated_effect",
    "layered_transformation",
    "selective_blend",
)
STYLING = (
    "cinematic_look",
    "golden_hour_glow",
    "night_transformation",
    "seasonal_transformation",
    "weather_drama",
    "misty_atmosphere",
    "era_restyle",
    "interior_redesign",
    "environment_swap",
    "fantasy_conversion",
    "cyberpunk_makeover",
    "sci_fi_futurize",
    "post_apocalyptic_decay",
    "painterly_rendering",
    "sketch_conversion",
    "anime_stylization",
    "retro_game_render",
    "vintage_photo",
    "mood_shift",
    "surreal_dreamscape",
)
SCHEMA_KEYS = {
    "type",
    "enum",
    "description",
    "default",
    "pattern",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "title",
}

simple, regular, complex_ = (get_tool_library(name) for name in LIBRARY_NAMES)
ALL_CALLS = [(lib.name, spec.name) for lib in (simple, regular, complex_) for spec in lib]


def _error(lib: ToolLibrary, tool: str, arguments: object) -> ToolValidationError:
    with pytest.raises(ToolValidationError) as info:
        lib.validate_call(tool, arguments)  # type: ignore[arg-type]
    return info.value


# ---------------------------------------------------------------------------------------------------- contents


def test_library_names_and_contents() -> None:
    assert LIBRARY_NAMES == ("simple", "regular", "complex")
    assert simple.names == ATOMIC
    assert regular.names == ATOMIC + CONSTRAINT
    assert complex_.names == ATOMIC + STYLING
    assert [len(lib) for lib in (simple, regular, complex_)] == [10, 20, 30]
    assert get_tool_library("simple") is simple  # built once
    assert "time_of_day" in simple and "preserve_attribute" not in simple and 3 not in simple
    assert [spec.name for spec in regular] == list(regular.names)
    assert regular["exclude_region"].category == "constraint"


def test_unknown_library_and_tool_names() -> None:
    with pytest.raises(ValueError, match=r"Unknown tool library 'hard'; available: simple, regular, complex\."):
        get_tool_library("hard")
    with pytest.raises(KeyError, match="Unknown tool 'fog' in library 'simple'"):
        simple["fog"]


def test_atomic_tools_follow_the_paper() -> None:
    for lib in (simple, regular, complex_):
        for name, (dim, source, target) in ATOMIC_TOOLS.items():
            spec = lib[name]
            assert (spec.category, spec.dimension, spec.affects) == ("atomic", dim, (dim,))
            props = spec.parameters["properties"]
            assert props[target]["enum"] == list(DIMENSION_VALUES[dim])
            assert spec.required == (target,)
            assert props[source]["type"] == "string" and "enum" not in props[source]
            assert props["description"] == {
                "type": "string",
                "description": "Natural language explanation of the change.",
            }
            assert len(props) == 5 and list(props)[:2] == [target, source]
    extras = {name: list(simple[name].parameters["properties"])[2:4] for name in ATOMIC}
    assert extras == {
        "location_setting": ["replace_mode", "preserve_foreground"],
        "architecture_style": ["detail_level", "preserve_layout"],
        "time_period_era": ["technology_update", "clothing_update"],
        "time_of_day": ["sky_color", "shadow_direction"],
        "season_cycle": ["vegetation_change", "temperature_effects"],
        "weather_conditions": ["intensity", "visibility_change"],
        "mood_lighting": ["contrast_adjustment", "shadow_depth"],
        "color_grading": ["saturation_change", "temperature_shift"],
        "artistic_medium": ["detail_preservation", "texture_intensity"],
        "atmospheric_effects": ["density", "distribution"],
    }
    assert simple["weather_conditions"].parameters["properties"]["intensity"]["enum"] == ["light", "moderate", "heavy"]
    assert simple["location_setting"].parameters["properties"]["preserve_foreground"]["type"] == "boolean"


def test_constraint_tools_follow_the_paper() -> None:
    def props(name: str) -> dict:
        return regular[name].parameters["properties"]

    assert props("preserve_attribute")["attributes_to_preserve"]["items"]["enum"] == list(DIMENSIONS)
    assert props("preserve_attribute")["preservation_strength"]["enum"] == ["strict", "moderate", "soft"]
    assert props("exclude_region")["region_type"]["enum"] == [
        "foreground",
        "background",
        "top_half",
        "bottom_half",
        "center",
        "edges",
    ]
    assert props("conditional_transform")["condition_type"]["enum"] == [
        "if_attribute_equals",
        "if_region_contains",
        "if_lighting_level",
    ]
    assert props("preserve_object_category")["object_categories"]["items"]["enum"] == list(OBJECT_CATEGORIES)
    assert props("spatial_constraint")["constraint_type"]["enum"] == [
        "top_to_bottom_gradient",
        "center_outward",
        "left_to_right",
    ]
    assert props("sequence_transform")["timing"]["enum"] == ["simultaneous", "sequential"]
    assert props("parallel_transform")["blending_mode"]["enum"] == ["additive", "average", "weighted"]
    assert props("graduated_effect")["intensity_curve"]["enum"] == ["linear", "exponential", "sigmoid"]
    assert props("layered_transformation")["blend_mode"]["enum"] == ["normal", "multiply", "screen", "overlay"]
    assert props("selective_blend")["blend_criterion"]["enum"] == [
        "by_semantic_region",
        "by_depth",
        "by_lighting_level",
    ]
    nested = props("graduated_effect")["base_action"]
    assert nested["properties"]["tool"]["enum"] == list(ATOMIC)
    assert nested["required"] == ["tool", "arguments"]
    for name in CONSTRAINT:
        assert regular[name].affects == () and regular[name].dimension is None


def test_complex_styling_actions_are_executable_settings() -> None:
    assert tuple(STYLING_ACTIONS) == STYLING
    common = ["preserve", "preserve_objects", "region", "strength", "description"]
    for name in STYLING:
        spec = complex_[name]
        props = spec.parameters["properties"]
        dims = [p for p in props if p in DIMENSIONS]
        assert spec.category == "styling" and spec.dimension is None
        assert list(spec.affects) == [d for d in DIMENSIONS if d in dims]  # affects = the dimension parameters
        assert 2 <= len(dims) <= 5
        assert list(props) == dims + common  # nothing but dimension settings and the folded constraints
        assert len(spec.required) == 1 and spec.required[0] in dims
        for dim in dims:
            assert set(props[dim]["enum"]) <= set(DIMENSION_VALUES[dim])
        assert props["region"]["default"] == "full_image"
        assert (props["strength"]["minimum"], props["strength"]["maximum"]) == (0.0, 1.0)
    assert set().union(*(complex_[n].affects for n in STYLING)) == set(DIMENSIONS)  # every dimension reachable


@pytest.mark.parametrize(("library", "tool"), ALL_CALLS)
def test_every_tool_is_a_well_formed_function_schema(library: str, tool: str) -> None:
    spec = get_tool_library(library)[tool]
    openai = spec.to_openai()
    assert openai == {
        "type": "function",
        "function": {"name": tool, "description": spec.description, "parameters": spec.parameters},
    }
    params = spec.parameters
    assert params["type"] == "object" and params["additionalProperties"] is False
    assert set(params["required"]) <= set(params["properties"])
    assert "description" in params["properties"] and "description" not in params["required"]

    def walk(schema: dict) -> None:
        assert set(schema) <= SCHEMA_KEYS, set(schema) - SCHEMA_KEYS
        assert schema["type"] in ("string", "number", "integer", "boolean", "array", "object")
        if "default" in schema and "enum" in schema:
            assert schema["default"] in schema["enum"]
        for sub in schema.get("properties", {}).values():
            walk(sub)
        if "items" in schema:
            walk(schema["items"])

    walk(params)
    for prop in params["properties"].values():
        assert prop["description"]


def test_openai_tools_are_copies() -> None:
    tools = regular.to_openai_tools()
    assert [t["function"]["name"] for t in tools] == list(regular.names)
    tools[0]["function"]["parameters"]["properties"]["target_location"]["enum"].append("moon")
    assert "moon" not in regular["location_setting"].parameters["properties"]["target_location"]["enum"]


def test_specs_reject_bad_definitions() -> None:
    params = {"type": "object", "properties": {}}
    with pytest.raises(ValueError, match="category must be one of"):
        ToolSpec("x", "d", params, category="magic")
    with pytest.raises(ValueError, match="unknown context dimension"):
        ToolSpec("x", "d", params, dimension="mood")
    with pytest.raises(ValueError, match="duplicate tool name 'x'"):
        ToolLibrary("lib", (ToolSpec("x", "d", params), ToolSpec("x", "e", params)))
    assert hash(simple["time_of_day"]) == hash(copy.copy(simple["time_of_day"]))


# -------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("library", "tool"), ALL_CALLS)
def test_example_calls_validate_unchanged(library: str, tool: str) -> None:
    lib = get_tool_library(library)
    for variant in range(6):
        for full in (True, False):
            arguments = example_arguments(lib, tool, variant, full=full)
            assert lib.validate_call(tool, arguments) == arguments
            assert set(lib[tool].required) <= set(arguments)


def test_normalisation() -> None:
    out = simple.validate_call(
        "color_grading",
        {
            "temperature_shift": "Warmer",
            "target_grading": "Warm Cinematic",
            "source_grading": "Natural  balanced",
            "saturation_change": 1,
            "description": "  Keep   me  ",
        },
    )
    assert out == {
        "target_grading": "warm_cinematic",
        "source_grading": "natural_balanced",
        "saturation_change": 1.0,
        "temperature_shift": "warmer",
        "description": "  Keep   me  ",
    }
    assert list(out) == ["target_grading", "source_grading", "saturation_change", "temperature_shift", "description"]
    assert isinstance(out["saturation_change"], float)
    dims = regular.validate_call("preserve_attribute", {"attributes_to_preserve": ["Time of Day", "color-grading"]})
    assert dims == {"attributes_to_preserve": ["time_of_day", "color_grading"]}
    nested = regular.validate_call(
        "graduated_effect",
        {
            "base_action": {"arguments": {"target_effects": "Fog Dense"}, "tool": "atmospheric_effects"},
            "gradient_direction": "bottom_to_top",
        },
    )
    assert nested["base_action"] == {"tool": "atmospheric_effects", "arguments": {"target_effects": "fog_dense"}}
    assert list(nested["base_action"]) == ["tool", "arguments"]
    source = simple.validate_call("time_of_day", {"target_time": "dusk_twilight", "source_time": "Harsh Noon Light"})
    assert source["source_time"] == "harsh_noon_light"  # source values may be outside the vocabulary


def test_unknown_tool() -> None:
    err = _error(simple, "make_it_pretty", {})
    assert (err.tool, err.parameter, err.allowed, err.step) == ("make_it_pretty", None, ATOMIC, None)
    assert str(err).startswith("tool 'make_it_pretty': unknown tool 'make_it_pretty' in library 'simple'. Allowed: ")
    assert "preserve_attribute" in regular.names and _error(simple, "preserve_attribute", {}).allowed == ATOMIC
    assert _error(simple, None, {}).tool == "None"  # type: ignore[arg-type]


def test_missing_unexpected_and_wrong_types() -> None:
    err = _error(simple, "time_of_day", {"sky_color": "deep_blue"})
    assert (err.parameter, err.allowed) == ("target_time", DIMENSION_VALUES["time_of_day"])
    assert str(err).startswith(
        "tool 'time_of_day', parameter 'target_time': missing required parameter 'target_time'."
    )
    err = _error(simple, "time_of_day", {"target_time": "dusk_twilight", "brightness": 3})
    assert err.parameter == "brightness"
    assert err.allowed == ("target_time", "source_time", "sky_color", "shadow_direction", "description")
    err = _error(simple, "time_of_day", ["dusk_twilight"])
    assert err.parameter is None and "arguments must be a JSON object, got list" in str(err)
    assert _error(simple, "weather_conditions", {"target_weather": 1}).reason == "expected a string, got int 1."
    err = _error(simple, "weather_conditions", {"target_weather": "fog_heavy", "visibility_change": "yes"})
    assert (err.parameter, err.reason) == ("visibility_change", "expected a boolean (true/false), got str 'yes'.")
    err = _error(simple, "color_grading", {"target_grading": "cool_blue", "saturation_change": True})
    assert err.reason == "expected a number, got bool True."
    err = _error(simple, "color_grading", {"target_grading": "cool_blue", "saturation_change": 1.5})
    assert err.reason == "value 1.5 is out of range [-1.0, 1.0]."
    err = _error(simple, "color_grading", {"target_grading": "cool_blue", "saturation_change": float("nan")})
    assert err.reason == "expected a finite number, got nan."
    err = _error(regular, "preserve_attribute", {"attributes_to_preserve": "season"})
    assert err.reason == "expected a list, got str 'season'." and err.allowed == DIMENSIONS


def test_enum_value_not_allowed() -> None:
    err = _error(simple, "time_of_day", {"target_time": "high noon"})
    assert (err.tool, err.parameter, err.allowed) == ("time_of_day", "target_time", DIMENSION_VALUES["time_of_day"])
    assert str(err) == (
        "tool 'time_of_day', parameter 'target_time': value 'high noon' is not allowed. Allowed: "
        + ", ".join(DIMENSION_VALUES["time_of_day"])
        + "."
    )
    err = _error(regular, "preserve_attribute", {"attributes_to_preserve": ["season", "mood"]})
    assert (err.parameter, err.allowed) == ("attributes_to_preserve[1]", DIMENSIONS)
    err = _error(regular, "preserve_attribute", {"attributes_to_preserve": []})
    assert err.reason == "expected at least 1 item(s), got 0."
    err = _error(regular, "preserve_attribute", {"attributes_to_preserve": ["season", "Season"]})
    assert (err.parameter, err.reason) == ("attributes_to_preserve[1]", "duplicate item 'season'.")


def test_bad_nested_actions() -> None:
    def blend(source: object) -> dict:
        target = {"tool": "architecture_style", "arguments": {"target_style": "victorian_gothic"}}
        return {"blend_criterion": "by_depth", "source_transform": source, "target_transform": target}

    err = _error(
        regular, "selective_blend", blend({"tool": "architecture_style", "arguments": {"target_style": "igloo"}})
    )
    assert err.tool == "selective_blend"
    assert err.parameter == "source_transform.arguments.target_style"
    assert err.allowed == DIMENSION_VALUES["architecture"]
    assert "nested action 'architecture_style': value 'igloo' is not allowed." in str(err)
    assert isinstance(err.__cause__, ToolValidationError) and err.__cause__.tool == "architecture_style"
    err = _error(regular, "selective_blend", blend({"tool": "exclude_region", "arguments": {"region_type": "center"}}))
    assert (err.parameter, err.allowed) == ("source_transform.tool", ATOMIC)
    err = _error(regular, "selective_blend", blend({"tool": "time_of_day"}))
    assert err.parameter == "source_transform.arguments" and "needs an arguments object, got NoneType" in err.reason
    err = _error(regular, "selective_blend", blend({"tool": "time_of_day", "arguments": {}, "why": 1}))
    assert (err.parameter, err.allowed) == ("source_transform.why", ("tool", "arguments"))
    err = _error(regular, "selective_blend", blend("time_of_day(target_time='dusk_twilight')"))
    assert err.parameter == "source_transform" and "expected a nested action" in err.reason
    one = {"tool": "season_cycle", "arguments": {"target_season": "winter_snow"}}
    err = _error(regular, "sequence_transform", {"sub_actions": [one]})
    assert (err.parameter, err.reason) == ("sub_actions", "expected at least 2 item(s), got 1.")
    err = _error(regular, "sequence_transform", {"sub_actions": [one] * 6})
    assert err.reason == "expected at most 5 item(s), got 6."
    layer = {"action": one, "opacity": 1.2}
    err = _error(regular, "layered_transformation", {"layers": [layer]})
    assert (err.parameter, err.reason) == ("layers[0].opacity", "value 1.2 is out of range [0.0, 1.0].")
    err = _error(regular, "layered_transformation", {"layers": [{"action": one}]})
    assert (err.parameter, err.reason) == ("layers[0].opacity", "missing required parameter 'opacity'.")


def test_cross_parameter_rules() -> None:
    then = {"tool": "time_of_day", "arguments": {"target_time": "sunset_golden"}}
    ok = regular.validate_call(
        "conditional_transform",
        {
            "condition_type": "if_attribute_equals",
            "condition_attribute": "time_of_day",
            "condition_value": "Midday Overhead",
            "then_action": then,
        },
    )
    assert ok["condition_value"] == "midday_overhead"
    err = _error(
        regular,
        "conditional_transform",
        {"condition_type": "if_attribute_equals", "condition_value": "midday_overhead", "then_action": then},
    )
    assert (err.parameter, err.allowed) == ("condition_attribute", DIMENSIONS)
    err = _error(
        regular,
        "conditional_transform",
        {"condition_type": "if_lighting_level", "condition_value": "noon", "then_action": then},
    )
    assert (err.parameter, err.allowed) == ("condition_value", ("dark", "dim", "moderate", "bright"))
    err = _error(
        regular,
        "conditional_transform",
        {
            "condition_type": "if_region_contains",
            "condition_value": "person",
            "condition_attribute": "season",
            "then_action": then,
        },
    )
    assert err.parameter == "condition_attribute"
    snow = {"tool": "weather_conditions", "arguments": {"target_weather": "light_snow"}}
    err = _error(regular, "parallel_transform", {"parallel_actions": [snow, then, snow]})
    assert err.parameter == "parallel_actions[2].tool" and "actions 0 and 2 both change 'weather'" in err.reason
    err = _error(complex_, "cinematic_look", {"color_grading": "teal_orange", "preserve": ["season", "color_grading"]})
    assert err.parameter == "preserve[1]" and "'color_grading' is both changed and preserved" in err.reason
    assert "color_grading" not in err.allowed and "season" in err.allowed  # type: ignore[operator]
    assert complex_.validate_call("cinematic_look", {"color_grading": "teal_orange", "preserve": ["season"]})
    err = _error(complex_, "golden_hour_glow", {"time_of_day": "night_moonlit"})
    assert err.allowed == ("sunset_golden", "morning_golden", "afternoon_warm", "dawn_first_light")  # themed subset


def test_affected_dimensions() -> None:
    assert simple.affected_dimensions("season_cycle", {"target_season": "winter_snow"}) == ("season",)
    call = {"color_grading": "teal_orange", "atmospheric_effects": "lens_flare", "preserve": ["season"]}
    assert complex_.affected_dimensions("cinematic_look", call) == ("color_grading", "atmospheric_effects")
    layers = example_arguments(regular, "layered_transformation", 1)
    assert regular.affected_dimensions("layered_transformation", layers) == ("architecture", "season")
    assert regular.affected_dimensions("preserve_attribute", {"attributes_to_preserve": ["season"]}) == ()


def test_error_attributes_and_pickling() -> None:
    err = ToolValidationError("bad.", tool="t", parameter="p", allowed=["a", "b"]).with_step(2)
    assert (err.tool, err.parameter, err.allowed, err.step) == ("t", "p", ("a", "b"), 2)
    assert str(err) == "step 2: tool 't', parameter 'p': bad. Allowed: a, b."
    assert isinstance(err.__cause__, ToolValidationError) and err.__cause__.step is None
    copy_ = pickle.loads(pickle.dumps(err))
    assert (str(copy_), copy_.allowed, copy_.step) == (str(err), ("a", "b"), 2)
    assert isinstance(err, ValueError)


# ----------------------------------------------------------------------------------------------------- listing


def test_describe_is_deterministic_and_complete() -> None:
    for lib in (simple, regular, complex_):
        text = lib.describe()
        assert text == get_tool_library(lib.name).describe()
        tool_lines = [line for line in text.split("\n") if line.startswith("- ")]
        assert [line[2:].split("(")[0] for line in tool_lines] == list(lib.names)
        assert len(lib.describe(verbose=True).split("\n")) == len(text.split("\n")) + sum(
            len(spec.parameters["properties"]) for spec in lib
        )
    text = simple.describe()
    assert text.split("\n")[0] == (
        'Tool library "simple" (10 tools). Call a tool as name(parameter=value, ...); '
        '"?" marks an optional parameter, "= x" its default.'
    )
    assert "  <time_of_day>: " + ", ".join(DIMENSION_VALUES["time_of_day"]) in text
    assert "<object_category>" not in text and "<object_category>" in complex_.describe()
    assert (
        "- weather_conditions(target_weather: <weather>, source_weather?: id, intensity?: light|moderate|heavy "
        "= moderate, visibility_change?: true|false = false, description?: text): Modifies the weather "
        "(e.g. clear -> rainy)."
    ) in text
    assert '- graduated_effect(base_action: {"tool": <atomic tool>, "arguments": {...}}, gradient_direction: ' in (
        regular.describe()
    )
    assert 'layers: list of {"action": ' in regular.describe()


def test_identifiers_are_the_names_and_enumerated_values() -> None:
    for variant in ("simple", "regular", "complex"):
        library = get_tool_library(variant)
        identifiers = library.identifiers()
        assert list(identifiers) == sorted(set(identifiers))
        assert all("_" in term for term in identifiers)
        assert {name for name in library.names if "_" in name} <= set(identifiers)
        # every context value a plan can name (source_* / target_*), nested actions included
        assert {v for values in DIMENSION_VALUES.values() for v in values if "_" in v} <= set(identifiers)
    regular = get_tool_library("regular").identifiers()
    assert {"target_location", "attributes_to_preserve", "golden_orange", "top_to_bottom"} <= set(regular)
    assert "none" not in regular and "location" not in regular
