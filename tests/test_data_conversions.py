from __future__ import annotations

import json
import logging

import pytest
from PIL import Image as PILImage
from trl.data_utils import apply_chat_template, is_conversational, prepare_multimodal_messages

from trl_styling.context import StyleContext
from trl_styling.data import (
    Trajectory,
    build_preference_pairs,
    plan_to_message,
    to_prompt_completion_dataset,
    trajectories_to_dataset,
    trajectory_to_prompt_completion,
)
from trl_styling.prompt import COMPACT_ROLE, PLANNER_ROLE, PlannerPrompt
from trl_styling.tools import Plan, PlanStep, get_tool_library

LIB = get_tool_library("simple")
CONTEXT = StyleContext(location="urban_city", time_of_day="midday_overhead", season="summer_lush")
GOAL = "a snowy winter evening"
EVENING = {"target_time": "dusk_twilight", "sky_color": "deep_blue"}
SNOW = {"target_season": "winter_snow", "temperature_effects": "snow"}
GOOD = Plan(
    (
        PlanStep("Evening light sets the mood.", "time_of_day", EVENING),
        PlanStep("Snow makes it winter.", "season_cycle", SNOW),
    )
)
BAD = Plan((PlanStep("Sunny.", "weather_conditions", {"target_weather": "clear_sky"}),))
STORED = Plan.from_records(GOOD.to_records())  # what a dataset row gives back (arguments in sorted-key order)


def rows(image: bool = False) -> list[dict]:
    pic = PILImage.new("RGB", (4, 4), (0, 0, 255)) if image else None
    items = [
        Trajectory("t1", "g1", "b1", GOAL, GOOD, 4.5, context=CONTEXT, image=pic),
        Trajectory("t2", "g1", "b1", GOAL, BAD, 1.5, context=CONTEXT, image=pic),
        Trajectory("t3", "g1", "b1", GOAL, GOOD, None, context=CONTEXT, image=pic, judge_failed=True),
    ]
    return [t.to_row() for t in items]


def test_prompt_text_exact():
    chat = PlannerPrompt(plan_format="chat", tool_specs="full").messages(CONTEXT, GOAL, LIB)
    assert [m["role"] for m in chat] == ["system", "user"]
    assert chat[0]["content"].startswith(PLANNER_ROLE) and LIB.describe() not in chat[0]["content"]
    assert chat[1]["content"] == f"Current image context:\n{CONTEXT.to_prompt()}\n\nStyling goal: {GOAL}"
    text = PlannerPrompt(tool_specs="full").messages(CONTEXT.to_dict(), GOAL, "simple")
    assert text[0]["content"].endswith(LIB.describe()) and "[REASONING]" in text[0]["content"]
    assert text[1] == chat[1]  # same user turn in both formats
    bare = PlannerPrompt(include_context=False, include_image=True).messages(None, GOAL, LIB)
    assert bare[1]["content"] == [{"type": "image"}, {"type": "text", "text": f"Styling goal: {GOAL}"}]
    resumed = PlannerPrompt().messages(CONTEXT, GOAL, LIB, steps_taken=GOOD.steps[:1])
    assert resumed[1]["content"].endswith(
        f"Steps already taken:\n{Plan(GOOD.steps[:1]).to_text()}\nContinue the plan with the remaining steps only."
    )
    with pytest.raises(ValueError, match="plan_format must be one of"):
        PlannerPrompt(plan_format="json").messages(CONTEXT, GOAL, LIB)


def test_chat_example_round_trips_and_matches_inference_prompt():
    row = rows()[0]
    chat = PlannerPrompt(plan_format="chat", tool_specs="full")
    example = trajectory_to_prompt_completion(row, LIB, prompt=chat)
    assert set(example) == {"prompt", "completion", "tools", "reward", "judge_failed", "group_id", "trajectory_id"}
    assert is_conversational(example)
    assert example["prompt"] == PlannerPrompt(plan_format="chat", tool_specs="full").messages(
        StyleContext.from_dict(row["context"]), GOAL, LIB
    )
    message = example["completion"][0]
    assert {k: v for k, v in message.items() if k != "tool_calls"} == {
        k: v for k, v in GOOD.to_assistant_message().items() if k != "tool_calls"
    }
    assert [call["function"]["arguments"] for call in message["tool_calls"]] == [
        '{"sky_color": "deep_blue", "target_time": "dusk_twilight"}',
        '{"target_season": "winter_snow", "temperature_effects": "snow"}',
    ]  # JSON text, see the conversions module docstring
    assert json.loads(example["tools"]) == LIB.to_openai_tools()
    assert Plan.from_assistant_message(message, LIB) == GOOD.validate(LIB)
    assert (example["reward"], example["group_id"], example["trajectory_id"]) == (4.5, "g1", "t1")


def test_text_example_round_trips():
    example = trajectory_to_prompt_completion(rows()[0], None, prompt=PlannerPrompt())  # library from `variant`
    assert "tools" not in example
    assert example["completion"] == [{"role": "assistant", "content": STORED.to_text()}]
    assert Plan.from_text(example["completion"][0]["content"], LIB) == GOOD.validate(LIB)


