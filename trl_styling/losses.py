"""Pure tensor functions for reward-aware training (paper App. E.2, F.6, I.3).

Everything here is a function of tensors with no trainer state, so each formula is tested on
literal values. Trainers compute the weights once over the whole dataset, carry them as a column,
and call the reductions with denominators taken over the gradient-accumulation window.

Notation: ``r_i`` reward of trajectory ``i``, ``w_i`` its weight, ``l_it`` the NLL of its ``t``-th
completion token, ``L_i = sum_t l_it`` and ``n_i`` its number of completion tokens.

Reductions (``normalization``):

* ``"sequence"`` (paper, App. E.2): RW ``sum_i w_i L_i / sum_i w_i``; SW ``sum_i z_i L_i / N``.
* ``"token"``: RW ``sum_i w_i sum_t l_it / sum_i w_i n_i``; SW ``sum_i z_i sum_t l_it / sum_i n_i``.
  With equal weights this is exactly ``SFTTrainer``'s loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

Normalization = Literal["sequence", "token"]
WeightKind = Literal["reward_weighted", "standardized"]
NORMALIZATIONS: tuple[str, ...] = ("sequence", "token")


def reward_weights(rewards: torch.Tensor, baseline: float = 3.0) -> torch.Tensor:
    """RW weights ``w_i = max(r_i - baseline, 0)`` (paper I.3: baseline 3.0)."""
    rewards = torch.as_tensor(rewards, dtype=torch.float64)
    check_finite(rewards, "rewards")
    return torch.clamp(rewards - baseline, min=0.0)


def standardized_weights(
    rewards: torch.Tensor,
    group_ids: Sequence[object] | torch.Tensor | None = None,
    eps: float = 1e-6,
) -> torch.Tensor:
    """SW weights: z-scores ``z_i = (r_i - mu) / sigma``, used directly as (signed) weights.

    ``group_ids=None`` standardises over all rewards (paper 4.5); otherwise ``mu`` and ``sigma`` are
    taken per group of same-input rollouts (paper F.6). ``sigma`` is the population standard
    deviation (ddof=0), so a group of two rollouts gets weights -1 and +1.

    A group whose ``sigma <= eps`` — every singleton group, and any group whose rollouts scored the
    same — carries no information about which rollout is better, so all its weights are exactly 0
    (its trajectories do not move the model). The same holds globally when all rewards are equal.
    """
    rewards = torch.as_tensor(rewards, dtype=torch.float64)
    check_finite(rewards, "rewards")
    if rewards.ndim != 1:
        raise ValueError(f"rewards must be 1-D, got shape {tuple(rewards.shape)}.")
    if group_ids is None:
        index = torch.zeros_like(rewards, dtype=torch.long)
    else:
        index = _group_index(group_ids, len(rewards))
    num_groups = int(index.max()) + 1 if len(rewards) else 0
    counts = torch.zeros(num_groups, dtype=torch.float64).index_add_(0, index, torch.ones_like(rewards))
    means = torch.zeros(num_groups, dtype=torch.float64).index_add_(0, index, rewards) / counts
    centered = rewards - means[index]
    variances = torch.zeros(num_groups, dtype=torch.float64).index_add_(0, index, centered**2) / counts
    stds = variances.sqrt()[index]
    informative = stds > eps
    return torch.where(informative, centered / torch.where(informative, stds, 1.0), torch.zeros_like(rewards))


def weighted_nll_terms(
    per_token_nll: torch.Tensor,
    token_mask: torch.Tensor,
    weights: torch.Tensor,
    kind: WeightKind,
    normalization: Normalization,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Numerator and denominator contributions of one micro-batch.

    ``per_token_nll`` and ``token_mask`` are ``(B, T)``; ``weights`` is ``(B,)``. The loss over a
    window of micro-batches (and processes) is ``sum(numerators) / sum(denominators)``, which is why
    the two parts are returned separately: the trainer sums denominators over the whole window
    before any backward pass.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}.")
    mask = token_mask.to(per_token_nll.dtype)
    weights = weights.to(per_token_nll.dtype)
    # Multiply per token before summing so that weights of 1 reproduce SFT's reduction bit for bit.
    numerator = (per_token_nll * mask * weights[:, None]).sum()
    return numerator, weight_denominator(token_mask, weights, kind, normalization)


def weight_denominator(
    token_mask: torch.Tensor, weights: torch.Tensor, kind: WeightKind, normalization: Normalization
) -> torch.Tensor:
    """Denominator contribution of one micro-batch: ``w_i`` / ``1`` / ``w_i n_i`` / ``n_i`` summed over rows."""
    num_tokens = token_mask.sum(dim=1).to(torch.float64)
    weights = weights.to(torch.float64)
    if kind == "reward_weighted":
        per_row = weights if normalization == "sequence" else weights * num_tokens
    elif kind == "standardized":
        per_row = torch.ones_like(weights) if normalization == "sequence" else num_tokens
    else:
        raise ValueError(f"kind must be 'reward_weighted' or 'standardized', got {kind!r}.")
    return per_row.sum()


def weighted_nll_loss(
    per_token_nll: torch.Tensor,
    token_mask: torch.Tensor,
    weights: torch.Tensor,
    kind: WeightKind,
    normalization: Normalization = "sequence",
) -> torch.Tensor:
    """The full weighted loss of one batch (numerator / denominator, 0 when the denominator is 0)."""
    numerator, denominator = weighted_nll_terms(per_token_nll, token_mask, weights, kind, normalization)
    return safe_divide(numerator, denominator)


def safe_divide(numerator: torch.Tensor, denominator: torch.Tensor | float) -> torch.Tensor:
    """``numerator / denominator``; a zero denominator (e.g. every RW weight is 0) gives a zero loss with zero grad."""
    denominator = torch.as_tensor(denominator, dtype=numerator.dtype, device=numerator.device)
    if bool(denominator == 0):
        return numerator * 0.0
    return numerator / denominator


@dataclass(frozen=True)
class TokenTerms:
    """Per-token terms of a causal LM, shifted by one as TRL's fused LM head returns them (each ``(B, T-1)``)."""

    log_probs: torch.Tensor  # log p(label), 0 on ignored positions
    label_mask: torch.Tensor  # label != -100
    entropy: torch.Tensor  # of the next-token distribution, 0 on ignored positions (no gradient)
    is_top1: torch.Tensor  # the label is the most likely token (no gradient)
    aux_loss: torch.Tensor | None = None  # a mixture-of-experts model's router loss, when it returns one


