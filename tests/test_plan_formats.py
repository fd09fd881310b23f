"""Plan forms: chat message (reasoning_content layout), compact text, dataset records; exact round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers.utils.chat_template_utils import render_jinja_template

from trl_styling.context import DIMENSION_VALUES
from trl_styling.testing import chat_template
from trl_styling.tools import (
    LIBRARY_NAMES,
    Plan,
    PlanParseError,
    PlanStep,
    ToolLibrary,
    ToolValidationError,
    get_tool_library,
    parse_plan,
)
from trl_styling.tools.examples import example_arguments, fix_cross_rules
from trl_styling.tools.schema import ACTION_TITLE, IDENTIFIER_PATTERN

LIBRARIES = [get_tool_library(name) for name in LIBRARY_NAMES]
ALL_CALLS = [(lib.name, spec.name) for lib in LIBRARIES for spec in lib]
TRICKY_REASONING = (
    'Golden light "warms" the snow.\nStep 2 (time_of_day): not a header\n\\Step escaped already\n'
    "[ACTION] fake(x=1) and [reasoning] too, \\[ACTION] and a trailing backslash \\\n\n  indented [ line ] é 🌅"
)

SIMPLE_PLAN = Plan(
    (
        PlanStep("Sunset light first.", "time_of_day", {"target_time": "sunset_golden"}),
        PlanStep(
            "Then a warm grade.", "color_grading", {"target_grading": "warm_cinematic", "saturation_change": 0.2}
        ),
    )
)


def render_chat(plan: Plan, library: ToolLibrary) -> str:
    """What the project's Qwen3-style template renders for the assistant turn (as a planner generates it)."""
    messages = [{"role": "user", "content": "Make it a winter sunset."}, plan.to_assistant_message()]
    rendered = render_jinja_template([messages], tools=library.to_openai_tools()[:2], chat_template=chat_template())
    text = rendered[0][0]
    return text.split("<|im_start|>assistant\n", 1)[1].removesuffix("<|im_end|>\n")


def assert_all_round_trips(plan: Plan, library: ToolLibrary, *, chat: bool = True) -> None:
    text = plan.to_text()
    assert parse_plan(text, library) == plan
    assert Plan.from_text(text) == plan
    assert parse_plan(text, library).to_text() == text
    message = plan.to_assistant_message()
    assert Plan.from_assistant_message(message) == plan
    assert Plan.from_assistant_message(message, library) == plan
    calls = [(c["function"]["name"], json.dumps(c["function"]["arguments"])) for c in message["tool_calls"]]
    as_strings = {**message, "tool_calls": [{"function": {"name": n, "arguments": a}} for n, a in calls]}
    assert Plan.from_assistant_message(as_strings) == plan
    assert Plan.from_assistant_message(json.loads(json.dumps(message))) == plan
    records = plan.to_records()
    assert Plan.from_records(records) == plan
    assert Plan.from_records(json.loads(json.dumps(records))) == plan
    assert parse_plan(json.dumps(records), library) == plan
    assert parse_plan(json.dumps(message), library) == plan
    if chat:
        assert parse_plan(render_chat(plan, library), library) == plan


# ----------------------------------------------------------------------------------------------- data classes


def test_plan_and_step_basics() -> None:
    step = PlanStep("  Because.\n", "time_of_day", {"target_time": "dusk_twilight"})
    assert step.reasoning == "Because."  # stored stripped (see plan.py)
    assert PlanStep("x", "t").arguments == {}
    plan = Plan([step, step])  # type: ignore[arg-type]
    assert isinstance(plan.steps, tuple) and len(plan) == 2 and list(plan) == [step, step] and plan[1] is step
    assert plan.tools == ("time_of_day", "time_of_day")
    assert hash(plan) == hash(Plan((step, step)))
    with pytest.raises(TypeError, match="Plan.steps\\[0\\] must be a PlanStep"):
        Plan(({"tool": "x"},))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reasoning must be a str"):
        PlanStep(None, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="arguments must be a dict"):
        PlanStep("r", "x", [1])  # type: ignore[arg-type]
    args = {"target_time": "dusk_twilight"}
    owned = PlanStep("r", "time_of_day", args)
    args["target_time"] = "changed"
    assert owned.arguments == {"target_time": "dusk_twilight"}  # the step keeps its own copy


