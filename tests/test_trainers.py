"""The weighted SFT-style trainers (S/R, RW, SW) on the tiny Qwen3: wiring, exactness, accumulation, configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

from trl_styling import (
    RewardWeightedConfig,
    RewardWeightedTrainer,
    StandardizedRewardWeightedConfig,
    StandardizedRewardWeightedTrainer,
    StylingSFTConfig,
    StylingSFTTrainer,
)
from trl_styling.losses import reward_weights, standardized_weights

REWARDS = [2.0, 3.5, 4.0, 4.5, 3.0, 5.0, 1.5, 4.2]


def scored_dataset(rewards: list[float] = REWARDS, **extra: list) -> Dataset:
    """Conversational prompt-completion rows of different completion lengths, two rollouts per group."""
    rows = []
    for i, reward in enumerate(rewards):
        rows.append(
            {
                "prompt": [{"role": "user", "content": f"Goal {i}: make the scene winter at dusk."}],
                "completion": [
                    {"role": "assistant", "content": "season_cycle winter_snow dusk_twilight " * (1 + i % 3)}
                ],
                "reward": reward,
                "group_id": f"g{i // 2}",
            }
        )
    dataset = Dataset.from_list(rows)
    for name, values in extra.items():
        dataset = dataset.add_column(name, values)
    return dataset


def common_args(tmp_path: Path, **overrides) -> dict:
    args = dict(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        bf16=False,  # TRL configs default to bf16 autocast, even on CPU
        save_strategy="no",
        logging_steps=1,
        seed=0,
        max_steps=2,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        dataloader_drop_last=False,
    )
    args.update(overrides)
    return args


def load(model_dir: Path):
    return AutoModelForCausalLM.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)


def test_rw_token_with_unit_weights_reproduces_sft_exactly(tiny_lm_dir, tmp_path):
    # Every reward 4.0 -> RW weight max(4 - 3, 0) = 1, so the token-normalised RW loss is SFT's loss.
    dataset = scored_dataset([4.0] * 8)
    sft_model, tokenizer = load(tiny_lm_dir)
    sft = SFTTrainer(
        sft_model, args=SFTConfig(**common_args(tmp_path / "sft")), train_dataset=dataset, processing_class=tokenizer
    )
    sft.train()
    rw_model, tokenizer = load(tiny_lm_dir)
    rw_args = RewardWeightedConfig(**common_args(tmp_path / "rw"), loss_normalization="token")
    rw = RewardWeightedTrainer(rw_model, args=rw_args, train_dataset=dataset, processing_class=tokenizer)
    rw.train()

    sft_losses = [h["loss"] for h in sft.state.log_history if "loss" in h]
    rw_losses = [h["loss"] for h in rw.state.log_history if "loss" in h]
    assert len(sft_losses) == 2
    assert rw_losses == sft_losses
    for (name, p_sft), (_, p_rw) in zip(sft_model.named_parameters(), rw_model.named_parameters(), strict=True):
        assert torch.equal(p_sft, p_rw), name


def _one_sgd_step(model_dir: Path, trainer_cls, config_cls, dataset: Dataset, tmp_path: Path, **overrides):
    # float64, so that the comparison tests the maths rather than float32 summation order in the backbone
    model, tokenizer = load(model_dir)
    model = model.double()
    args = config_cls(
        **common_args(
            tmp_path, max_steps=1, optim="sgd", learning_rate=0.5, lr_scheduler_type="constant", **overrides
        ),
        max_grad_norm=0.0,
    )
    trainer_cls(model, args=args, train_dataset=dataset, processing_class=tokenizer).train()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("normalization", ["sequence", "token"])
@pytest.mark.parametrize(
    ("trainer_cls", "config_cls"),
    [
        (RewardWeightedTrainer, RewardWeightedConfig),
        (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    ],
)
def test_batch_of_8_equals_4_plus_4_with_accumulation(tiny_lm_dir, tmp_path, trainer_cls, config_cls, normalization):
    dataset = scored_dataset()
    full = _one_sgd_step(
        tiny_lm_dir,
        trainer_cls,
        config_cls,
        dataset,
        tmp_path / "full",
        per_device_train_batch_size=8,
        loss_normalization=normalization,
    )
    accumulated = _one_sgd_step(
        tiny_lm_dir,
        trainer_cls,
        config_cls,
        dataset,
        tmp_path / "ga",
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
        loss_normalization=normalization,
    )
    initial = {name: p.double() for name, p in load(tiny_lm_dir)[0].named_parameters()}
    for name, value in full.items():
        update, accumulated_update = value - initial[name], accumulated[name] - initial[name]
        assert update.norm() > 0, name
        # The fused LM head works in float32 (relative error ~1e-7); a wrong window denominator is off by >1%.
        assert ((update - accumulated_update).norm() / update.norm()).item() < 1e-6, name


def _manual_per_sequence_nll(model, batch) -> tuple[torch.Tensor, torch.Tensor]:
    """L_i and n_i from full logits, independent of the fused head."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1].float()
    labels = batch["labels"][:, 1:]
    mask = labels != -100
    nll = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)), labels.clamp(min=0).reshape(-1), reduction="none"
    ).view(labels.shape)
    return (nll * mask).sum(1), mask.sum(1)