def token_terms(logits: torch.Tensor, labels: torch.Tensor) -> TokenTerms:
    """The fused LM head's per-token outputs, computed from the full ``(B, T, V)`` logits instead.

    TRL's fused head (``trl.trainer.utils.add_fused_lm_head``) projects in tiles and recomputes them in the
    backward pass, which saves memory at a 150k vocabulary but costs 40% of a CPU step at a 2k one
    (``docs/benchmarks.md``); with full logits the same terms cost one log-softmax.
    """
    logits, labels = logits[:, :-1], labels[:, 1:]
    mask = labels != -100
    # one log-softmax serves the loss and the metrics (a second one for the entropy cost 10% of a CPU step)
    log_softmax = logits.float().log_softmax(dim=-1)
    picked = log_softmax.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    log_probs = torch.where(mask, picked, torch.zeros_like(picked))
    with torch.no_grad():
        detached = log_softmax.detach()
        entropy = -(detached.exp() * detached).sum(dim=-1) * mask
        is_top1 = (detached.argmax(dim=-1) == labels) & mask
    return TokenTerms(log_probs, mask, entropy, is_top1)


def sequence_nll(per_token_nll: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
    """``L_i``: summed completion-token NLL per sequence."""
    return (per_token_nll * token_mask.to(per_token_nll.dtype)).sum(dim=1)


def weighted_sigmoid_dpo_loss(
    chosen_logratios: torch.Tensor,
    rejected_logratios: torch.Tensor,
    beta: float,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Per-pair sigmoid DPO loss ``-(1-ls) log s(b*d) - ls log s(-b*d)`` with ``d = chosen - rejected`` log-ratios.

    Returns one value per pair; the trainer reduces with pair weights via `weighted_mean`.
    """
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}.")
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing}.")
    logits = beta * (chosen_logratios - rejected_logratios)
    return -(1 - label_smoothing) * F.logsigmoid(logits) - label_smoothing * F.logsigmoid(-logits)


# TRL's DPO loss types with one loss per (chosen, rejected) pair, which pair weights can reduce. TRL's "aot" and
# "aot_unpaired" sort the batch (a pair's loss depends on the others) and "sft" is a token mean: not per pair.
PER_PAIR_DPO_LOSSES: tuple[str, ...] = (
    "sigmoid",
    "hinge",
    "ipo",
    "exo_pair",
    "nca_pair",
    "robust",
    "bco_pair",
    "sppo_hard",
    "apo_zero",
    "apo_down",
    "discopop",
    "sigmoid_norm",
)


def dpo_pair_losses(
    loss_type: str,
    chosen_logratios: torch.Tensor,
    rejected_logratios: torch.Tensor,
    beta: float,
    *,
    label_smoothing: float = 0.0,
    chosen_lengths: torch.Tensor | None = None,
    rejected_lengths: torch.Tensor | None = None,
    discopop_tau: float = 0.05,
) -> torch.Tensor:
    """One DPO loss per pair, for each loss type of TRL's `DPOTrainer` that has one (`PER_PAIR_DPO_LOSSES`).

    With ``c``, ``r`` the chosen and rejected log-ratios (policy minus reference, summed over the completion),
    ``d = c - r``, ``b = beta``, ``s`` the sigmoid and ``ls = label_smoothing``:

    ==============  ==========================================================================================
    sigmoid         ``-log s(b d)`` (DPO)
    hinge           ``max(0, 1 - b d)`` (SLiC)
    ipo             ``(c / n_c - r / n_r - 1 / (2 b))^2`` with the completion lengths ``n`` (IPO, per token)
    exo_pair        ``s(b d) (log s(b d) - log(1 - ls)) + s(-b d) (log s(-b d) - log ls)`` (EXO, needs ls > 0)
    nca_pair        ``-log s(b c) - log s(-b c) / 2 - log s(-b r) / 2`` (NCA)
    robust          ``(-(1 - ls) log s(b d) + ls log s(-b d)) / (1 - 2 ls)`` (robust DPO)
    bco_pair        ``-log s(b c) - log s(-b r)`` (BCO)
    sppo_hard       ``(c - 1 / (2 b))^2 + (r + 1 / (2 b))^2`` (SPPO, hard labels)
    apo_zero        ``1 - s(b c) + s(b r)`` (APO-zero)
    apo_down        ``s(b c) + 1 - s(b d)`` (APO-down)
    discopop        ``(1 - m) (-log s(b d)) + m exp(-b d)`` with ``m = s(b d / tau)`` (DiscoPOP)
    sigmoid_norm    ``-log s(b (c / n_c - r / n_r))`` (length-normalised DPO)
    ==============  ==========================================================================================

    Args:
        loss_type: One of `PER_PAIR_DPO_LOSSES`.
        chosen_logratios: ``c``, one per pair.
        rejected_logratios: ``r``, one per pair.
        beta: ``b`` (> 0).
        label_smoothing: ``ls`` of ``exo_pair`` and ``robust`` (the others ignore it, as TRL's do).
        chosen_lengths: Completion tokens of each chosen answer (``ipo``, ``sigmoid_norm``; at least 1 is used).
        rejected_lengths: Completion tokens of each rejected answer (``ipo``, ``sigmoid_norm``).
        discopop_tau: ``tau`` of ``discopop``.

    Returns:
        One loss per pair; a trainer reduces them with the pair weights.

    Raises:
        ValueError: For a loss type that is not per pair, or ``beta <= 0``, or missing lengths.
    """
    if loss_type not in PER_PAIR_DPO_LOSSES:
        raise ValueError(
            f"loss_type {loss_type!r} has no per-pair form that pair weights could reduce; per-pair types: "
            f"{', '.join(PER_PAIR_DPO_LOSSES)}."
        )
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}.")
    c, r = chosen_logratios, rejected_logratios
    logits = beta * (c - r)
    if loss_type == "sigmoid":
        return -F.logsigmoid(logits)
    if loss_type == "hinge":
        return torch.relu(1 - logits)
    if loss_type in ("ipo", "sigmoid_norm"):
        if chosen_lengths is None or rejected_lengths is None:
            raise ValueError(f"loss_type {loss_type!r} needs chosen_lengths and rejected_lengths.")
        per_token = c / chosen_lengths.clamp(min=1.0) - r / rejected_lengths.clamp(min=1.0)
        return (per_token - 1 / (2 * beta)) ** 2 if loss_type == "ipo" else -F.logsigmoid(beta * per_token)
    if loss_type == "exo_pair":
        epsilon = torch.tensor(label_smoothing, device=c.device)
        chosen_term = torch.sigmoid(logits) * (F.logsigmoid(logits) - torch.log1p(-epsilon))
        return chosen_term + torch.sigmoid(-logits) * (F.logsigmoid(-logits) - torch.log(epsilon))
    if loss_type == "nca_pair":
        return -F.logsigmoid(beta * c) - 0.5 * F.logsigmoid(-beta * c) - 0.5 * F.logsigmoid(-beta * r)
    if loss_type == "robust":
        clean = -(1 - label_smoothing) * F.logsigmoid(logits)
        flipped = -label_smoothing * F.logsigmoid(-logits)
        return (clean - flipped) / (1 - 2 * label_smoothing)
    if loss_type == "bco_pair":
        return -F.logsigmoid(beta * c) - F.logsigmoid(-beta * r)
    if loss_type == "sppo_hard":
        return (c - 0.5 / beta) ** 2 + (r + 0.5 / beta) ** 2
    if loss_type == "apo_zero":
        return (1 - torch.sigmoid(beta * c)) + torch.sigmoid(beta * r)
    if loss_type == "apo_down":
        return torch.sigmoid(beta * c) + (1 - torch.sigmoid(logits))
    modulation = torch.sigmoid(logits / discopop_tau)  # discopop
    return -F.logsigmoid(logits) * (1 - modulation) + torch.exp(-logits) * modulation


def weighted_mean(values: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``sum_i w_i v_i / sum_i w_i`` (plain mean without weights); 0 when all weights are 0."""
    if weights is None:
        return values.mean()
    weights = weights.to(values.dtype)
    return safe_divide((values * weights).sum(), weights.sum())


def _group_index(group_ids: Sequence[object] | torch.Tensor, length: int) -> torch.Tensor:
    ids = group_ids.tolist() if isinstance(group_ids, torch.Tensor) else list(group_ids)
    if len(ids) != length:
        raise ValueError(f"group_ids has {len(ids)} entries but rewards has {length}.")
    mapping: dict[object, int] = {}
    return torch.tensor([mapping.setdefault(g, len(mapping)) for g in ids], dtype=torch.long)


def check_finite(values: torch.Tensor, name: str) -> None:
    """Raises a ValueError naming ``name`` and the first non-finite positions."""
    if not torch.isfinite(values).all():
        bad = (~torch.isfinite(values)).nonzero().flatten()[:5].tolist()
        raise ValueError(f"{name} must be finite; non-finite values at positions {bad}.")