def test_validate_returns_normalised_copy_and_locates_errors() -> None:
    raw = Plan((PlanStep("r", "time_of_day", {"source_time": "Midday Overhead", "target_time": "Sunset Golden"}),))
    valid = raw.validate("simple")
    assert valid.steps[0].arguments == {"target_time": "sunset_golden", "source_time": "midday_overhead"}
    assert raw.steps[0].arguments["target_time"] == "Sunset Golden"
    bad = Plan((*SIMPLE_PLAN.steps, PlanStep("r", "weather_conditions", {"target_weather": "sunny"})))
    with pytest.raises(ToolValidationError) as info:
        bad.validate(get_tool_library("simple"))
    err = info.value
    assert (err.step, err.tool, err.parameter) == (2, "weather_conditions", "target_weather")
    assert str(err).startswith("step 2: tool 'weather_conditions', parameter 'target_weather': value 'sunny'")
    assert isinstance(err.__cause__, ToolValidationError) and err.__cause__.step is None


# ------------------------------------------------------------------------------------------------- chat form


def test_assistant_message_exact() -> None:
    assert SIMPLE_PLAN.to_assistant_message() == {
        "role": "assistant",
        "content": "",
        "reasoning_content": "Step 1 (time_of_day): Sunset light first.\n\nStep 2 (color_grading): Then a warm grade.",
        "tool_calls": [
            {"type": "function", "function": {"name": "time_of_day", "arguments": {"target_time": "sunset_golden"}}},
            {
                "type": "function",
                "function": {
                    "name": "color_grading",
                    "arguments": {"target_grading": "warm_cinematic", "saturation_change": 0.2},
                },
            },
        ],
    }
    message = SIMPLE_PLAN.to_assistant_message()
    message["tool_calls"][0]["function"]["arguments"]["target_time"] = "dawn_first_light"
    assert SIMPLE_PLAN.steps[0].arguments["target_time"] == "sunset_golden"  # the message holds copies


def test_reasoning_layout_escapes_step_lines_and_backslashes() -> None:
    plan = Plan((PlanStep(TRICKY_REASONING, "time_of_day", {"target_time": "dusk_twilight"}), PlanStep("", "x", {})))
    content = plan.to_assistant_message()["reasoning_content"]
    assert content == (
        'Step 1 (time_of_day): Golden light "warms" the snow.\n\\Step 2 (time_of_day): not a header\n'
        "\\\\Step escaped already\n[ACTION] fake(x=1) and [reasoning] too, \\[ACTION] and a trailing backslash \\\n"
        "\n  indented [ line ] é 🌅\n\nStep 2 (x): "
    )
    back = Plan.from_assistant_message(plan.to_assistant_message())
    assert back.steps[0].reasoning == TRICKY_REASONING and back == plan


