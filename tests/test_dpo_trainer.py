"""StylingDPOTrainer: equals TRL's sigmoid DPO without weights; per-pair weights act as a weighted mean."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import DPOConfig, DPOTrainer

from trl_styling import StylingDPOConfig, StylingDPOTrainer


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
        ({"loss_type": ["hinge"]}, "supports loss_type=\\['sigmoid'\\]"),
        ({"f_divergence_type": "js_divergence"}, "f_divergence_type must be 'reverse_kl'"),
        ({"use_weighting": True}, "ld_alpha and use_weighting"),
        ({"label_smoothing": 0.6}, "label_smoothing must be in"),
    ],
)
def test_config_validation(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        StylingDPOConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True, **overrides)