@pytest.mark.parametrize("normalization", ["sequence", "token"])
def test_compute_loss_matches_the_paper_formulas(tiny_lm_dir, tmp_path, normalization):
    dataset = scored_dataset()
    cases = [
        (RewardWeightedTrainer, RewardWeightedConfig, reward_weights(torch.tensor(REWARDS)), "rw"),
        (
            StandardizedRewardWeightedTrainer,
            StandardizedRewardWeightedConfig,
            standardized_weights(torch.tensor(REWARDS), [f"g{i // 2}" for i in range(8)]),
            "sw",
        ),
    ]
    for trainer_cls, config_cls, weights, kind in cases:
        model, tokenizer = load(tiny_lm_dir)
        args = config_cls(**common_args(tmp_path / kind), loss_normalization=normalization)
        trainer = trainer_cls(model, args=args, train_dataset=dataset, processing_class=tokenizer)
        batch = trainer.data_collator([trainer.train_dataset[i] for i in range(8)])
        assert torch.allclose(batch["weight"].double(), weights.float().double())
        with torch.no_grad():
            loss = trainer.compute_loss(model, dict(batch))
            seq_nll, n = _manual_per_sequence_nll(model, batch)
        w = weights.float()
        if kind == "rw":
            expected = (w * seq_nll).sum() / (w.sum() if normalization == "sequence" else (w * n).sum())
        else:
            expected = (w * seq_nll).sum() / (len(w) if normalization == "sequence" else n.sum())
        assert loss.item() == pytest.approx(expected.item(), rel=1e-4, abs=1e-5)