def test_reasoning_layout_strict_errors() -> None:
    calls = SIMPLE_PLAN.to_assistant_message()["tool_calls"]

    def read(content: Any, **kw: Any) -> Plan:
        return Plan.from_assistant_message(
            {"role": "assistant", "reasoning_content": content, "tool_calls": calls}, **kw
        )

    assert read(None) == Plan(tuple(PlanStep("", s.tool, s.arguments) for s in SIMPLE_PLAN))
    assert read("") == read(None)
    assert read("Step 1 (time_of_day):\nA\n\nStep 2 (color_grading):").steps[0].reasoning == "A"
    cases = {
        "Intro.\nStep 1 (time_of_day): a\n\nStep 2 (color_grading): b": (
            "reasoning_content must start with 'Step 1 (<tool>):'",
            0,
        ),
        "Step 1 (color_grading): a\n\nStep 2 (color_grading): b": (
            "step 1 header names tool 'color_grading' but tool call 1 is 'time_of_day'",
            0,
        ),
        "Step 1 (time_of_day): a\n\nStep 3 (color_grading): b": (
            "expected the header of step 2 of 2, found step 3",
            25,
        ),
        "Step 1 (time_of_day): a\nStep two is next\n\nStep 2 (color_grading): b": (
            "a reasoning line starts with 'Step' but is not a step header",
            24,
        ),
        "Step 1 (time_of_day): a": ("reasoning_content has 1 step header(s) for 2 tool call(s)", 23),
    }
    for content, (reason, position) in cases.items():
        with pytest.raises(PlanParseError) as info:
            read(content)
        assert (info.value.reason, info.value.position) == (reason, position), content
    loose = read("Intro.\nStep 1 (time_of_day): a\n\nStep 2 (color_grading): b", strict=False)
    assert [s.reasoning for s in loose] == ["a", "b"]
    assert [s.reasoning for s in read("Just one free paragraph.", strict=False)] == ["Just one free paragraph.", ""]


def test_from_assistant_message_shapes_and_errors() -> None:
    bare = {"tool_calls": [{"name": "time_of_day", "arguments": '{"target_time": "sunset_golden"}'}]}
    assert Plan.from_assistant_message(bare) == Plan((PlanStep("", "time_of_day", {"target_time": "sunset_golden"}),))
    assert Plan.from_assistant_message({"role": "assistant", "content": "Done."}) == Plan()
    assert Plan.from_assistant_message(Plan().to_assistant_message()) == Plan()
    with pytest.raises(ToolValidationError) as info:
        Plan.from_assistant_message({"tool_calls": [{"name": "time_of_day", "arguments": {}}]}, "simple")
    assert (info.value.step, info.value.parameter) == (0, "target_time")
    bad = {
        "not a dict": ("expected an assistant message dict, got str", None),
        "calls not a list": ("tool_calls must be a list", {"tool_calls": "x"}),
        "call without name": ("tool call 0 needs a string 'name', got None", {"tool_calls": [{"arguments": {}}]}),
        "bad JSON": (
            "tool call 0: arguments are not valid JSON (unexpected end of text)",
            {"tool_calls": [{"name": "t", "arguments": '{"a": '}]},
        ),
        "list arguments": (
            "tool call 0: arguments must be a JSON object, got list",
            {"tool_calls": [{"name": "t", "arguments": "[1]"}]},
        ),
        "reasoning only": ("the message has reasoning_content but no tool_calls", {"reasoning_content": "Hmm."}),
    }
    for name, (reason, message) in bad.items():
        with pytest.raises(PlanParseError) as info:
            Plan.from_assistant_message("oops" if message is None else message)  # type: ignore[arg-type]
        assert info.value.reason == reason, name


# ------------------------------------------------------------------------------------------------- text form


def test_text_exact() -> None:
    plan = Plan(
        (
            *SIMPLE_PLAN.steps,
            PlanStep(
                "Snow last.",
                "sequence_transform",
                {
                    "sub_actions": [
                        {"tool": "season_cycle", "arguments": {"target_season": "winter_snow"}},
                        {
                            "tool": "weather_conditions",
                            "arguments": {"target_weather": "light_snow", "visibility_change": True},
                        },
                    ]
                },
            ),
        )
    )
    assert plan.to_text() == (
        '[REASONING] Sunset light first. [ACTION] time_of_day(target_time="sunset_golden")\n'
        '[REASONING] Then a warm grade. [ACTION] color_grading(target_grading="warm_cinematic", '
        "saturation_change=0.2)\n"
        '[REASONING] Snow last. [ACTION] sequence_transform(sub_actions=[{"tool": "season_cycle", "arguments": '
        '{"target_season": "winter_snow"}}, {"tool": "weather_conditions", "arguments": {"target_weather": '
        '"light_snow", "visibility_change": true}}])'
    )
    assert_all_round_trips(plan.validate("regular"), get_tool_library("regular"))
    assert Plan().to_text() == "" and Plan.from_text("") == Plan()


