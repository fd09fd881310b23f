"""Steps every training script takes around ``trainer.train()``: build the method's trainer (from the method
registry), say where each process is, then train, save the weights and the files a planner needs beside them (the
model card and the prompt settings), and push."""

from __future__ import annotations

from typing import Any

from datasets import Dataset

from trl_styling.data import reward_statistics
from trl_styling.scripts_support.arguments import StylingScriptArguments
from trl_styling.scripts_support.data import dataset_variant
from trl_styling.scripts_support.model_card import PlannerCardInfo, training_hyperparameters
from trl_styling.trainers.methods import get_training_method


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
    *,
    data_summary: dict[str, Any] | None = None,
    extra_settings: dict[str, Any] | None = None,
) -> PlannerCardInfo:
    """The card of this run; installed on the trainer, so ``push_to_hub`` and checkpoints write it too.

    Args:
        method: A key of the method registry; its ``card_settings`` are read from ``trainer.args``.
        trainer: The run's trainer.
        script_args: The script's dataset and prompt arguments.
        model_args: TRL's ``ModelConfig`` of the run.
        trajectories: The raw training split (its reward statistics go into the card).
        data_summary: What the trainer used (e.g. its weight statistics).
        extra_settings: Method settings that live outside the trainer's config (e.g. how DPO's pairs were built).
    """
    method_settings = {**get_training_method(method).settings_of(trainer.args), **(extra_settings or {})}
    info = PlannerCardInfo(
        method=method,
        base_model=model_args.model_name_or_path,
        dataset_name=script_args.dataset_name,
        dataset_variant=dataset_variant(trajectories, script_args),
        train_split=script_args.dataset_train_split,
        reward_statistics=reward_statistics(trajectories),
        method_settings=method_settings,
        prompt=script_args.prompt,
        hyperparameters=training_hyperparameters(trainer.args, model_args),
        data_summary=dict(data_summary or {}),
        is_adapter=bool(model_args.use_peft),
    )
    trainer.styling_card = info  # the trainer's create_model_card writes it (save, push_to_hub, checkpoints)
    return info


def write_planner_files(trainer: Any, script_args: StylingScriptArguments) -> None:
    """After ``save_model``: the card (README.md) and ``styling_planner.json``, written by the main process."""
    if trainer.is_world_process_zero():
        script_args.prompt.save(trainer.args.output_dir)
        trainer.create_model_card()
    trainer.accelerator.wait_for_everyone()


def train_and_save(trainer: Any, script_args: StylingScriptArguments, training_args: Any) -> None:
    """``train`` (resuming when asked), ``save_model``, the planner files, then ``push_to_hub`` when asked."""
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    write_planner_files(trainer, script_args)
    trainer.accelerator.print(f"Model, card and prompt settings saved to {training_args.output_dir}.")
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=script_args.dataset_name)
        trainer.accelerator.print(f"Model pushed to https://huggingface.co/{trainer.hub_model_id}.")


def build_weighted_sft_trainer(
    method: str, script_args: StylingScriptArguments, training_args: Any, model_args: Any
) -> tuple[Any, Dataset]:
    """The trainer of an SFT-family ``method`` (S, R, RW, SW) on the script's dataset, and the raw train split.

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
    trainer = get_training_method(method).trainer_class(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=prompt_completion(trajectories, script_args),
        eval_dataset=eval_dataset,
        peft_config=get_peft_config(model_args),
    )
    return trainer, trajectories
