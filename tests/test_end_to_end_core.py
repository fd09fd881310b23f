"""The core user path: scored trajectories -> validate -> split -> convert -> train (RW, SW, DPO) -> plan -> parse."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from trl_styling import (
    RewardWeightedConfig,
    RewardWeightedTrainer,
    StandardizedRewardWeightedConfig,
    StandardizedRewardWeightedTrainer,
    StylingDPOConfig,
    StylingDPOTrainer,
)
from trl_styling.data import (
    Trajectory,
    build_preference_pairs,
    split_by_base_image,
    to_prompt_completion_dataset,
    trajectories_to_dataset,
    validate_trajectories,
)
from trl_styling.prompt import PlannerPrompt
from trl_styling.tools import Plan, PlanParseError, PlanStep, get_tool_library, parse_plan

LIBRARY = get_tool_library("simple")
SEASONS = ["winter_snow", "autumn_falling", "spring_blooming"]


def trajectories() -> list[Trajectory]:
    """10 base images x 1 goal x 3 rollouts: a correct plan, a wrong-value plan, and a wrong-tool plan."""
    items = []
    for image in range(10):
        context = {"season": "summer_lush", "time_of_day": "midday_overhead"}
        target = SEASONS[image % 3]
        plans = [
            (Plan((PlanStep(f"The goal asks for {target}.", "season_cycle", {"target_season": target}),)), 4.6),
            (Plan((PlanStep("Change the season.", "season_cycle", {"target_season": "dry_season"}),)), 3.2),
            (Plan((PlanStep("Darken the scene.", "time_of_day", {"target_time": "night_moonlit"}),)), 1.8),
        ]
        for k, (plan, reward) in enumerate(plans):
            items.append(
                Trajectory(
                    trajectory_id=f"img{image}-r{k}",
                    group_id=f"img{image}-goal0",
                    base_image_id=f"img{image}",
                    goal=f"Make this summer scene {target.split('_')[0]}.",
                    plan=plan,
                    reward=reward,
                    variant="simple",
                    context=context,
                )
            )
    return items


def common(tmp_path, **overrides) -> dict:
    args = dict(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
        max_steps=3,
        per_device_train_batch_size=4,
        learning_rate=5e-3,
        max_length=None,
    )
    args.update(overrides)
    return args


@pytest.mark.parametrize("plan_format", ["text", "chat"])
def test_trajectories_to_trained_planner(tiny_lm_dir, tmp_path, plan_format):
    dataset = trajectories_to_dataset(trajectories())
    validate_trajectories(dataset, LIBRARY)
    splits = split_by_base_image(dataset, seed=0)
    assert not set(splits["train"]["base_image_id"]) & set(splits["test"]["base_image_id"])

    train = to_prompt_completion_dataset(splits["train"], LIBRARY, prompt=PlannerPrompt(plan_format=plan_format))
    assert set(train.column_names) >= {"prompt", "completion", "reward", "group_id"}

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    for trainer_cls, config_cls in [
        (RewardWeightedTrainer, RewardWeightedConfig),
        (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    ]:
        model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
        trainer = trainer_cls(
            model, args=config_cls(**common(tmp_path)), train_dataset=train, processing_class=tokenizer
        )
        trainer.train()
        assert all(torch.isfinite(torch.tensor(h["loss"])) for h in trainer.state.log_history if "loss" in h)

    # The trained planner is prompted exactly as in training; its output goes through the tolerant parser.
    test_row = splits["test"][0]
    prompt = PlannerPrompt(plan_format=plan_format).messages(test_row["context"], test_row["goal"], LIBRARY)
    tools = LIBRARY.to_openai_tools(detail="brief") if plan_format == "chat" else None
    input_ids = tokenizer.apply_chat_template(
        prompt, tools=tools, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )["input_ids"]
    output = model.generate(input_ids, max_new_tokens=24, do_sample=False)
    text = tokenizer.decode(output[0, input_ids.shape[1] :], skip_special_tokens=True)
    try:
        plan = parse_plan(text, LIBRARY)
    except PlanParseError as error:  # a 3-step tiny model may still babble: that must be a typed error
        assert error.reason
    else:
        assert len(plan) >= 1


def test_trajectories_to_weighted_dpo(tiny_lm_dir, tmp_path):
    dataset = trajectories_to_dataset(trajectories())
    train = split_by_base_image(dataset, seed=0)["train"]
    pairs = build_preference_pairs(
        train,
        strategy="all_pairs",
        library=LIBRARY,
        prompt=PlannerPrompt(),
    )
    # per group: chosen 4.6 vs rejected 3.2 (gap 1.4) and vs 1.8 (gap 2.8)
    assert sorted(set(pairs["weight"])) == pytest.approx([1.4, 2.8])
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    trainer = StylingDPOTrainer(
        model,
        args=StylingDPOConfig(**common(tmp_path)),
        train_dataset=pairs,
        processing_class=AutoTokenizer.from_pretrained(tiny_lm_dir),
    )
    trainer.train()
    margins = [h["rewards/margins"] for h in trainer.state.log_history if "rewards/margins" in h]
    assert margins and all(torch.isfinite(torch.tensor(m)) for m in margins)