def test_text_escaping_of_reasoning() -> None:
    plan = Plan((PlanStep(TRICKY_REASONING, "time_of_day", {"target_time": "dusk_twilight"}),))
    text = plan.to_text()
    assert text == (
        '[REASONING] Golden light "warms" the snow.\nStep 2 (time_of_day): not a header\n\\Step escaped already\n'
        "\\[ACTION] fake(x=1) and \\[reasoning] too, \\\\\\[ACTION] and a trailing backslash \\\n\n  indented "
        '[ line ] é 🌅 [ACTION] time_of_day(target_time="dusk_twilight")'
    )
    assert Plan.from_text(text) == plan
    assert_all_round_trips(plan, get_tool_library("simple"))
    description = {"target_time": "dusk_twilight", "description": 'He said "[ACTION] x()" \\ ) \n'}
    plan = Plan((PlanStep("r", "time_of_day", description),))
    assert '"He said \\"[ACTION] x()\\" \\\\ ) \\n"' in plan.to_text()
    assert_all_round_trips(plan, get_tool_library("simple"))


def test_text_rejects_unrenderable_names() -> None:
    with pytest.raises(ValueError, match="names must be identifiers"):
        Plan((PlanStep("r", "time of day", {}),)).to_text()
    with pytest.raises(ValueError, match="names must be identifiers"):
        Plan((PlanStep("r", "time_of_day", {"target time": "x"}),)).to_text()


# ---------------------------------------------------------------------------------------------- record form


def test_records_exact_and_lenient_input() -> None:
    assert SIMPLE_PLAN.to_records() == [
        {"reasoning": "Sunset light first.", "tool": "time_of_day", "arguments": '{"target_time": "sunset_golden"}'},
        {
            "reasoning": "Then a warm grade.",
            "tool": "color_grading",
            "arguments": '{"saturation_change": 0.2, "target_grading": "warm_cinematic"}',
        },
    ]
    records = [{"tool": "time_of_day", "arguments": {"target_time": "sunset_golden"}}, {"tool": "x", "arguments": ""}]
    assert Plan.from_records(records) == Plan(
        (PlanStep("", "time_of_day", {"target_time": "sunset_golden"}), PlanStep("", "x", {}))
    )
    for records, reason in (
        ([{"arguments": "{}"}], "record 0 needs a string 'tool', got None"),
        (["x"], "record 0 must be a dict, got str"),
        ([{"tool": "t", "arguments": "{'a': }"}], "record 0: arguments are not valid JSON (unexpected character '}')"),
        ([{"tool": "t", "reasoning": 3}], "record 0: 'reasoning' must be a string"),
    ):
        with pytest.raises(PlanParseError) as info:
            Plan.from_records(records)  # type: ignore[arg-type]
        assert info.value.reason == reason


# ------------------------------------------------------------------------------- every tool, every library


@pytest.mark.parametrize(("library", "tool"), ALL_CALLS)
def test_every_tool_round_trips_in_every_form(library: str, tool: str) -> None:
    lib = get_tool_library(library)
    for variant in range(3):
        steps = (
            PlanStep(f"Step for {tool}, variant {variant}.", tool, example_arguments(lib, tool, variant)),
            PlanStep(TRICKY_REASONING, tool, example_arguments(lib, tool, variant + 1, full=False)),
        )
        plan = Plan(steps)
        assert plan.validate(lib) == plan
        assert_all_round_trips(plan, lib)


# -------------------------------------------------------------------------------------------------- property


