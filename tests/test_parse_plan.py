"""parse_plan: tolerant reading of planner output; only Plan or PlanParseError ever comes out."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers.utils.chat_template_utils import render_jinja_template

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
from trl_styling.tools.examples import example_arguments

SIMPLE, REGULAR, COMPLEX = (get_tool_library(name) for name in LIBRARY_NAMES)

PLAN = Plan(
    (
        PlanStep("Sunset light first.", "time_of_day", {"target_time": "sunset_golden"}),
        PlanStep(
            "Snow, then fog at the bottom.",
            "sequence_transform",
            {
                "sub_actions": [
                    {"tool": "season_cycle", "arguments": {"target_season": "winter_snow"}},
                    {"tool": "atmospheric_effects", "arguments": {"target_effects": "fog_dense"}},
                ],
            },
        ),
        PlanStep(
            'Warm "cinematic" grade.', "color_grading", {"target_grading": "warm_cinematic", "saturation_change": 0.25}
        ),
    )
).validate(REGULAR)


def render_chat(plan: Plan) -> str:
    messages = [{"role": "user", "content": "Winter sunset."}, plan.to_assistant_message()]
    text = render_jinja_template([messages], chat_template=chat_template())[0][0]
    return text.split("<|im_start|>assistant\n", 1)[1].removesuffix("<|im_end|>\n")


FORMS = {
    "text": PLAN.to_text(),
    "chat": render_chat(PLAN),
    "records": json.dumps(PLAN.to_records()),
    "message": json.dumps(PLAN.to_assistant_message(), indent=2),
}


def parse_error(text: object, library: ToolLibrary | str = REGULAR) -> PlanParseError:
    with pytest.raises(PlanParseError) as info:
        parse_plan(text, library)  # type: ignore[arg-type]
    return info.value


# ------------------------------------------------------------------------------------------- explicit cases


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_parses(form: str) -> None:
    assert parse_plan(FORMS[form], REGULAR) == PLAN
    assert parse_plan(FORMS[form], "regular") == PLAN
    wrapped = f"Here is my plan for you:\n```\n{FORMS[form]}\n```\nHope this helps! (1) [x] {{ok}}"
    assert parse_plan(wrapped, REGULAR) == PLAN


def test_prose_between_steps_fences_and_decoration() -> None:
    text = (
        "Let me think. The image is at noon {roughly}.\n\n"
        "1. **[Reasoning]:** Sunset light first.\n"
        "   **[ACTION]:** `time_of_day(target_time='Sunset Golden')`\n"
        "Next I will handle the grade.\n"
        "2. [reasoning] Warm grade. [action] color_grading(target_grading: warm_cinematic, saturation_change=.5,"
        ' temperature_shift="warmer",)  <- done\n'
        "That's all!"
    )
    plan = parse_plan(text, SIMPLE)
    assert plan == Plan(
        (
            PlanStep("** Sunset light first.\n   **", "time_of_day", {"target_time": "sunset_golden"}),
            PlanStep(
                "Warm grade.",
                "color_grading",
                {"target_grading": "warm_cinematic", "saturation_change": 0.5, "temperature_shift": "warmer"},
            ),
        )
    )


def test_python_literals_single_quotes_positional_and_json_call() -> None:
    text = (
        "[REASONING] r1 [ACTION] weather_conditions('light_snow', visibility_change=True, intensity=\"Light\")\n"
        "[REASONING] r2 [ACTION] location_setting(beach_coast, preserve_foreground=False)\n"
        '[ACTION] {"tool": "mood_lighting", "arguments": {"target_mood": "warm_cozy"}}'
    )
    plan = parse_plan(text, SIMPLE)
    assert plan == Plan(
        (
            PlanStep(
                "r1",
                "weather_conditions",
                {"target_weather": "light_snow", "intensity": "light", "visibility_change": True},
            ),
            PlanStep("r2", "location_setting", {"target_location": "beach_coast", "preserve_foreground": False}),
            PlanStep("", "mood_lighting", {"target_mood": "warm_cozy"}),
        )
    )
    err = parse_error("[ACTION] weather_conditions(target_weather=None)", SIMPLE)
    assert err.reason.endswith(
        "expected a string, got NoneType None. Allowed: "
        + ", ".join(SIMPLE["weather_conditions"].parameters["properties"]["target_weather"]["enum"])
        + "."
    )


def test_escaped_markers_in_reasoning() -> None:
    text = "[REASONING] Avoid \\[ACTION] here and keep \\\\ one. [ACTION] time_of_day(target_time=dusk_twilight)"
    assert parse_plan(text, SIMPLE).steps[0].reasoning == "Avoid [ACTION] here and keep \\ one."
    unknown_escape = "[REASONING] a \\n b [ACTION] time_of_day(target_time=dusk_twilight)"
    assert parse_plan(unknown_escape, SIMPLE).steps[0].reasoning == "a \\n b"


def test_truncation_drops_only_a_cut_off_last_step() -> None:
    text = FORMS["text"]
    cut = text[: text.index("warm_cinematic") + 5]
    assert parse_plan(cut, REGULAR) == Plan(PLAN.steps[:2])
    assert parse_plan(text[: text.rindex("[REASONING]") + 15], REGULAR) == Plan(PLAN.steps[:2])
    first = text.index("[ACTION]")
    err = parse_error(text[: first + 20])
    assert (err.reason, err.position) == ("the plan's only step is cut off (truncated output)", 0)
    chat = FORMS["chat"]
    assert parse_plan(chat[: chat.rindex("<tool_call>") + 30], REGULAR) == Plan(PLAN.steps[:2])
    records = FORMS["records"]
    assert parse_plan(records[: records.rindex("{") + 10], REGULAR) == Plan(PLAN.steps[:2])
    err = parse_error(FORMS["message"][:-40])
    assert (err.reason, err.position) == ("no plan found; the JSON here is cut off (truncated output)", 1079)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_prefix_gives_a_prefix_plan_or_an_error(form: str) -> None:
    text = FORMS[form]
    seen = set()
    for end in range(len(text) + 1):
        try:
            plan = parse_plan(text[:end], REGULAR)
        except PlanParseError as e:
            assert 0 <= e.position <= end
            continue
        assert plan.steps == PLAN.steps[: len(plan)], end  # a cut never changes or invents a step
        seen.add(len(plan))
    assert len(PLAN) in seen
    if form != "message":  # a cut-off message object is not salvaged (its calls come after the reasoning)
        assert seen == {1, 2, 3}


def test_malformed_step_is_an_error_not_skipped() -> None:
    text = "[REASONING] a [ACTION] time_of_day(target_time=) [REASONING] b [ACTION] color_grading(target_grading=x)"
    err = parse_error(text, SIMPLE)
    assert (err.reason, err.position) == ("malformed action: unexpected character ')'", 47)
    cases = {
        "[ACTION] time_of_day target_time=dusk_twilight": (
            "malformed action: expected '(' after tool name 'time_of_day'",
            21,
        ),
        "[ACTION] 42(x=1)": ("malformed action: expected a tool name after [ACTION]", 9),
        "[ACTION] time_of_day(target_time=dusk_twilight sky_color=deep_blue)": (
            "malformed action: expected ',' or ')' in the argument list",
            47,
        ),
        "[ACTION] time_of_day(target_time=dusk_twilight, target_time=dawn_first_light)": (
            "malformed action: parameter 'target_time' given twice",
            48,
        ),
        "[ACTION] time_of_day(target_time=dusk_twilight, deep_blue)": (
            "malformed action: a positional value after a named parameter",
            48,
        ),
        "[ACTION] time_of_day(target_time={'a': 1, 'a': 2})": ("malformed action: duplicate key 'a'", 48),
        "[ACTION] time_of_day(target_time=1e999)": ("malformed action: number '1e999' is out of range", 33),
        "[ACTION] time_of_day(target_time=" + "1" * 70 + ")": (
            "malformed action: number longer than 64 characters",
            33,
        ),
        "[ACTION] time_of_day(target_time=12abc)": ("malformed action: invalid number '12a'", 33),
        '[ACTION] time_of_day(target_time="\\uZZZZ")': ("malformed action: invalid \\u escape", 34),
    }
    for text, (reason, position) in cases.items():
        err = parse_error(text, SIMPLE)
        assert (err.reason, err.position) == (reason, position), text


def test_positional_values_map_to_required_parameters() -> None:
    plan = parse_plan("[ACTION] cinematic_look(teal_orange, region='background')", COMPLEX)
    assert plan.steps[0].arguments == {"color_grading": "teal_orange", "region": "background"}
    err = parse_error("[REASONING] r [ACTION] time_of_day(dusk_twilight, deep_blue)", SIMPLE)
    assert err.reason == (
        "tool 'time_of_day' takes at most 1 positional value(s) (its required parameters "
        "['target_time']); name the other parameters"
    )
    assert err.position == 0
    err = parse_error("[ACTION] time_of_day(dusk_twilight, target_time=dawn_first_light)", SIMPLE)
    assert (err.reason, err.position) == ("parameter 'target_time' given both by position and by name", 0)
    err = parse_error("[ACTION] make_it_nice(dusk_twilight)", SIMPLE)
    assert isinstance(err.__cause__, ToolValidationError) and err.__cause__.allowed == SIMPLE.names
    assert Plan.from_text("[ACTION] time_of_day(target_time=dusk_twilight)").steps[0].tool == "time_of_day"
    with pytest.raises(PlanParseError, match="positional values need a tool library"):
        Plan.from_text("[ACTION] time_of_day(dusk_twilight)")


def test_validation_errors_are_wrapped_with_the_step_position() -> None:
    text = (
        "[REASONING] fine [ACTION] time_of_day(target_time=dusk_twilight)\n"
        "[REASONING] bad [ACTION] weather_conditions(target_weather=sunny)"
    )
    err = parse_error(text, SIMPLE)
    assert err.position == text.index("[REASONING] bad")
    cause = err.__cause__
    assert isinstance(cause, ToolValidationError)
    assert (cause.step, cause.tool, cause.parameter) == (1, "weather_conditions", "target_weather")
    assert err.reason == f"invalid plan: {cause}"
    chat = render_chat(Plan((PLAN.steps[0], PlanStep("x", "preserve_attribute", {"attributes_to_preserve": ["x"]}))))
    err = parse_error(chat, REGULAR)
    assert err.position == chat.rindex("<tool_call>") and err.__cause__.step == 1  # type: ignore[union-attr]
    records = json.dumps([{"tool": "time_of_day", "arguments": {}}])
    err = parse_error(records, SIMPLE)
    assert err.position == 1 and err.__cause__.parameter == "target_time"  # type: ignore[union-attr]
    err = parse_error("[ACTION] preserve_attribute(attributes_to_preserve=['season'])", SIMPLE)
    assert err.__cause__.allowed == SIMPLE.names  # type: ignore[union-attr]  # a Regular tool in Simple


def test_json_shapes() -> None:
    one = {"name": "time_of_day", "arguments": {"target_time": "dusk_twilight"}}
    expected = Plan((PlanStep("", "time_of_day", {"target_time": "dusk_twilight"}),))
    for shape in (
        one,
        [one],
        [{"type": "function", "function": {"name": "time_of_day", "arguments": '{"target_time": "dusk_twilight"}'}}],
        {"plan": [{"tool": "time_of_day", "arguments": {"target_time": "dusk_twilight"}}]},
        {"steps": [{"tool": "time_of_day", "arguments": "{'target_time': 'dusk_twilight'}", "reasoning": ""}]},
        {"response": {"tool_calls": [one]}},
    ):
        assert parse_plan("Answer: " + json.dumps(shape) + " -- end", SIMPLE) == expected, shape
    message = {"tool_calls": [one], "reasoning_content": "Free-form thoughts."}
    assert parse_plan(json.dumps(message), SIMPLE).steps[0].reasoning == "Free-form thoughts."
    err = parse_error(json.dumps({"tool_calls": [{"arguments": {}}]}), SIMPLE)
    assert (err.reason, err.position) == ("tool call 0 needs a string 'name', got None", 16)
    err = parse_error(json.dumps({"tool_calls": []}), SIMPLE)
    assert err.reason == "the plan has no complete step"
    err = parse_error('{"answer": [1, 2, {"x": "y"}]}', SIMPLE)
    assert err.reason.startswith("no plan found: expected")


def test_chat_form_details() -> None:
    call = '<tool_call>\n{"name": "time_of_day", "arguments": {"target_time": "dusk_twilight"}}\n</tool_call>'
    assert parse_plan(f"<think>\nI like dusk.\n</think>\n\n{call}", SIMPLE).steps[0].reasoning == "I like dusk."
    assert parse_plan(f"I like dusk.\n</think>\n\n{call}", SIMPLE).steps[0].reasoning == "I like dusk."
    assert parse_plan(call, SIMPLE).steps[0].reasoning == ""
    assert parse_plan(f"<think>[ACTION] is a word here {{x}}</think>{call}", SIMPLE).steps[0].tool == "time_of_day"
    err = parse_error('<tool_call>\n{"name": "time_of_day", "arguments": {"target_time": }}\n</tool_call>', SIMPLE)
    assert (err.reason, err.position) == ("malformed tool call: unexpected character '}'", 65)
    err = parse_error("<tool_call>[1, 2]</tool_call>", SIMPLE)
    assert (err.reason, err.position) == ("tool call 0 must be a dict, got list", 0)
    err = parse_error("<think>\nStep 1 (time_of_day): thinking and then the output stopped", SIMPLE)
    assert err.reason.startswith("no plan found")


def test_inputs_that_are_not_plans() -> None:
    for text in ("", "   \n", "I cannot help with that.", "```\n```", "See [x] and {y} for details."):
        err = parse_error(text, SIMPLE)
        assert err.reason.startswith("no plan found: expected '[REASONING] ... [ACTION] tool(...)' steps") and not (
            err.position
        )
    err = parse_error("```json\n[x, 1]\n```", SIMPLE)  # an answer that starts as JSON gets the JSON error
    assert (err.reason, err.position) == (
        "no plan found; the JSON here is malformed: unexpected word 'x'; strings must be quoted",
        9,
    )
    assert (
        parse_error("[REASONING] only thoughts", SIMPLE).reason == "the plan's only step is cut off (truncated output)"
    )
    assert parse_error(b"[ACTION] x()", SIMPLE).reason == "expected model output as a str, got bytes"
    with pytest.raises(ValueError, match="Unknown tool library 'hard'") as info:
        parse_plan("[ACTION] x()", "hard")
    assert not isinstance(info.value, PlanParseError)


def test_deep_nesting_and_huge_inputs_are_guarded() -> None:
    deep = "[ACTION] time_of_day(target_time=" + "[" * 100_000
    err = parse_error(deep, SIMPLE)
    assert err.reason == "malformed action: values nested deeper than 32 levels"
    assert parse_error("[" * 100_000, SIMPLE).reason.startswith(
        "no plan found; the JSON here is malformed: values nested"
    )
    err = parse_error("{'a': " * 50_000 + "1" + "}" * 50_000, SIMPLE)
    assert (err.reason, err.position) == (
        "no plan found; the JSON here is malformed: values nested deeper than 32 levels",
        32 * 6,
    )  # the 33rd "{" would open level 33
    err = parse_error("{" * 50_000, SIMPLE)
    assert (err.reason, err.position) == ("no plan found; the JSON here is malformed: expected an object key", 1)
    long = "[REASONING] " + "why " * 50_000 + "[ACTION] time_of_day(target_time=dusk_twilight)"
    assert len(parse_plan(long, SIMPLE).steps[0].reasoning) == 4 * 50_000 - 1
    braces = "{a} " * 5_000 + "[ACTION] time_of_day(target_time=dusk_twilight)"
    assert parse_plan(braces, SIMPLE).tools == ("time_of_day",)


# -------------------------------------------------------------------------------------------------- fuzzing

PIECES = [
    "[REASONING]",
    "[ACTION]",
    "[reasoning] ",
    "[action]:",
    "time_of_day",
    "color_grading(",
    "layered_transformation(",
    "target_time=",
    "target_grading",
    "=",
    ":",
    "'",
    '"',
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\\",
    "\\\\",
    "\n",
    " ",
    "sunset_golden",
    "True",
    "None",
    "null",
    "tru",
    "1e999",
    "-",
    ".5",
    "0x1f",
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    '{"name": "time_of_day", "arguments": ',
    '"arguments": {',
    '"tool_calls": [',
    "```json",
    "```",
    "Step 1 (time_of_day): ",
    "\\u12",
    "\\ud83c\\udf05",
    "🌅",
    "\x00",
    "\r\n",
]
SOUP = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=40).map("".join)
SEEDS = [*FORMS.values(), PLAN.to_text().replace('"', "'"), "[ACTION] " * 3]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 30)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate", "swap"]))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "replace":
            text = text[:i] + piece + text[j:]
        elif op == "truncate":
            text = text[:i]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


NESTING = st.builds(
    lambda opener, n, tail: "[ACTION] time_of_day(target_time=" * (n % 2) + opener * n + tail,
    st.sampled_from(["[", "{", "{'a':", "[[{", "(", '{"tool_calls": [']),
    st.integers(0, 3000),
    st.sampled_from(["", "]", "}", ")", "1"]),
)
GARBAGE = st.one_of(st.text(max_size=200), SOUP, mutated(), NESTING)


def check_outcome(text: str, library: ToolLibrary) -> None:
    try:
        plan = parse_plan(text, library)
    except PlanParseError as e:
        assert isinstance(e.position, int) and 0 <= e.position <= len(text), (e.position, len(text))
        assert isinstance(e.reason, str) and e.reason
        return
    assert isinstance(plan, Plan) and len(plan) >= 1
    assert plan.validate(library) == plan  # what comes out is validated and normalised


@settings(max_examples=1200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(GARBAGE, st.sampled_from([SIMPLE, REGULAR, COMPLEX]))
def test_fuzz_only_plan_or_plan_parse_error(text: str, library: ToolLibrary) -> None:
    check_outcome(text, library)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(COMPLEX.names), st.integers(0, 20), st.integers(0, 400))
def test_fuzz_truncated_complex_calls(tool: str, variant: int, cut: int) -> None:
    plan = Plan((PlanStep("a", tool, example_arguments(COMPLEX, tool, variant)),) * 2)
    text = plan.to_text()
    check_outcome(text[: len(text) - cut], COMPLEX)
