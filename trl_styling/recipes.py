"""Every training method of the paper from one starting checkpoint with one budget.

The recipe shared by ``make quickstart`` (`trl_styling.quickstart`) and the method comparison
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

from trl_styling.prompt import PlannerPrompt


def method_arguments(method: str, settings: RecipeSettings) -> dict[str, Any]:
    """The recipe's value of ``method``'s defining config field(s); a method the recipe has no knob for trains with
    its config's defaults."""
    knobs = {
        "S": {"min_reward": settings.s_min_reward},
        "R": {"min_reward": settings.r_min_reward},
        "RW": {"reward_baseline": settings.rw_baseline},
        "SW": {"sft_anchor": settings.sw_anchor},
        "DPO": {"beta": settings.dpo_beta},
    }
    return knobs.get(method, {})


@dataclass
class RecipeSettings:
    """The shared budget and each method's defining knobs (paper values by default)."""

    steps: int = 100
    learning_rate: float = 3e-3
    batch_size: int = 8
    seed: int = 0
    # How every planner is prompted, in training and at evaluation: compact text plans, tool names listed.
    prompt: PlannerPrompt = PlannerPrompt(plan_format="text", tool_specs="names")
    loss_normalization: str = "sequence"  # the paper's (App. E.2); "token" is SFTTrainer's
    s_min_reward: float = 1.0
    r_min_reward: float = 3.5
    rw_baseline: float = 3.0
    sw_anchor: float = 0.0
    dpo_beta: float = 0.1
    dpo_chosen_min: float = 4.0
    dpo_rejected_max: float = 3.5
    dpo_min_gap: float = 0.5
    # TRL's fused LM head saves memory at a 150k vocabulary; at the tiny planners' 2k it costs 1.4x a CPU step.
    fused_lm_head: bool = False
    # DPO moves the policy through log-ratios, not likelihoods; it is usually run at a lower rate than SFT.
    dpo_learning_rate: float | None = None
    logging_steps: int | None = None
    progress: bool = True
    # LoRA adapters instead of full fine-tuning (the paper's r, alpha and dropout on the attention projections);
    # with it DPO's reference is the adapter-disabled base and train_method saves the adapter only.
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    # Where load_planner puts the planner: "cpu", "cuda", ... or "auto" (CUDA when available).
    planner_device: str = "cpu"
    # bf16 mixed precision (a GPU's; fp32 master weights): half the activation memory, faster matrix products.
    bf16: bool = False

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {self.steps} and {self.batch_size}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}.")


