"""Exact-value tests of the pure losses; the maths is written out next to each expectation."""

from __future__ import annotations

import math

import pytest
import torch

from trl_styling.losses import (
    reward_weights,
    safe_divide,
    sequence_nll,
    standardized_weights,
    weighted_mean,
    weighted_nll_loss,
    weighted_nll_terms,
    weighted_sigmoid_dpo_loss,
)

# Two sequences, 3 completion positions; the second has one padded (masked) position.
NLL = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]], dtype=torch.float64)
MASK = torch.tensor([[1, 1, 1], [1, 1, 0]])
# L = [1+2+3, 4+5] = [6, 9]; n = [3, 2]


def test_reward_weights_paper_table():
    # Paper I.3: 5.0 -> 2.0, 4.5 -> 1.5, 4.0 -> 1.0, 3.5 -> 0.5, 3.0 -> 0.0, 2.5 -> 0.0
    rewards = torch.tensor([5.0, 4.5, 4.0, 3.5, 3.0, 2.5])
    assert reward_weights(rewards).tolist() == [2.0, 1.5, 1.0, 0.5, 0.0, 0.0]
    assert reward_weights(rewards, baseline=4.0).tolist() == [1.0, 0.5, 0.0, 0.0, 0.0, 0.0]


def test_reward_weights_reject_nan():
    with pytest.raises(ValueError, match="finite"):
        reward_weights(torch.tensor([4.0, float("nan")]))


def test_standardized_weights_global():
    # mu = (1+2+3+6)/4 = 3; var = (4+1+0+9)/4 = 3.5; sigma = sqrt(3.5)
    z = standardized_weights(torch.tensor([1.0, 2.0, 3.0, 6.0]))
    s = math.sqrt(3.5)
    assert torch.allclose(z, torch.tensor([-2 / s, -1 / s, 0.0, 3 / s], dtype=torch.float64), atol=0, rtol=1e-12)
    assert abs(float(z.sum())) < 1e-12