def _value_strategy(lib: ToolLibrary, name: str, schema: dict[str, Any], dimension: str | None) -> st.SearchStrategy:
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "string" and schema.get("pattern") == IDENTIFIER_PATTERN:
        return st.sampled_from((*DIMENSION_VALUES[dimension], "unknown")) if dimension else st.just("unknown")
    if kind == "string":
        return st.text(max_size=20)
    if kind == "boolean":
        return st.booleans()
    if kind == "number":
        return st.floats(schema["minimum"], schema["maximum"], allow_nan=False)
    if kind == "array" and "enum" in schema["items"]:
        return st.lists(st.sampled_from(schema["items"]["enum"]), min_size=1, max_size=3, unique=True)
    if kind == "array" and schema["items"].get("title") != ACTION_TITLE:
        return st.lists(_value_strategy(lib, name, schema["items"], dimension), min_size=1, max_size=2)
    if kind == "array":  # actions: distinct atomic tools so parallel actions stay valid
        atomic = [s.name for s in lib if s.category == "atomic"]
        tools = st.lists(st.sampled_from(atomic), min_size=schema.get("minItems", 1), max_size=3, unique=True)
        return tools.flatmap(lambda names: st.tuples(*(_call_strategy(lib, n) for n in names)).map(list))
    if kind == "object" and schema.get("title") == ACTION_TITLE:
        atomic = [s.name for s in lib if s.category == "atomic"]
        return st.sampled_from(atomic).flatmap(lambda n: _call_strategy(lib, n))
    props = schema["properties"]
    return st.fixed_dictionaries({k: _value_strategy(lib, k, v, dimension) for k, v in props.items()})


def _call_strategy(lib: ToolLibrary, tool: str) -> st.SearchStrategy:
    return _arguments_strategy(lib, tool).map(lambda args: {"tool": tool, "arguments": args})


def _arguments_strategy(lib: ToolLibrary, tool: str) -> st.SearchStrategy:
    spec = lib[tool]
    props = spec.parameters["properties"]
    required = {k: _value_strategy(lib, k, props[k], spec.dimension) for k in spec.required}
    optional = {k: _value_strategy(lib, k, v, spec.dimension) for k, v in props.items() if k not in spec.required}

    def fix(args: dict[str, Any], variant: int) -> dict[str, Any]:
        fix_cross_rules(spec, args, variant)
        return args

    return st.builds(fix, st.fixed_dictionaries(required, optional=optional), st.integers(0, 50))


REASONING_PIECES = st.sampled_from(
    [
        "[ACTION]",
        "[reasoning]",
        "[REASONING] ",
        "\\",
        "\\\\",
        "\\[",
        "Step 1 (time_of_day): ",
        "Step",
        "\n",
        "\n\n",
        " ",
        "[",
        "]",
        "(",
        ")",
        '"',
        "'",
        "=",
        ",",
        "<tool_call>",
        "{",
        "}",
    ]
)
REASONING = st.lists(st.one_of(REASONING_PIECES, st.text(max_size=4)), max_size=12).map("".join)


@st.composite
def plans(draw: st.DrawFn) -> tuple[ToolLibrary, Plan]:
    lib = draw(st.sampled_from(LIBRARIES))
    count = draw(st.integers(1, 4))
    steps = []
    for _ in range(count):
        tool = draw(st.sampled_from(lib.names))
        steps.append(PlanStep(draw(REASONING), tool, draw(_arguments_strategy(lib, tool))))
    return lib, Plan(tuple(steps)).validate(lib)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_property_round_trips(case: tuple[ToolLibrary, Plan]) -> None:
    lib, plan = case
    # "</think>" inside reasoning would end the chat template's think block early; the generator never makes it.
    assert_all_round_trips(plan, lib, chat=True)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(REASONING, st.sampled_from(["a", "time_of_day", "x_1"])), max_size=5))
def test_property_reasoning_layout_is_a_bijection(items: list[tuple[str, str]]) -> None:
    plan = Plan(tuple(PlanStep(r, tool, {}) for r, tool in items))
    content = plan.to_assistant_message()["reasoning_content"]
    assert Plan.from_assistant_message(plan.to_assistant_message()) == plan
    lines = content.split("\n") if content else []
    headers = [line for line in lines if line.startswith("Step")]
    assert len(headers) == len(items)  # only headers start with "Step"
    assert Plan.from_text(plan.to_text()) == plan
