"""Every training method of the paper from one starting checkpoint with one budget.

The recipe shared by ``make quickstart`` (:mod:`trl_styling.quickstart`) and the method comparison
(``benchmarks/compare_methods.py``): a text planner (compact text plans, tool names in the prompt) trained
from a common checkpoint with the same steps, batch size, learning-rate schedule and seed for every method.
Only what defines a method differs:

======  ==========================================================================================
S       SFT on every trajectory with r >= 1 (only catastrophic rollouts dropped)
R       SFT on trajectories with r >= 3.5
RW      weights ``max(r - 3, 0)``, loss ``sum(w L) / sum(w)``
SW      group z-scores ``(r - mu_g) / sigma_g`` as weights (plus ``sw_anchor``; 0 is the paper's form)
DPO     sigmoid DPO on within-group pairs (chosen r >= 4, rejected r < 3.5, gap >= 0.5), weighted by the gap,
        reference = the starting checkpoint
======  ==========================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

METHODS: tuple[str, ...] = ("S", "R", "RW", "SW", "DPO")


@dataclass
class RecipeSettings:
    """The shared budget and each method's defining knobs (paper values by default)."""

    steps: int = 100
    learning_rate: float = 3e-3
    batch_size: int = 8
    seed: int = 0
    plan_format: str = "text"
    tool_specs: str = "names"
    loss_normalization: str = "token"
    s_min_reward: float = 1.0
    r_min_reward: float = 3.5
    rw_baseline: float = 3.0
    sw_anchor: float = 0.0
    dpo_beta: float = 0.1
    dpo_chosen_min: float = 4.0
    dpo_rejected_max: float = 3.5
    dpo_min_gap: float = 0.5
    # DPO moves the policy through log-ratios, not likelihoods; it is usually run at a lower rate than SFT.
    dpo_learning_rate: float | None = None
    logging_steps: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {self.steps} and {self.batch_size}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}.")