def test_standardized_weights_per_group_singletons_and_ties():
    rewards = torch.tensor([2.0, 4.0, 3.0, 3.0, 3.0, 5.0, 1.7])
    groups = ["a", "a", "b", "b", "b", "c", "d"]
    z = standardized_weights(rewards, groups)
    # group a: mu 3, sigma 1 (ddof=0) -> [-1, 1]; group b: all equal -> 0; singletons c, d -> 0
    assert z.tolist() == [-1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_standardized_weights_tie_with_inexact_mean_is_exactly_zero():
    # mean of three 0.1's is not exactly 0.1 in floating point; the weights must still be exactly 0.
    z = standardized_weights(torch.tensor([0.1, 0.1, 0.1]), [0, 0, 0])
    assert z.tolist() == [0.0, 0.0, 0.0]


def test_standardized_weights_group_length_mismatch():
    with pytest.raises(ValueError, match="group_ids has 1 entries"):
        standardized_weights(torch.tensor([1.0, 2.0]), ["a"])


def test_sequence_nll():
    assert sequence_nll(NLL, MASK).tolist() == [6.0, 9.0]


def test_rw_sequence_normalization():
    w = torch.tensor([0.5, 2.0], dtype=torch.float64)
    # (0.5*6 + 2*9) / (0.5 + 2) = 21 / 2.5 = 8.4
    loss = weighted_nll_loss(NLL, MASK, w, "reward_weighted", "sequence")
    assert loss.item() == pytest.approx(8.4, abs=1e-12)


def test_rw_token_normalization():
    w = torch.tensor([0.5, 2.0], dtype=torch.float64)
    # (0.5*6 + 2*9) / (0.5*3 + 2*2) = 21 / 5.5
    loss = weighted_nll_loss(NLL, MASK, w, "reward_weighted", "token")
    assert loss.item() == pytest.approx(21 / 5.5, abs=1e-12)


def test_sw_sequence_normalization_divides_by_batch_size():
    z = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    # (-1*6 + 1*9) / N=2 = 1.5
    loss = weighted_nll_loss(NLL, MASK, z, "standardized", "sequence")
    assert loss.item() == pytest.approx(1.5, abs=1e-12)


def test_sw_token_normalization_divides_by_token_count():
    z = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    # (-6 + 9) / (3 + 2) = 0.6
    loss = weighted_nll_loss(NLL, MASK, z, "standardized", "token")
    assert loss.item() == pytest.approx(0.6, abs=1e-12)


def test_token_normalization_with_unit_weights_is_sft_loss_bit_for_bit():
    torch.manual_seed(0)
    nll = torch.rand(4, 7)
    mask = (torch.rand(4, 7) > 0.3).long()
    nll = nll * mask  # the fused head returns 0 on ignored positions
    sft = nll.sum() / mask.sum().clamp(min=1)
    numerator, denominator = weighted_nll_terms(nll, mask, torch.ones(4), "reward_weighted", "token")
    assert torch.equal(numerator / denominator.to(numerator.dtype), sft)


def test_terms_sum_over_micro_batches_equals_full_batch():
    w = torch.tensor([0.5, 2.0], dtype=torch.float64)
    for kind in ("reward_weighted", "standardized"):
        for norm in ("sequence", "token"):
            full = weighted_nll_loss(NLL, MASK, w, kind, norm)
            n0, d0 = weighted_nll_terms(NLL[:1], MASK[:1], w[:1], kind, norm)
            n1, d1 = weighted_nll_terms(NLL[1:], MASK[1:], w[1:], kind, norm)
            assert ((n0 + n1) / (d0 + d1)).item() == pytest.approx(full.item(), abs=1e-12)


def test_all_zero_rw_weights_give_zero_loss_and_zero_grad():
    nll = NLL.clone().requires_grad_(True)
    loss = weighted_nll_loss(nll, MASK, torch.zeros(2, dtype=torch.float64), "reward_weighted", "sequence")
    loss.backward()
    assert loss.item() == 0.0
    assert torch.count_nonzero(nll.grad) == 0


def test_unknown_normalization():
    with pytest.raises(ValueError, match="normalization must be one of"):
        weighted_nll_loss(NLL, MASK, torch.ones(2), "reward_weighted", "mean")  # type: ignore[arg-type]


def test_weighted_sigmoid_dpo_loss_values():
    chosen = torch.tensor([1.0, 0.0], dtype=torch.float64)
    rejected = torch.tensor([0.0, 2.0], dtype=torch.float64)
    # logits = 0.5 * ([1, -2]) = [0.5, -1]; loss = -log(sigmoid(logits)) = log(1 + exp(-logits))
    loss = weighted_sigmoid_dpo_loss(chosen, rejected, beta=0.5)
    expected = torch.tensor([math.log1p(math.exp(-0.5)), math.log1p(math.exp(1.0))], dtype=torch.float64)
    assert torch.allclose(loss, expected, rtol=1e-12, atol=0)
    # weights [1, 3]: (1*l0 + 3*l1) / 4
    mean = weighted_mean(loss, torch.tensor([1.0, 3.0], dtype=torch.float64))
    assert mean.item() == pytest.approx((expected[0] + 3 * expected[1]).item() / 4, abs=1e-12)
    assert weighted_mean(loss).item() == pytest.approx(expected.mean().item(), abs=1e-12)


def test_weighted_sigmoid_dpo_label_smoothing():
    # ls = 0.1, logits = 0.1 * 2 = 0.2: 0.9*log(1+e^-0.2) + 0.1*log(1+e^0.2)
    loss = weighted_sigmoid_dpo_loss(torch.tensor([2.0]), torch.tensor([0.0]), beta=0.1, label_smoothing=0.1)
    expected = 0.9 * math.log1p(math.exp(-0.2)) + 0.1 * math.log1p(math.exp(0.2))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_dpo_rejects_bad_beta():
    with pytest.raises(ValueError, match="beta must be > 0"):
        weighted_sigmoid_dpo_loss(torch.zeros(1), torch.zeros(1), beta=0.0)


def test_safe_divide_zero():
    assert safe_divide(torch.tensor(3.0), 0).item() == 0.0
    assert safe_divide(torch.tensor(3.0), 2).item() == 1.5


def test_dpo_pair_losses_exact_values():
    import math

    from trl_styling.losses import PER_PAIR_DPO_LOSSES, dpo_pair_losses

    def s(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    # c = 1, r = -1, beta = 0.5: b d = 1, b c = 0.5, b r = -0.5; lengths 2 and 4: c/2 - r/4 = 0.75
    c, r, lengths = torch.tensor([1.0]), torch.tensor([-1.0]), (torch.tensor([2.0]), torch.tensor([4.0]))
    m = s(1 / 0.05)
    expected = {
        "sigmoid": -math.log(s(1)),
        "hinge": 0.0,
        "ipo": (0.75 - 1 / (2 * 0.5)) ** 2,
        "exo_pair": s(1) * (math.log(s(1)) - math.log(0.9)) + s(-1) * (math.log(s(-1)) - math.log(0.1)),
        "nca_pair": -math.log(s(0.5)) - 0.5 * math.log(s(-0.5)) - 0.5 * math.log(s(0.5)),
        "robust": (-(0.9) * math.log(s(1)) + 0.1 * math.log(s(-1))) / 0.8,
        "bco_pair": -math.log(s(0.5)) - math.log(s(0.5)),
        "sppo_hard": (1 - 0.5 / 0.5) ** 2 + (-1 + 0.5 / 0.5) ** 2,
        "apo_zero": (1 - s(0.5)) + s(-0.5),
        "apo_down": s(0.5) + (1 - s(1)),
        "discopop": -math.log(s(1)) * (1 - m) + math.exp(-1) * m,
        "sigmoid_norm": -math.log(s(0.5 * 0.75)),
    }
    assert set(expected) == set(PER_PAIR_DPO_LOSSES)
    for loss_type, value in expected.items():
        got = dpo_pair_losses(
            loss_type, c, r, 0.5, label_smoothing=0.1, chosen_lengths=lengths[0], rejected_lengths=lengths[1]
        )
        assert got.item() == pytest.approx(value, rel=1e-6, abs=1e-7), loss_type
    with pytest.raises(ValueError, match="'aot' has no per-pair form"):
        dpo_pair_losses("aot", c, r, 0.5)
    with pytest.raises(ValueError, match="'ipo' needs chosen_lengths and rejected_lengths"):
        dpo_pair_losses("ipo", c, r, 0.5)
