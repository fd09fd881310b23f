"""trl_styling.prompt.PlannerPrompt: validation, its file, and that training and inference prompt alike."""

from __future__ import annotations

import json

import pytest

from trl_styling.prompt import PROMPT_FILE, PlannerPrompt

VISION = PlannerPrompt(plan_format="chat", tool_specs="full", include_context=False, include_image=True)


def test_the_prompt_round_trips_through_its_file_and_dict(tmp_path):
    path = VISION.save(tmp_path / "model")
    assert path == tmp_path / "model" / PROMPT_FILE
    assert json.loads(path.read_text()) == {
        "include_context": False,
        "include_image": True,
        "plan_format": "chat",
        "tool_specs": "full",
    }
    assert PlannerPrompt.load(tmp_path / "model") == VISION
    assert PlannerPrompt.from_dict(VISION.to_dict()) == VISION
    assert PlannerPrompt.from_dict({}) == PlannerPrompt()  # every setting has a default
    assert hash(VISION) == hash(PlannerPrompt.from_dict(VISION.to_dict()))  # frozen: usable as a key


def test_overrides_keep_what_is_not_given():
    assert VISION.replace(tool_specs="names", include_image=None) == PlannerPrompt(
        plan_format="chat", tool_specs="names", include_context=False, include_image=True
    )
    with pytest.raises(ValueError, match="plan_format must be one of"):
        VISION.replace(plan_format="json")


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"plan_format": "json"}, r"plan_format must be one of \('chat', 'text'\), got 'json'"),
        ({"tool_specs": "tiny"}, r"tool_specs must be one of \('full', 'brief', 'names', 'none'\), got 'tiny'"),
        ({"include_image": "yes"}, r"include_image must be True or False, got 'yes'"),
        ({"plan_fromat": "text"}, r"Unknown planner-prompt settings \['plan_fromat'\]"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, needle):
    with pytest.raises(ValueError, match=needle):
        PlannerPrompt.from_dict(settings)


def test_a_directory_without_the_file_is_refused_with_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"has no styling_planner\.json.*PlannerPrompt\(plan_format="):
        PlannerPrompt.load(tmp_path)


def test_tools_go_to_the_chat_template_only_in_the_chat_format():
    from trl_styling.tools import get_tool_library

    assert PlannerPrompt(tool_specs="full").tools("simple") is None  # text plans list the tools in the system turn
    names = PlannerPrompt(plan_format="chat", tool_specs="names").tools("simple")
    assert names == [{"type": "function", "function": {"name": n}} for n in get_tool_library("simple").names]
