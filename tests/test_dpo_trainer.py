"""StylingDPOTrainer: equals TRL's sigmoid DPO without weights; per-pair weights act as a weighted mean."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainingArguments
from trl import DPOConfig, DPOTrainer

from trl_styling import StylingDPOConfig, StylingDPOTrainer
from trl_styling.losses import PER_PAIR_DPO_LOSSES


def pairs(n: int = 4, weights: list[float] | None = None) -> Dataset:
    rows = []
    for i in range(n):
        rows.append(
            {
                "prompt": [{"role": "user", "content": f"Goal {i}: turn the scene to winter."}],
                "chosen": [{"role": "assistant", "content": "season_cycle winter_snow " * (1 + i % 2)}],
                "rejected": [{"role": "assistant", "content": "time_of_day midday_overhead " * (2 - i % 2)}],
            }
        )
    dataset = Dataset.from_list(rows)
    return dataset if weights is None else dataset.add_column("weight", weights)


def args_dict(tmp_path: Path, **overrides) -> dict:
    args = dict(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        bf16=False,  # TRL configs default to bf16 autocast, even on CPU
        save_strategy="no",
        logging_steps=1,
        seed=0,
        max_steps=2,
        per_device_train_batch_size=2,
        learning_rate=1e-3,
        beta=0.1,
    )
    args.update(overrides)
    return args


def load(model_dir: Path):
    return AutoModelForCausalLM.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)


def test_unweighted_equals_trl_sigmoid_dpo(tiny_lm_dir, tmp_path):
    trl_model, tokenizer = load(tiny_lm_dir)
    trl = DPOTrainer(
        trl_model, args=DPOConfig(**args_dict(tmp_path / "trl")), train_dataset=pairs(), processing_class=tokenizer
    )
    trl.train()
    ours_model, tokenizer = load(tiny_lm_dir)
    ours = StylingDPOTrainer(
        ours_model,
        args=StylingDPOConfig(**args_dict(tmp_path / "ours")),
        train_dataset=pairs(),
        processing_class=tokenizer,
    )
    ours.train()
    trl_losses = [h["loss"] for h in trl.state.log_history if "loss" in h]
    our_losses = [h["loss"] for h in ours.state.log_history if "loss" in h]
    assert our_losses == pytest.approx(trl_losses, rel=1e-6)
    for (name, a), (_, b) in zip(trl_model.named_parameters(), ours_model.named_parameters(), strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-7), name
    margins = [h["rewards/margins"] for h in ours.state.log_history if "rewards/margins" in h]
    assert margins[-1] > 0  # the policy starts preferring the chosen plans


def _one_sgd_step(model_dir: Path, dataset: Dataset, tmp_path: Path, **overrides) -> dict[str, torch.Tensor]:
    model, tokenizer = load(model_dir)
    model = model.double()
    overrides = {"max_steps": 1, "optim": "sgd", "learning_rate": 0.5, "lr_scheduler_type": "constant", **overrides}
    args = StylingDPOConfig(**args_dict(tmp_path, **overrides), max_grad_norm=0.0)
    StylingDPOTrainer(model, args=args, train_dataset=dataset, processing_class=tokenizer).train()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_pair_weights_are_a_weighted_mean(tiny_lm_dir, tmp_path):
    # Weights [3, 1] on pairs (a, b): loss = (3 l_a + 1 l_b) / 4, i.e. the mean over the multiset {a, a, a, b}.
    weighted = _one_sgd_step(tiny_lm_dir, pairs(2, weights=[3.0, 1.0]), tmp_path / "w", per_device_train_batch_size=2)
    base = pairs(2)
    replicated = base.select([0, 0, 0, 1])
    unweighted = _one_sgd_step(tiny_lm_dir, replicated, tmp_path / "r", per_device_train_batch_size=4)
    uniform = _one_sgd_step(tiny_lm_dir, base, tmp_path / "u", per_device_train_batch_size=2)
    initial = {name: p.double() for name, p in load(tiny_lm_dir)[0].named_parameters()}
    differs = False
    for name, value in weighted.items():
        update, expected = value - initial[name], unweighted[name] - initial[name]
        if update.norm() == 0:
            continue
        assert ((update - expected).norm() / update.norm()).item() < 1e-6, name
        differs |= not torch.allclose(value, uniform[name], rtol=1e-6, atol=1e-9)
    assert differs  # the weights changed the update


def test_pair_weights_with_gradient_accumulation(tiny_lm_dir, tmp_path):
    dataset = pairs(4, weights=[0.5, 2.0, 1.0, 0.0])
    full = _one_sgd_step(tiny_lm_dir, dataset, tmp_path / "full", per_device_train_batch_size=4)
    accumulated = _one_sgd_step(
        tiny_lm_dir, dataset, tmp_path / "ga", per_device_train_batch_size=2, gradient_accumulation_steps=2
    )
    initial = {name: p.double() for name, p in load(tiny_lm_dir)[0].named_parameters()}
    for name, value in full.items():
        update, other = value - initial[name], accumulated[name] - initial[name]
        if update.norm() > 0:
            assert ((update - other).norm() / update.norm()).item() < 1e-6, name


def test_bad_pair_weights(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    args = StylingDPOConfig(**args_dict(tmp_path))
    with pytest.raises(ValueError, match="must be finite and >= 0; rows \\[1\\]"):
        StylingDPOTrainer(model, args=args, train_dataset=pairs(2, weights=[1.0, -1.0]), processing_class=tokenizer)
    with pytest.raises(ValueError, match="Every pair weight"):
        StylingDPOTrainer(model, args=args, train_dataset=pairs(2, weights=[0.0, 0.0]), processing_class=tokenizer)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"loss_type": ["aot"]}, "loss_type \\['aot'\\] has no per-pair loss"),
        ({"f_divergence_type": "js_divergence"}, "f_divergence_type must be 'reverse_kl'"),
        ({"label_smoothing": 0.1}, "label_smoothing=0.1 would have no effect: of TRL's DPO losses only 'robust'"),
        ({"label_smoothing": 0.6}, "label_smoothing must be in"),
    ],
)
def test_config_validation(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        StylingDPOConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True, **overrides)


# ----- parity with TRL's DPOTrainer -------------------------------------------------------------------------------


def _train_both(model_dir: Path, tmp_path: Path, dataset: Dataset, **overrides):
    """Trains TRL's DPOTrainer on ``pairs()`` and ours on ``dataset``; returns both trainers and models."""
    trl_model, tokenizer = load(model_dir)
    trl_trainer = DPOTrainer(
        trl_model,
        args=DPOConfig(**args_dict(tmp_path / "trl", **overrides)),
        train_dataset=pairs(),
        processing_class=tokenizer,
    )
    trl_trainer.train()
    our_model, tokenizer = load(model_dir)
    ours = StylingDPOTrainer(
        our_model,
        args=StylingDPOConfig(**args_dict(tmp_path / "ours", **overrides)),
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    ours.train()
    return trl_trainer, trl_model, ours, our_model


def _assert_same_training(trl_trainer, trl_model, ours, our_model, atol: float = 1e-7) -> None:
    trl_losses = [h["loss"] for h in trl_trainer.state.log_history if "loss" in h]
    our_losses = [h["loss"] for h in ours.state.log_history if "loss" in h]
    assert len(trl_losses) == 2
    assert our_losses == pytest.approx(trl_losses, rel=1e-5)
    for (name, a), (_, b) in zip(trl_model.named_parameters(), our_model.named_parameters(), strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=atol), name


# `pairs(4, weights=[1.0] * 4)` goes through the weighted loss, `pairs()` through TRL's own.
WITH_AND_WITHOUT_UNIT_WEIGHTS = pytest.mark.parametrize(
    "weights", [None, [1.0] * 4], ids=["no-weights", "unit-weights"]
)


@WITH_AND_WITHOUT_UNIT_WEIGHTS
def test_loss_weights_are_honoured_like_trl(tiny_lm_dir, tmp_path, weights):
    _assert_same_training(*_train_both(tiny_lm_dir, tmp_path, pairs(4, weights), loss_weights=[0.5]))


@WITH_AND_WITHOUT_UNIT_WEIGHTS
def test_moe_auxiliary_loss_like_trl(tiny_moe_dir, tmp_path, weights):
    trl_trainer, trl_model, ours, our_model = _train_both(tiny_moe_dir, tmp_path, pairs(4, weights))
    assert any("aux_loss" in h for h in ours.state.log_history)
    _assert_same_training(trl_trainer, trl_model, ours, our_model)


@pytest.mark.parametrize("overrides", [{"ld_alpha": 0.5}, {"use_weighting": True}], ids=["ld_alpha", "use_weighting"])
def test_ld_alpha_and_use_weighting_work_without_pair_weights(tiny_lm_dir, tmp_path, overrides):
    _assert_same_training(*_train_both(tiny_lm_dir, tmp_path, pairs(), **overrides))


@pytest.mark.parametrize("overrides", [{"ld_alpha": 0.5}, {"use_weighting": True}], ids=["ld_alpha", "use_weighting"])
def test_ld_alpha_and_use_weighting_are_refused_with_pair_weights(tiny_lm_dir, tmp_path, overrides):
    model, tokenizer = load(tiny_lm_dir)
    args = StylingDPOConfig(**args_dict(tmp_path), **overrides)
    with pytest.raises(ValueError, match="ld_alpha and use_weighting are not supported with per-pair weights"):
        StylingDPOTrainer(model, args=args, train_dataset=pairs(2, weights=[1.0, 2.0]), processing_class=tokenizer)
    trainer = StylingDPOTrainer(model, args=args, train_dataset=pairs(2), processing_class=tokenizer)
    with pytest.raises(ValueError, match="the eval dataset has a 'weight' column"):
        trainer.evaluate(eval_dataset=pairs(2, weights=[1.0, 2.0]))


def test_metrics_match_trl(tiny_lm_dir, tmp_path):
    # Unit weights: the weighted loss must log every metric TRL logs, with the same values.
    overrides = {"eval_strategy": "steps", "eval_steps": 1, "metric_for_best_model": "eval_mean_token_accuracy"}
    trl_model, tokenizer = load(tiny_lm_dir)
    trl_args = DPOConfig(**args_dict(tmp_path / "trl", **overrides))
    trl_trainer = DPOTrainer(
        trl_model, args=trl_args, train_dataset=pairs(), eval_dataset=pairs(), processing_class=tokenizer
    )
    trl_trainer.train()
    our_model, tokenizer = load(tiny_lm_dir)
    weighted = pairs(4, weights=[1.0] * 4)
    our_args = StylingDPOConfig(**args_dict(tmp_path / "ours", **overrides))
    ours = StylingDPOTrainer(
        our_model, args=our_args, train_dataset=weighted, eval_dataset=weighted, processing_class=tokenizer
    )
    ours.train()
    for trl_logs, our_logs in zip(trl_trainer.state.log_history, ours.state.log_history, strict=True):
        assert set(trl_logs) - set(our_logs) == set()
        for key, value in trl_logs.items():
            if "runtime" not in key and "per_second" not in key:
                assert our_logs[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    metrics, trl_metrics = ours.evaluate(), trl_trainer.evaluate()
    for key in ("eval_entropy", "eval_logits/chosen", "eval_logits/rejected", "eval_mean_token_accuracy"):
        assert metrics[key] == pytest.approx(trl_metrics[key], rel=1e-5, abs=1e-6), key
    assert metrics["eval_num_tokens"] == trl_metrics["eval_num_tokens"] > 0
    assert ours.state.best_metric is not None  # metric_for_best_model="eval_mean_token_accuracy" was found


def test_evaluate_uses_the_pair_weights_of_a_dataset_passed_at_evaluate_time(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    trainer = StylingDPOTrainer(
        model, args=StylingDPOConfig(**args_dict(tmp_path)), train_dataset=pairs(2), processing_class=tokenizer
    )
    trainer.train()  # so that the policy differs from the reference and the pairs' losses differ
    weighted = trainer.evaluate(eval_dataset=pairs(2, weights=[3.0, 1.0]))["eval_loss"]
    replicated = trainer.evaluate(eval_dataset=pairs(2).select([0, 0, 0, 1]))["eval_loss"]
    uniform = trainer.evaluate(eval_dataset=pairs(2))["eval_loss"]
    assert weighted == pytest.approx(replicated, rel=1e-6)
    assert weighted != pytest.approx(uniform, rel=1e-4)
    metrics = trainer.evaluate(eval_dataset={"w": pairs(2, weights=[3.0, 1.0]), "u": pairs(2)})
    assert metrics["eval_w_loss"] == pytest.approx(weighted, rel=1e-6)
    assert metrics["eval_u_loss"] == pytest.approx(uniform, rel=1e-6)
    with pytest.raises(ValueError, match="'weight' of the eval/w dataset must be finite and >= 0; rows \\[1\\]"):
        trainer.evaluate(eval_dataset={"w": pairs(2, weights=[1.0, -1.0])})


def test_plain_training_arguments_are_converted(tiny_lm_dir, tmp_path):
    model, tokenizer = load(tiny_lm_dir)
    plain = {k: v for k, v in args_dict(tmp_path, max_steps=1).items() if k != "beta"}
    trainer = StylingDPOTrainer(
        model, args=TrainingArguments(**plain), train_dataset=pairs(2, weights=[1.0, 2.0]), processing_class=tokenizer
    )
    assert isinstance(trainer.args, StylingDPOConfig)
    assert (trainer.args.learning_rate, trainer.args.max_steps, trainer.args.beta) == (1e-3, 1, 0.1)
    trainer.train()
    with pytest.raises(TypeError, match="needs a StylingDPOConfig, got DPOConfig"):
        StylingDPOTrainer(model, args=DPOConfig(**args_dict(tmp_path)), train_dataset=pairs(2))


def test_mostly_zero_pair_weights_warn(tiny_lm_dir, tmp_path, caplog):
    model, tokenizer = load(tiny_lm_dir)
    args = StylingDPOConfig(**args_dict(tmp_path))
    with caplog.at_level("WARNING", logger="trl_styling.trainers.weighting"):
        StylingDPOTrainer(
            model, args=args, train_dataset=pairs(3, weights=[0.0, 0.0, 1.0]), processing_class=tokenizer
        )
    assert "2 of 3 pairs (67%) of the train dataset have weight 0" in caplog.text


@pytest.mark.parametrize("loss_type", PER_PAIR_DPO_LOSSES)
def test_every_per_pair_loss_type_with_unit_weights_equals_trl(tiny_lm_dir, tmp_path, loss_type):
    overrides = {"loss_type": [loss_type]}
    if loss_type in ("robust", "exo_pair"):
        overrides["label_smoothing"] = 0.1  # the two losses that use it (exo_pair needs it > 0)
    # exo_pair's gradients are tiny where the pair is saturated; AdamW divides by their root mean square, which turns
    # float32 rounding of the weighted sum (ours) against the mean (TRL's) into differences up to ~8e-7
    atol = 1e-6 if loss_type == "exo_pair" else 1e-7
    _assert_same_training(*_train_both(tiny_lm_dir, tmp_path, pairs(4, [1.0] * 4), **overrides), atol=atol)


def test_a_mixture_of_losses_with_unit_weights_equals_trl(tiny_lm_dir, tmp_path):
    mixture = {"loss_type": ["sigmoid", "bco_pair"], "loss_weights": [0.7, 0.3]}
    _assert_same_training(*_train_both(tiny_lm_dir, tmp_path, pairs(4, [1.0] * 4), **mixture))


def test_losses_that_are_not_per_pair_are_refused_with_pair_weights(tmp_path):
    for loss_type in ("aot", "aot_unpaired", "sft"):
        with pytest.raises(ValueError, match=rf"loss_type \['{loss_type}'\] has no per-pair loss"):
            StylingDPOConfig(**args_dict(tmp_path, loss_type=[loss_type]))
        StylingDPOConfig(**args_dict(tmp_path, loss_type=[loss_type], pair_weight_column=None))  # TRL's own loss
    with pytest.raises(ValueError, match=r"only 'robust' and 'exo_pair' use it"):
        StylingDPOConfig(**args_dict(tmp_path, loss_type=["hinge"], label_smoothing=0.1))