def test_empty_plan_is_a_stop_turn():
    assert plan_to_message((), "chat") == {"role": "assistant", "content": ""}
    assert plan_to_message(GOOD.steps[1:], "text") == {"role": "assistant", "content": Plan(GOOD.steps[1:]).to_text()}


def test_missing_library_and_image_are_explained():
    row = rows()[0]
    row["variant"] = ""
    with pytest.raises(ValueError, match="pass library="):
        trajectory_to_prompt_completion(row, None)
    with pytest.raises(ValueError, match=r"trajectory_id='t1'.*include_image=True"):
        trajectory_to_prompt_completion(rows()[0], LIB, prompt=PlannerPrompt(include_image=True))


def test_dataset_conversion_keeps_every_row_with_its_judge_flag_and_exact_values():
    ds = trajectories_to_dataset(rows())
    chat = PlannerPrompt(plan_format="chat", tool_specs="full")
    out = to_prompt_completion_dataset(ds, LIB, prompt=chat)  # filters nothing: the trainer filters once, and counts
    assert out.column_names == ["prompt", "completion", "tools", "reward", "judge_failed", "group_id", "trajectory_id"]
    assert out["trajectory_id"] == ["t1", "t2", "t3"] and out["reward"] == [4.5, 1.5, None]
    assert out["judge_failed"] == [False, False, True]
    # Storage gives back exactly what went in: no null keys added to messages, no float noise.
    assert out[0] == trajectory_to_prompt_completion(ds[0], LIB, prompt=chat)
    assert out[0]["completion"] == [plan_to_message(STORED, "chat")]
    text = to_prompt_completion_dataset(ds, LIB, prompt=PlannerPrompt())
    assert "tools" not in text.column_names and text[1]["completion"][0]["content"] == BAD.to_text()


def test_float_arguments_survive_storage_exactly():
    paint = {"target_medium": "oil_painting", "texture_intensity": 0.7}
    grade = {"target_grading": "warm_cinematic", "saturation_change": 0.3}
    plan = Plan((PlanStep("Paint it.", "artistic_medium", paint), PlanStep("Grade it.", "color_grading", grade)))
    ds = trajectories_to_dataset([Trajectory("t", "g", "b", GOAL, plan, 4.0, context=CONTEXT)])
    example = to_prompt_completion_dataset(ds, LIB, prompt=PlannerPrompt(plan_format="chat", tool_specs="full"))[0]
    arguments = [call["function"]["arguments"] for call in example["completion"][0]["tool_calls"]]
    assert arguments == [
        '{"target_medium": "oil_painting", "texture_intensity": 0.7}',
        '{"saturation_change": 0.3, "target_grading": "warm_cinematic"}',
    ]
    assert '"default": 0.7}' in example["tools"] and "0.7000000000000001" not in example["tools"]
    pair_ds = trajectories_to_dataset(
        [Trajectory("t", "g", "b", GOAL, plan, 4.0), Trajectory("u", "g", "b", GOAL, BAD, 1.0)]
    )
    pair = build_preference_pairs(pair_ds, library=LIB, prompt=PlannerPrompt(plan_format="chat", tool_specs="full"))[0]
    assert pair["chosen"][0]["tool_calls"][0]["function"]["arguments"] == arguments[0]


def test_vision_examples_fit_trl_image_placeholders():
    ds = trajectories_to_dataset(rows(image=True))
    out = to_prompt_completion_dataset(ds, LIB, prompt=PlannerPrompt(include_image=True))
    example = out[0]
    assert example["images"][0].size == (4, 4)
    filled = prepare_multimodal_messages(example["prompt"], images=example["images"])
    assert filled[1]["content"][0]["image"].size == (4, 4)
    pairs = build_preference_pairs(ds, library=LIB, prompt=PlannerPrompt(include_image=True))
    assert len(pairs) == 1 and pairs[0]["images"][0].size == (4, 4)
    prepare_multimodal_messages(pairs[0]["prompt"], images=pairs[0]["images"])


@pytest.mark.parametrize("plan_format", ["chat", "text"])
def test_trl_chat_template_and_trainers_accept_the_datasets(tiny_lm_dir, tmp_path, plan_format):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    ds = trajectories_to_dataset(rows())
    sft_data = to_prompt_completion_dataset(ds, LIB, prompt=PlannerPrompt(plan_format=plan_format))
    dpo_data = build_preference_pairs(ds, library=LIB, prompt=PlannerPrompt(plan_format=plan_format))
    tools = json.loads(sft_data[0]["tools"]) if plan_format == "chat" else None
    rendered = apply_chat_template(sft_data[0], tokenizer, tools=tools)
    expected = '"target_season": "winter_snow"' if plan_format == "chat" else 'target_season="winter_snow"'
    assert expected in rendered["completion"] and expected not in rendered["prompt"]
    assert "Styling goal: a snowy winter evening" in rendered["prompt"]
    pair = apply_chat_template(dpo_data[0], tokenizer, tools=tools)
    assert "weather_conditions" in pair["rejected"] and "weather_conditions" not in pair["chosen"]

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    common = {"report_to": [], "use_cpu": True, "bf16": False, "max_length": None}
    usable = sft_data.filter(lambda row: not row["judge_failed"])  # TRL's own trainers do not read the flag
    sft = SFTTrainer(
        model=model,
        args=SFTConfig(output_dir=str(tmp_path / "sft"), **common),
        train_dataset=usable,
        processing_class=tokenizer,
    )
    assert len(sft.train_dataset) == 2 and "input_ids" in sft.train_dataset.column_names
    dpo = DPOTrainer(
        model=model,
        args=DPOConfig(output_dir=str(tmp_path / "dpo"), **common),
        train_dataset=dpo_data,
        processing_class=tokenizer,
    )
    assert len(dpo.train_dataset) == 1 and "chosen_ids" in dpo.train_dataset.column_names