def _common_arguments(out_dir: Path, settings: RecipeSettings, learning_rate: float) -> dict[str, Any]:
    steps = settings.steps
    return dict(
        output_dir=str(out_dir), report_to="none", bf16=False, save_strategy="no", seed=settings.seed,
        max_steps=steps, per_device_train_batch_size=settings.batch_size, learning_rate=learning_rate,
        lr_scheduler_type="cosine", warmup_steps=max(1, steps // 10), weight_decay=0.01,
        logging_steps=settings.logging_steps or max(1, steps // 5), disable_tqdm=not settings.progress,
        gradient_checkpointing=False,
    )  # fmt: skip


def build_trainer(method: str, model: Any, tokenizer: Any, trajectories: Any, library: Any, out_dir: Path,
                  settings: RecipeSettings, ref_model: Any = None) -> Any:  # fmt: skip
    """The trainer of ``method`` on a trajectory split (rows of :data:`~trl_styling.data.TRAJECTORY_FEATURES`)."""
    from trl_styling import (
        RewardWeightedConfig,
        RewardWeightedTrainer,
        StandardizedRewardWeightedConfig,
        StandardizedRewardWeightedTrainer,
        StylingDPOConfig,
        StylingDPOTrainer,
        StylingSFTConfig,
        StylingSFTTrainer,
    )
    from trl_styling.data import build_preference_pairs, to_prompt_completion_dataset

    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; methods: {', '.join(METHODS)}.")
    if method == "DPO":
        pairs = build_preference_pairs(trajectories, settings.dpo_chosen_min, settings.dpo_rejected_max,
                                       settings.dpo_min_gap, library=library, plan_format=settings.plan_format,
                                       tool_specs=settings.tool_specs)  # fmt: skip
        if len(pairs) == 0:
            raise ValueError("DPO: the training split has no preference pairs; see build_preference_pairs' warning.")
        learning_rate = settings.dpo_learning_rate or settings.learning_rate
        args = StylingDPOConfig(**_common_arguments(out_dir, settings, learning_rate), beta=settings.dpo_beta,
                                max_length=None)  # fmt: skip
        return StylingDPOTrainer(model, ref_model=ref_model, args=args, train_dataset=pairs,
                                 processing_class=tokenizer)  # fmt: skip
    train = to_prompt_completion_dataset(trajectories, library, plan_format=settings.plan_format,
                                         tool_specs=settings.tool_specs)  # fmt: skip
    common = dict(**_common_arguments(out_dir, settings, settings.learning_rate), max_length=None,
                  loss_normalization=settings.loss_normalization)  # fmt: skip
    if method == "RW":
        trainer_cls, args = RewardWeightedTrainer, RewardWeightedConfig(**common, reward_baseline=settings.rw_baseline)
    elif method == "SW":
        trainer_cls = StandardizedRewardWeightedTrainer
        args = StandardizedRewardWeightedConfig(**common, sft_anchor=settings.sw_anchor)
    else:
        min_reward = settings.s_min_reward if method == "S" else settings.r_min_reward
        trainer_cls, args = StylingSFTTrainer, StylingSFTConfig(**common, min_reward=min_reward)
    return trainer_cls(model, args=args, train_dataset=train, processing_class=tokenizer)


def build_initial_planner(out_dir: str | Path, trajectories: Any, library: Any, settings: RecipeSettings, *,
                          hidden_size: int, num_layers: int, vocab_size: int,
                          whole_identifiers: bool = True) -> Path:  # fmt: skip
    """A tiny Qwen3 built from a config (seeded by ``settings.seed``) whose BPE tokenizer is fitted to the training
    texts as the recipe renders them, so it is as compact on them as a pretrained tokenizer would be.

    With ``whole_identifiers`` every tool name, parameter name and enumerated value of the library is one token
    (:meth:`~trl_styling.tools.ToolLibrary.identifiers`). Byte-level BPE cannot merge across ``_``, so without it
    ``bedroom_interior`` is three tokens and a tiny planner recombines the pieces into values the library does not
    have (``serene_dark``); measured in ``docs/benchmarks.md``."""
    from trl_styling.data import to_prompt_completion_dataset
    from trl_styling.testing import build_tiny_qwen3
    from trl_styling.tools import resolve_library

    rows = to_prompt_completion_dataset(trajectories, library, plan_format=settings.plan_format,
                                        tool_specs=settings.tool_specs)  # fmt: skip
    corpus = [message["content"] for row in rows for message in row["prompt"] + row["completion"]]
    words = resolve_library(library).identifiers() if whole_identifiers else ()
    return build_tiny_qwen3(out_dir, seed=settings.seed, hidden_size=hidden_size, num_layers=num_layers,
                            intermediate_size=4 * hidden_size, vocab_size=vocab_size, corpus=corpus,
                            whole_words=words)  # fmt: skip


# The warm-up corpus is generated with this offset added to the run's seed: other base images and goals.
WARMUP_SEED_OFFSET = 10_000


def generate_warmup_corpus(out_dir: str | Path, variant: str, *, num_groups: int, seed: int, image_size: int = 64,
                           num_workers: int = 1, progress: bool = True, **world: Any) -> Any:  # fmt: skip
    """The format warm-up's corpus: the rule teacher's trajectories on groups disjoint from the run's data
    (generated with ``seed + WARMUP_SEED_OFFSET``), all splits in one :class:`~datasets.Dataset`.

    It stands in for the pretraining a real planner (Qwen3-VL) starts from: B learns the plan format and the
    tools there, never the run's goals, so every method's gain over B is learnt from the scored data alone.
    ``world`` takes :class:`~trl_styling.pipeline.GenerationConfig`'s noise settings (``teacher_noise``, ...)."""
    from datasets import concatenate_datasets, load_from_disk

    from trl_styling.pipeline import GenerationConfig, generate_dataset

    generate_dataset(GenerationConfig(variant=variant, num_groups=num_groups, rollouts=3,
                                      seed=seed + WARMUP_SEED_OFFSET, out_dir=str(out_dir), image_size=image_size,
                                      num_workers=num_workers, overwrite=True, progress=progress,
                                      **world))  # fmt: skip
    splits = load_from_disk(str(out_dir))
    return concatenate_datasets([splits[name] for name in splits])


def train_method(method: str, base_dir: str | Path, trajectories: Any, library: Any, out_dir: str | Path,
                 settings: RecipeSettings) -> Path:  # fmt: skip
    """Trains ``method`` from the checkpoint in ``base_dir``; saves model and tokenizer to ``out_dir``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out_dir = Path(out_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    ref_model = AutoModelForCausalLM.from_pretrained(base_dir) if method == "DPO" else None
    trainer = build_trainer(method, model, tokenizer, trajectories, library, out_dir, settings, ref_model)
    statistics = getattr(trainer, "weight_statistics", None)
    if statistics:
        print(f"[{method}] weights: {statistics['train'].to_dict()}")
    trainer.train()
    trainer.save_model(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return out_dir


def load_planner(model_dir: str | Path, library: Any, settings: RecipeSettings, *, temperature: float = 0.0,
                 max_new_tokens: int = 512, max_retries: int = 2, repair: bool = False) -> Any:  # fmt: skip
    """An :class:`~trl_styling.agent.HFPlanner` prompted as in training (greedy by default, for evaluation;
    ``repair`` snaps near-miss names and values onto the library, see :mod:`trl_styling.tools.repair`)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trl_styling.agent import HFPlanner

    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return HFPlanner(model, tokenizer, library, plan_format=settings.plan_format, tool_specs=settings.tool_specs,
                     max_new_tokens=max_new_tokens, temperature=temperature, max_retries=max_retries,
                     repair=repair)  # fmt: skip