def _common_arguments(out_dir: Path, settings: RecipeSettings, learning_rate: float) -> dict[str, Any]:
    steps = settings.steps
    return dict(
        output_dir=str(out_dir),
        report_to="none",
        bf16=settings.bf16,
        save_strategy="no",
        seed=settings.seed,
        max_steps=steps,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=max(1, steps // 10),
        weight_decay=0.01,
        logging_steps=settings.logging_steps or max(1, steps // 5),
        disable_tqdm=not settings.progress,
        gradient_checkpointing=False,
    )


def lora_config(settings: RecipeSettings) -> Any:
    """The ``peft.LoraConfig`` of ``settings`` (causal LM, no bias, the settings' target modules)."""
    from peft import LoraConfig

    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=list(settings.lora_target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def build_trainer(
    method: str,
    model: Any,
    tokenizer: Any,
    trajectories: Any,
    library: Any,
    out_dir: Path,
    settings: RecipeSettings,
    ref_model: Any = None,
) -> Any:
    """The trainer of ``method`` on a trajectory split (rows of `TRAJECTORY_FEATURES`).

    With ``settings.lora`` every trainer gets ``peft_config=```lora_config` and trains LoRA adapters on the
    frozen ``model``; DPO then needs no ``ref_model`` (its reference is the model with the adapter disabled)."""
    from trl_styling.data import build_preference_pairs, to_prompt_completion_dataset
    from trl_styling.trainers import get_training_method

    spec = get_training_method(method)
    peft: dict[str, Any] = {}
    if settings.lora:
        if ref_model is not None:
            raise ValueError("With lora=True DPO's reference is the adapter-disabled base model; pass ref_model=None.")
        peft["peft_config"] = lora_config(settings)
    knobs = method_arguments(method, settings)
    if spec.data == "pairs":
        pairs = build_preference_pairs(
            trajectories,
            settings.dpo_chosen_min,
            settings.dpo_rejected_max,
            settings.dpo_min_gap,
            library=library,
            prompt=settings.prompt,
        )
        if len(pairs) == 0:
            raise ValueError(
                f"{method}: the training split has no preference pairs; see build_preference_pairs' warning."
            )
        learning_rate = settings.dpo_learning_rate or settings.learning_rate
        args = spec.config_class(**_common_arguments(out_dir, settings, learning_rate), max_length=None, **knobs)
        return spec.trainer_class(
            model, ref_model=ref_model, args=args, train_dataset=pairs, processing_class=tokenizer, **peft
        )
    train = to_prompt_completion_dataset(trajectories, library, prompt=settings.prompt)
    args = spec.config_class(
        **_common_arguments(out_dir, settings, settings.learning_rate),
        max_length=None,
        loss_normalization=settings.loss_normalization,
        fused_lm_head=settings.fused_lm_head,
        **knobs,
    )
    return spec.trainer_class(model, args=args, train_dataset=train, processing_class=tokenizer, **peft)


def build_initial_planner(
    out_dir: str | Path,
    trajectories: Any,
    library: Any,
    settings: RecipeSettings,
    *,
    hidden_size: int,
    num_layers: int,
    vocab_size: int,
    whole_identifiers: bool = True,
) -> Path:
    """A tiny Qwen3 built from a config (seeded by ``settings.seed``) whose BPE tokenizer is fitted to the training
    texts as the recipe renders them, so it is as compact on them as a pretrained tokenizer would be.

    With ``whole_identifiers`` every tool name, parameter name and enumerated value of the library is one token
    (`identifiers`). Byte-level BPE cannot merge across ``_``, so without it
    ``bedroom_interior`` is three tokens and a tiny planner recombines the pieces into values the library does not
    have (``serene_dark``); measured in ``docs/benchmarks.md``."""
    from trl_styling.data import to_prompt_completion_dataset
    from trl_styling.testing import build_tiny_qwen3
    from trl_styling.tools import resolve_library

    rows = to_prompt_completion_dataset(trajectories, library, prompt=settings.prompt)
    rows = rows.filter(lambda row: not row["judge_failed"])  # the texts a planner is trained on
    corpus = [message["content"] for row in rows for message in row["prompt"] + row["completion"]]
    words = resolve_library(library).identifiers() if whole_identifiers else ()
    return build_tiny_qwen3(
        out_dir,
        seed=settings.seed,
        hidden_size=hidden_size,
        num_layers=num_layers,
        intermediate_size=4 * hidden_size,
        vocab_size=vocab_size,
        corpus=corpus,
        whole_words=words,
    )


# The warm-up corpus is generated with this offset added to the run's seed: other base images and goals.
WARMUP_SEED_OFFSET = 10_000


def generate_warmup_corpus(
    out_dir: str | Path,
    variant: str,
    *,
    num_groups: int,
    seed: int,
    image_size: int = 64,
    num_workers: int = 1,
    progress: bool = True,
    **world: Any,
) -> Any:
    """The format warm-up's corpus: the rule teacher's trajectories on groups disjoint from the run's data
    (generated with ``seed + WARMUP_SEED_OFFSET``), all splits in one `Dataset`.

    It stands in for the pretraining a real planner (Qwen3-VL) starts from: B learns the plan format and the
    tools there, never the run's goals, so every method's gain over B is learnt from the scored data alone.
    ``world`` takes `GenerationConfig`'s noise settings (``teacher_noise``, ...)."""
    from datasets import concatenate_datasets, load_from_disk

    from trl_styling.pipeline import GenerationConfig, generate_dataset

    generate_dataset(
        GenerationConfig(
            variant=variant,
            num_groups=num_groups,
            rollouts=3,
            seed=seed + WARMUP_SEED_OFFSET,
            out_dir=str(out_dir),
            image_size=image_size,
            num_workers=num_workers,
            overwrite=True,
            progress=progress,
            **world,
        )
    )
    splits = load_from_disk(str(out_dir))
    return concatenate_datasets([splits[name] for name in splits])


def train_method(
    method: str, base_dir: str | Path, trajectories: Any, library: Any, out_dir: str | Path, settings: RecipeSettings
) -> Path:
    """Trains ``method`` from the checkpoint in ``base_dir``; saves model and tokenizer to ``out_dir``.

    With ``settings.lora`` only the LoRA adapter is saved (``adapter_config.json`` names ``base_dir`` as an absolute
    path); `load_planner` loads either kind of directory."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out_dir = Path(out_dir)
    if settings.lora:  # the adapter records where its base is: make that independent of the working directory
        base_dir = str(Path(base_dir).resolve())
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    ref_model = AutoModelForCausalLM.from_pretrained(base_dir) if method == "DPO" and not settings.lora else None
    trainer = build_trainer(method, model, tokenizer, trajectories, library, out_dir, settings, ref_model)
    statistics = getattr(trainer, "weight_statistics", None)
    if statistics:
        print(f"[{method}] weights: {statistics['train'].to_dict()}")
    trainer.train()
    trainer.save_model(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    settings.prompt.save(out_dir)  # how to prompt it (PlannerPrompt.load), as the example scripts save it
    return out_dir


def load_planner(
    model_dir: str | Path,
    library: Any,
    settings: RecipeSettings,
    *,
    temperature: float = 0.0,
    max_new_tokens: int = 512,
    max_retries: int = 2,
    repair: bool = False,
    constrained: bool = False,
    ground_sources: bool = False,
) -> Any:
    """An `HFPlanner` prompted as in training (greedy by default, for evaluation;
    ``repair`` snaps near-miss names and values onto the library, see `trl_styling.tools.repair`;
    ``constrained`` decodes with the library's plan grammar, see `trl_styling.tools.grammar`).
    ``model_dir`` is a full checkpoint or a LoRA adapter directory (loaded over its base and merged)."""
    import json

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trl_styling.agent import HFPlanner

    adapter = Path(model_dir) / "adapter_config.json"
    if adapter.is_file():
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(json.loads(adapter.read_text())["base_model_name_or_path"])
        model = PeftModel.from_pretrained(base, str(model_dir)).merge_and_unload().eval()
    else:
        model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    if settings.planner_device != "cpu":
        import torch

        auto = "cuda" if torch.cuda.is_available() else "cpu"
        model = model.to(auto if settings.planner_device == "auto" else settings.planner_device)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return HFPlanner(
        model,
        tokenizer,
        library,
        prompt=settings.prompt,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        max_retries=max_retries,
        repair=repair,
        constrained=constrained,
        ground_sources=ground_sources,
    )
