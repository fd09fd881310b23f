"""Steps every training script takes around ``trainer.train()``: say where each process is, then save the files
a planner needs beside its weights (the model card and the prompt settings)."""

from __future__ import annotations

from typing import Any

from datasets import Dataset

from trl_styling.data import reward_statistics
from trl_styling.scripts_support.arguments import StylingScriptArguments
from trl_styling.scripts_support.data import dataset_variant, save_planner_settings
from trl_styling.scripts_support.model_card import PlannerCardInfo, training_hyperparameters, use_styling_model_card


def announce_process(trainer: Any, what: str) -> None:
    """One line per process (not only the main one), so a multi-process launch shows every rank started."""
    state = trainer.accelerator.state
    print(f"[rank {state.process_index}/{state.num_processes}] {what}", flush=True)


def planner_card_info(
    method: str,
    trainer: Any,
    script_args: StylingScriptArguments,
    model_args: Any,
    trajectories: Dataset,
    method_settings: dict[str, Any],
    data_summary: dict[str, Any] | None = None,
) -> PlannerCardInfo:
    """The card of this run; installed on the trainer, so ``push_to_hub`` and checkpoints write it too."""
    info = PlannerCardInfo(
        method=method,
        base_model=model_args.model_name_or_path,
        dataset_name=script_args.dataset_name,
        dataset_variant=dataset_variant(trajectories, script_args),
        train_split=script_args.dataset_train_split,
        reward_statistics=reward_statistics(trajectories),
        method_settings=method_settings,
        prompt_settings=script_args.prompt_settings(),
        hyperparameters=training_hyperparameters(trainer.args, model_args),
        data_summary=dict(data_summary or {}),
        is_adapter=bool(model_args.use_peft),
    )
    use_styling_model_card(trainer, info)
    return info


def write_planner_files(trainer: Any, script_args: StylingScriptArguments) -> None:
    """After ``save_model``: the card (README.md) and ``styling_planner.json``, written by the main process."""
    if trainer.is_world_process_zero():
        save_planner_settings(trainer.args.output_dir, script_args.prompt_settings())
        trainer.create_model_card()
    trainer.accelerator.wait_for_everyone()


def build_weighted_sft_trainer(
    trainer_cls: type, script_args: StylingScriptArguments, training_args: Any, model_args: Any
) -> tuple[Any, Dataset]:
    """A `StylingSFTTrainer` (or subclass: RW, SW) on the script's dataset; returns it and the raw train split.

    The model is given by name, so TRL loads it with ``model_init_kwargs`` and wraps it with the LoRA config.
    """
    from trl import get_peft_config

    from trl_styling.scripts_support.data import load_trajectory_split, model_init_kwargs, prompt_completion

    training_args.model_init_kwargs = model_init_kwargs(model_args, training_args)
    trajectories = load_trajectory_split(script_args, script_args.dataset_train_split)
    eval_dataset = None
    if training_args.eval_strategy != "no":
        eval_dataset = prompt_completion(
            load_trajectory_split(script_args, script_args.dataset_eval_split), script_args
        )
    trainer = trainer_cls(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=prompt_completion(trajectories, script_args),
        eval_dataset=eval_dataset,
        peft_config=get_peft_config(model_args),
    )
    return trainer, trajectories
