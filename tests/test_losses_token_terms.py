"""losses.token_terms (per-token terms from full logits) and the trainers' unfused path against TRL's fused head."""

from __future__ import annotations

import math

import pytest
import torch

from trl_styling.losses import token_terms


def test_token_terms_on_literal_logits():
    # one sequence of 3 tokens over a vocabulary of 2; position 0 predicts label 1, position 1 is ignored
    logits = torch.tensor([[[0.0, math.log(3.0)], [5.0, 0.0], [0.0, 0.0]]])
    labels = torch.tensor([[-100, 1, -100]])
    terms = token_terms(logits, labels)
    # p(label 1 | position 0) = 3 / (1 + 3)
    assert terms.log_probs[0].tolist() == pytest.approx([math.log(0.75), 0.0])
    assert terms.label_mask.tolist() == [[True, False]]
    entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert terms.entropy[0].tolist() == pytest.approx([entropy, 0.0])
    assert terms.is_top1.tolist() == [[True, False]]
    assert terms.aux_loss is None


def test_token_terms_equal_trl_s_fused_head(tmp_path):
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    from trl_styling.testing import build_tiny_qwen3

    model = AutoModelForCausalLM.from_pretrained(build_tiny_qwen3(tmp_path / "m", vocab_size=300))
    add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(3, model.config.vocab_size, (3, 12), generator=generator)
    labels = input_ids.clone()
    labels[:, :5] = -100
    labels[2, 9:] = -100
    fused = model(input_ids=input_ids, labels=labels, fused_lm_head=True)
    terms = token_terms(model(input_ids=input_ids).logits, labels)
    assert torch.equal(terms.label_mask, fused.label_mask)
    torch.testing.assert_close(terms.log_probs, fused.log_probs, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(terms.entropy, fused.entropy, rtol=1e-5, atol=1e-5)
    assert torch.equal(terms.is_top1, fused.is_top1)


@pytest.mark.parametrize("normalization", ["token", "sequence"])
def test_the_unfused_trainer_step_equals_the_fused_one_and_a_plain_step(tmp_path, normalization):
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trl_styling import RewardWeightedConfig, RewardWeightedTrainer
    from trl_styling.testing import build_tiny_qwen3

    model_dir = build_tiny_qwen3(tmp_path / "m")
    rows = [
        {
            "prompt": [{"role": "user", "content": f"Goal {i}: make it winter."}],
            "completion": [{"role": "assistant", "content": "season_cycle winter" * (1 + i % 3)}],
            "reward": 4.0,
            "group_id": f"g{i}",
        }
        for i in range(4)
    ]

    def step(fused: bool) -> tuple:
        model = AutoModelForCausalLM.from_pretrained(model_dir)
        args = RewardWeightedConfig(
            output_dir=str(tmp_path / f"out-{fused}"),
            report_to="none",
            use_cpu=True,
            max_steps=1,
            per_device_train_batch_size=4,
            learning_rate=1e-3,
            loss_normalization=normalization,
            fused_lm_head=fused,
            logging_steps=1,
        )
        trainer = RewardWeightedTrainer(
            model,
            args=args,
            train_dataset=Dataset.from_list(rows),
            processing_class=AutoTokenizer.from_pretrained(model_dir),
        )
        batch = next(iter(trainer.get_train_dataloader()))
        model.train()
        loss = trainer.compute_loss(model, dict(batch))
        loss.backward()
        grad = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
        metrics = {k: v[-1] for k, v in trainer._metrics["train"].items()}
        return loss.item(), grad, metrics, batch, model

    fused_loss, fused_grad, fused_metrics, batch, _ = step(True)
    loss, grad, metrics, _, model = step(False)
    assert loss == pytest.approx(fused_loss, rel=1e-6)
    torch.testing.assert_close(grad, fused_grad, rtol=1e-4, atol=1e-7)
    for name in ("nll", "entropy", "mean_token_accuracy"):
        assert metrics[name] == pytest.approx(fused_metrics[name], rel=1e-5), name
    if normalization == "token":  # equal weights: the plain causal-LM loss of transformers
        model.zero_grad()
        plain = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
        assert plain.loss.item() == pytest.approx(loss, rel=1e-6)