@pytest.mark.parametrize(
    ("trainer_cls", "config_cls"),
    [
        (StylingSFTTrainer, StylingSFTConfig),
        (RewardWeightedTrainer, RewardWeightedConfig),
        (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    ],
)
def test_every_trainable_parameter_changes(tiny_lm_dir, tmp_path, trainer_cls, config_cls):
    model, tokenizer = load(tiny_lm_dir)
    before = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
    args = config_cls(**common_args(tmp_path, max_steps=3, learning_rate=1e-2))
    trainer_cls(model, args=args, train_dataset=scored_dataset(), processing_class=tokenizer).train()
    unchanged = [name for name, p in model.named_parameters() if p.requires_grad and torch.equal(p, before[name])]
    assert unchanged == []


def test_lora_adapter_trains(tiny_lm_dir, tmp_path):
    from trl_styling.testing import tiny_lora_config

    model, tokenizer = load(tiny_lm_dir)
    args = RewardWeightedConfig(**common_args(tmp_path, max_steps=2, learning_rate=1e-2))
    trainer = RewardWeightedTrainer(
        model, args=args, train_dataset=scored_dataset(), processing_class=tokenizer, peft_config=tiny_lora_config()
    )
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert before and all("lora" in n for n in before)
    trainer.train()
    changed = [n for n, p in trainer.model.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    assert sorted(changed) == sorted(before)


def test_filtering_and_statistics(tiny_lm_dir, tmp_path):
    failed = [False] * 7 + [True]
    dataset = scored_dataset(judge_failed=failed)
    model, tokenizer = load(tiny_lm_dir)
    args = StylingSFTConfig(**common_args(tmp_path), min_reward=3.5)  # the paper's R
    trainer = StylingSFTTrainer(model, args=args, train_dataset=dataset, processing_class=tokenizer)
    stats = trainer.weight_statistics["train"]
    # row 7 (judge failure) dropped; of the other 7, rewards 2.0, 3.0, 1.5 are below 3.5
    assert (stats.rows_in, stats.dropped_judge_failed, stats.dropped_below_min_reward, stats.rows_out) == (8, 1, 3, 4)
    assert sorted(trainer.train_dataset["weight"]) == [1.0] * 4


def test_sw_global_vs_group_weights(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    args = StandardizedRewardWeightedConfig(**common_args(tmp_path), standardize_by="global")
    trainer = StandardizedRewardWeightedTrainer(
        model, args=args, train_dataset=scored_dataset(), processing_class=tokenizer
    )
    expected = standardized_weights(torch.tensor(REWARDS)).tolist()
    assert trainer.train_dataset["weight"] == pytest.approx(expected)


def test_sw_anchor_adds_a_constant_to_the_z_scores(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    args = StandardizedRewardWeightedConfig(**common_args(tmp_path), sft_anchor=1.0)
    trainer = StandardizedRewardWeightedTrainer(
        model, args=args, train_dataset=scored_dataset(), processing_class=tokenizer
    )
    z = standardized_weights(torch.tensor(REWARDS), [f"g{i // 2}" for i in range(8)])
    assert trainer.train_dataset["weight"] == pytest.approx((z + 1.0).tolist())


def test_bad_inputs_raise_actionable_errors(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    args = RewardWeightedConfig(**common_args(tmp_path))
    with pytest.raises(ValueError, match="has no 'reward' column"):
        RewardWeightedTrainer(
            model, args=args, train_dataset=scored_dataset().remove_columns("reward"), processing_class=tokenizer
        )
    with pytest.raises(ValueError, match="Every weight of the train dataset is 0"):
        RewardWeightedTrainer(model, args=args, train_dataset=scored_dataset([2.0] * 8), processing_class=tokenizer)
    with pytest.raises(ValueError, match="Row 1 of the train dataset has reward nan"):
        RewardWeightedTrainer(
            model, args=args, train_dataset=scored_dataset([4.0, float("nan")] * 4), processing_class=tokenizer
        )
    with pytest.raises(ValueError, match="already has a 'weight' column"):
        RewardWeightedTrainer(
            model, args=args, train_dataset=scored_dataset(weight=[1.0] * 8), processing_class=tokenizer
        )
    sw_args = StandardizedRewardWeightedConfig(**common_args(tmp_path))
    with pytest.raises(ValueError, match="needs a 'group_id' column"):
        StandardizedRewardWeightedTrainer(
            model, args=sw_args, train_dataset=scored_dataset().remove_columns("group_id"), processing_class=tokenizer
        )
    with pytest.raises(TypeError, match="needs a RewardWeightedConfig"):
        RewardWeightedTrainer(model, args=SFTConfig(**common_args(tmp_path)), train_dataset=scored_dataset())


def test_precomputed_weights_are_used_as_is(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    weights = [0.0, 1.0, 2.0, 0.5, 0.0, 3.0, 0.0, 1.0]
    args = RewardWeightedConfig(**common_args(tmp_path), precomputed_weights=True)
    trainer = RewardWeightedTrainer(
        model, args=args, train_dataset=scored_dataset(weight=weights), processing_class=tokenizer
    )
    assert trainer.train_dataset["weight"] == weights
    bad = scored_dataset(weight=[1.0, float("nan")] + weights[2:])
    with pytest.raises(ValueError, match="Column 'weight' of the train dataset must be finite; .* positions \\[1\\]"):
        RewardWeightedTrainer(model, args=args, train_dataset=bad, processing_class=tokenizer)


@pytest.mark.parametrize(
    ("config_cls", "overrides", "message"),
    [
        (RewardWeightedConfig, {"packing": True}, "packing and padding_free"),
        (RewardWeightedConfig, {"padding_free": True}, "packing and padding_free"),
        (RewardWeightedConfig, {"loss_normalization": "mean"}, "loss_normalization must be one of"),
        (RewardWeightedConfig, {"reward_baseline": float("inf")}, "reward_baseline must be finite"),
        (RewardWeightedConfig, {"loss_type": "dft"}, "loss_type='dft' is not supported"),
        (RewardWeightedConfig, {"weight_column": "reward"}, "would overwrite the rewards"),
        (StylingSFTConfig, {"min_reward": float("nan")}, "min_reward must be a finite number"),
        (StandardizedRewardWeightedConfig, {"standardize_by": "batch"}, "standardize_by must be one of"),
        (StandardizedRewardWeightedConfig, {"std_eps": 0.0}, "std_eps must be > 0"),
        (StandardizedRewardWeightedConfig, {"sft_anchor": -1.0}, "sft_anchor must be a finite number >= 0"),
    ],
)
def test_config_validation(tmp_path, config_cls, overrides, message):
    with pytest.raises(ValueError, match=message):
        config_cls(output_dir=str(tmp_path), report_to="none", use_cpu=True, **overrides)


# ----- zero weights, evaluate-time datasets, plain TrainingArguments, compute_loss_func ---------------------------


def _regroup(group_ids: list[str], rewards: list[float] = REWARDS) -> Dataset:
    return scored_dataset(rewards).remove_columns("group_id").add_column("group_id", group_ids)


def test_sw_refuses_all_zero_weights_and_names_the_cause(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    args = StandardizedRewardWeightedConfig(**common_args(tmp_path))
    singletons = _regroup([f"x{i}" for i in range(8)])  # eight rows, eight groups: every z-score is 0
    with pytest.raises(ValueError, match=r"Every weight of the train dataset is 0 \(8 of 8 rows\)") as error:
        StandardizedRewardWeightedTrainer(model, args=args, train_dataset=singletons, processing_class=tokenizer)
    assert "8 of 8 rows (100%) are alone in their 'group_id' group" in str(error.value)
    assert "standardize_by='global'" in str(error.value)
    tied = _regroup([f"g{i // 2}" for i in range(8)], [4.0] * 8)
    with pytest.raises(ValueError, match=r"8 of 8 rows \(100%\) are in groups whose rewards are tied"):
        StandardizedRewardWeightedTrainer(model, args=args, train_dataset=tied, processing_class=tokenizer)
    global_args = StandardizedRewardWeightedConfig(**common_args(tmp_path), standardize_by="global")
    with pytest.raises(ValueError, match="the rewards have no spread"):
        StandardizedRewardWeightedTrainer(model, args=global_args, train_dataset=tied, processing_class=tokenizer)
    # The anchor's weights 1 + z are not zero: the same data trains.
    anchored = StandardizedRewardWeightedConfig(**common_args(tmp_path), sft_anchor=1.0)
    trainer = StandardizedRewardWeightedTrainer(
        model, args=anchored, train_dataset=singletons, processing_class=tokenizer
    )
    assert trainer.train_dataset["weight"] == [1.0] * 8


def test_precomputed_all_zero_weights_are_refused(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    args = StandardizedRewardWeightedConfig(**common_args(tmp_path), precomputed_weights=True)
    with pytest.raises(ValueError, match="the precomputed 'weight' column is 0 there"):
        StandardizedRewardWeightedTrainer(
            model, args=args, train_dataset=scored_dataset(weight=[0.0] * 8), processing_class=tokenizer
        )


def test_mostly_zero_weights_warn(tiny_lm_dir, tmp_path, caplog):
    model, tokenizer = load(tiny_lm_dir)
    args = StandardizedRewardWeightedConfig(**common_args(tmp_path))
    dataset = _regroup(["a", "a", "b", "b", "c", "d", "e", "f"])  # four singletons and two informative pairs
    with caplog.at_level("WARNING", logger="trl_styling.trainers.weighting"):
        StandardizedRewardWeightedTrainer(model, args=args, train_dataset=dataset, processing_class=tokenizer)
    assert caplog.text == ""  # 4 of 8 is not more than half
    dataset = _regroup(["a", "a", "b", "c", "d", "e", "f", "g"])
    with caplog.at_level("WARNING", logger="trl_styling.trainers.weighting"):
        StandardizedRewardWeightedTrainer(model, args=args, train_dataset=dataset, processing_class=tokenizer)
    assert "6 of 8 rows (75%) of the train dataset have weight 0" in caplog.text
    assert "6 of 8 rows (75%) are alone in their 'group_id' group" in caplog.text


@pytest.mark.parametrize(
    ("trainer_cls", "config_cls"),
    [
        (StylingSFTTrainer, StylingSFTConfig),
        (RewardWeightedTrainer, RewardWeightedConfig),
        (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    ],
)
def test_evaluate_weights_a_dataset_passed_at_evaluate_time(tiny_lm_dir, tmp_path, trainer_cls, config_cls):
    model, tokenizer = load(tiny_lm_dir)
    args = config_cls(**common_args(tmp_path))
    held_out = scored_dataset([4.5, 3.1, 2.0, 5.0, 4.0, 3.9, 1.2, 4.4])
    at_init = trainer_cls(
        model, args=args, train_dataset=scored_dataset(), eval_dataset=held_out, processing_class=tokenizer
    )
    expected = at_init.evaluate()["eval_loss"]
    trainer = trainer_cls(model, args=args, train_dataset=scored_dataset(), processing_class=tokenizer)
    assert trainer.evaluate(eval_dataset=held_out)["eval_loss"] == pytest.approx(expected, rel=1e-6)
    metrics = trainer.evaluate(eval_dataset={"held_out": held_out, "train": scored_dataset()})
    assert metrics["eval_held_out_loss"] == pytest.approx(expected, rel=1e-6)
    assert "eval_train_loss" in metrics
    # A dataset the trainer already weighted is not weighted twice.
    assert at_init.evaluate(eval_dataset=at_init.eval_dataset)["eval_loss"] == pytest.approx(expected, rel=1e-6)


def test_plain_training_arguments_are_converted(tiny_lm_dir, tmp_path):
    from transformers import TrainingArguments

    model, tokenizer = load(tiny_lm_dir)
    trainer = RewardWeightedTrainer(
        model,
        args=TrainingArguments(**common_args(tmp_path, max_steps=1)),
        train_dataset=scored_dataset(),
        processing_class=tokenizer,
    )
    assert isinstance(trainer.args, RewardWeightedConfig)
    assert (trainer.args.learning_rate, trainer.args.max_steps, trainer.args.reward_baseline) == (1e-3, 1, 3.0)
    trainer.train()


def test_compute_loss_func_is_refused(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    with pytest.raises(ValueError, match="does not support `compute_loss_func`"):
        RewardWeightedTrainer(
            model,
            args=RewardWeightedConfig(**common_args(tmp_path)),
            train_dataset=scored_dataset(),
            processing_class=tokenizer,
            compute_loss_func=lambda outputs, labels, num_items_in_batch=None: outputs.loss,
        )


def test_the_styling_card_is_written_by_the_trainers_own_create_model_card(tiny_lm_dir, tmp_path):
    from trl_styling.scripts_support import PlannerCardInfo

    model, tokenizer = load(tiny_lm_dir)
    args = RewardWeightedConfig(**common_args(tmp_path / "rw"))
    trainer = RewardWeightedTrainer(model, args=args, train_dataset=scored_dataset(), processing_class=tokenizer)
    trainer.create_model_card()  # no styling card: TRL's own
    assert "Reward-Weighted fine-tuning" not in (tmp_path / "rw" / "README.md").read_text()
    trainer.styling_card = PlannerCardInfo(method="RW", base_model="m", dataset_name="d", reward_statistics={})
    trainer.create_model_card(model_name="tiny-RW")
    card = (tmp_path / "rw" / "README.md").read_text()
    assert card.startswith("---") and "# tiny-RW" in card and "**Reward-Weighted fine-tuning (RW)**" in card
    # the data summary comes from the trainer's weight statistics when the card has none
    assert f"| rows_out | {trainer.weight_statistics['train'].rows_out} |" in card


def test_moe_auxiliary_loss_like_sft_trainer(tiny_moe_dir, tmp_path):
    # Unit weights, token normalisation: TRL's SFT loss plus the router's load-balancing loss, logged as TRL logs it.
    dataset = scored_dataset([4.0] * 8)
    sft_model, tokenizer = load(tiny_moe_dir)
    sft = SFTTrainer(
        sft_model, args=SFTConfig(**common_args(tmp_path / "sft")), train_dataset=dataset, processing_class=tokenizer
    )
    sft.train()
    rw_model, tokenizer = load(tiny_moe_dir)
    rw_args = RewardWeightedConfig(**common_args(tmp_path / "rw"), loss_normalization="token")
    rw = RewardWeightedTrainer(rw_model, args=rw_args, train_dataset=dataset, processing_class=tokenizer)
    rw.train()
    assert rw.aux_loss_enabled and any("aux_loss" in h for h in rw.state.log_history)
    assert [h["aux_loss"] for h in rw.state.log_history if "aux_loss" in h] == [
        h["aux_loss"] for h in sft.state.log_history if "aux_loss" in h
    ]
    assert [h["loss"] for h in rw.state.log_history if "loss" in h] == [
        h["loss"] for h in sft.state.log_history if "loss" in h
    ]
    for (name, p_sft), (_, p_rw) in zip(sft_model.named_parameters(), rw_model.named_parameters(), strict=True):
        assert torch.equal(p_sft, p_rw), name