def test_brief_tool_specs_are_short_and_keep_every_tool():
    from trl_styling.tools import get_tool_library

    for name in ("simple", "regular", "complex"):
        library = get_tool_library(name)
        full = PlannerPrompt(tool_specs="full").messages(None, "make it winter", library)[0]["content"]
        brief = PlannerPrompt().messages(None, "make it winter", library)
        brief_text = brief[0]["content"]
        assert len(brief_text) < len(full) / 2
        for spec in library:
            assert f"- {spec.name}({', '.join(spec.required)}, ...)" in brief_text
        tools = library.to_openai_tools(detail="brief")
        assert [t["function"]["name"] for t in tools] == list(library.names)
        assert all(
            set(t["function"]["parameters"]["properties"]) == set(library[t["function"]["name"]].required)
            for t in tools
        )
    with pytest.raises(ValueError, match="tool_specs must be one of"):
        PlannerPrompt(tool_specs="tiny").messages(None, "g", "simple")


def test_names_only_tool_specs():
    from trl_styling.tools import get_tool_library

    library = get_tool_library("regular")
    system = PlannerPrompt(tool_specs="names").messages(None, "make it winter", library)[0]
    assert system["content"].endswith(f'Tool library "regular". Tools: {", ".join(library.names)}.')
    names_only = PlannerPrompt(plan_format="chat", tool_specs="names").tools(library)
    assert [t["function"] for t in names_only] == [{"name": n} for n in library.names]
    with pytest.raises(ValueError, match="tool spec detail must be one of"):
        library.describe(detail="tiny")


def test_no_tool_specs_give_a_one_line_system_message_in_training_and_at_inference():
    from transformers import AutoTokenizer

    from trl_styling.agent import HFPlanner

    library = get_tool_library("regular")
    text = PlannerPrompt(tool_specs="none").messages(CONTEXT, GOAL, library)
    assert text[0] == {"role": "system", "content": COMPACT_ROLE["text"]}
    assert text[1] == PlannerPrompt().messages(CONTEXT, GOAL, library)[1]  # the user turn is kept
    chat = PlannerPrompt(plan_format="chat", tool_specs="none").messages(CONTEXT, GOAL, library)
    assert chat[0]["content"] == COMPACT_ROLE["chat"]
    assert PlannerPrompt(plan_format="chat", tool_specs="none").tools(library) == []
    assert library.describe(detail="none") == "" and library.to_openai_tools(detail="none") == []
    example = trajectory_to_prompt_completion(rows()[0], LIB, prompt=PlannerPrompt(tool_specs="none"))
    assert example["prompt"] == PlannerPrompt(tool_specs="none").messages(CONTEXT, GOAL, LIB)
    planner = HFPlanner(None, AutoTokenizer, library, prompt=PlannerPrompt(tool_specs="none"))
    assert planner.messages(CONTEXT, GOAL) == text  # inference prompts exactly as training did
    with pytest.raises(ValueError, match=r"tool_specs must be one of \('full', 'brief', 'names', 'none'\)"):
        HFPlanner(None, AutoTokenizer, library, prompt=PlannerPrompt(tool_specs="tiny"))


def test_the_trainer_drops_and_counts_the_judge_failures_the_conversion_kept(tiny_lm_dir, tmp_path, caplog):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trl_styling import StylingSFTConfig, StylingSFTTrainer

    train = to_prompt_completion_dataset(trajectories_to_dataset(rows()), LIB, prompt=PlannerPrompt())
    args = StylingSFTConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True, bf16=False, max_length=None)
    with caplog.at_level(logging.WARNING, logger="trl_styling.trainers.weighting"):
        trainer = StylingSFTTrainer(
            AutoModelForCausalLM.from_pretrained(tiny_lm_dir),
            args=args,
            train_dataset=train,
            processing_class=AutoTokenizer.from_pretrained(tiny_lm_dir),
        )
    stats = trainer.weight_statistics["train"]
    assert (stats.rows_in, stats.dropped_judge_failed, stats.dropped_below_min_reward, stats.rows_out) == (3, 1, 0, 2)
    assert "train: dropped 1 rows with judge_failed=True." in caplog.text
    assert trainer.train_dataset["weight"] == [1.0, 1.0]
