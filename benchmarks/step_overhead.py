"""TRL's training step against a plain PyTorch step on the quickstart's planner and data, as a ratio.

Three steps on the same prepared batches, interleaved in one process (the order rotates each round, medians
of the repeats):

* ``plain``: ``model(input_ids, attention_mask, labels).loss.backward()`` + AdamW, the floor;
* ``trl (fused head)``: ``StylingSFTTrainer.training_step`` + AdamW with TRL's fused, tiled LM head, which
  ``SFTTrainer`` always uses (``fused_lm_head=True``);
* ``trl (full logits)``: the same step with ``fused_lm_head=False`` (the recipes' setting for tiny planners).

The first batch's loss of each TRL step is checked against the plain step's (token normalisation, equal
weights: the same quantity). The batches are the quickstart's training rows rendered with the prompt of
``--tool-specs`` and tokenized by the trainer; the model is a planner built like B (``--hidden-size``,
``--num-layers``) from a fitted tokenizer.

    python benchmarks/step_overhead.py --out step_overhead.json              # ~3 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def _batches(model_dir: Path, data: Any, library: Any, tool_specs: str, fused: bool, count: int, batch: int) -> Any:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trl_styling.prompt import PlannerPrompt
    from trl_styling.recipes import RecipeSettings, build_trainer

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    settings = RecipeSettings(
        steps=100,
        batch_size=batch,
        prompt=PlannerPrompt(tool_specs=tool_specs),
        fused_lm_head=fused,
        loss_normalization="token",
        progress=False,
    )  # token: the plain loss
    trainer = build_trainer(
        "S", model, AutoTokenizer.from_pretrained(model_dir), data, library, Path(tempfile.mkdtemp()), settings
    )
    trainer.create_optimizer_and_scheduler(num_training_steps=100)
    loader = trainer.get_train_dataloader()
    return trainer, [b for _, b in zip(range(count), loader)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-groups", type=int, default=60)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--tool-specs", default="none")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="step_overhead.json")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import torch
    from datasets import load_from_disk

    from trl_styling.pipeline import GenerationConfig, generate_dataset
    from trl_styling.prompt import PlannerPrompt
    from trl_styling.recipes import RecipeSettings, build_initial_planner
    from trl_styling.tools import get_tool_library

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="step-overhead-"))
    library = get_tool_library("regular")
    generate_dataset(
        GenerationConfig(
            variant="regular",
            num_groups=args.num_groups,
            seed=0,
            out_dir=str(work / "d"),
            image_size=32,
            progress=False,
        )
    )
    data = load_from_disk(str(work / "d"))["train"]
    model_dir = build_initial_planner(
        work / "m",
        data,
        library,
        RecipeSettings(prompt=PlannerPrompt(tool_specs=args.tool_specs)),
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        vocab_size=2048,
    )

    fused, batches = _batches(model_dir, data, library, args.tool_specs, True, args.batches, args.batch_size)
    unfused, _ = _batches(model_dir, data, library, args.tool_specs, False, args.batches, args.batch_size)
    from transformers import AutoModelForCausalLM

    plain_model = AutoModelForCausalLM.from_pretrained(model_dir).train()
    plain_optimizer = torch.optim.AdamW(plain_model.parameters(), lr=1e-4, weight_decay=0.01)

    def plain(batch: dict) -> float:
        out = plain_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
        out.loss.backward()
        plain_optimizer.step()
        plain_optimizer.zero_grad()
        return out.loss.item()

    def trl(trainer: Any) -> Any:
        def step(batch: dict) -> float:
            loss = trainer.training_step(trainer.model, dict(batch), num_items_in_batch=None)
            trainer.optimizer.step()
            trainer.optimizer.zero_grad()
            return loss.item()

        return step

    steps = {"plain": plain, "trl (fused head)": trl(fused), "trl (full logits)": trl(unfused)}
    fused.model.train()
    unfused.model.train()
    first = {name: step(batches[0]) for name, step in steps.items()}  # same weights: the same loss
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for batch in batches[1:]:
            for name in order:
                began = time.perf_counter()
                steps[name](batch)
                times[name].append(time.perf_counter() - began)
    medians = {name: statistics.median(values) for name, values in times.items()}
    shape = tuple(batches[0]["input_ids"].shape)
    result = {
        "args": vars(args),
        "batch_shape": shape,
        "first_loss": first,
        "median_step_s": medians,
        "ratio_to_plain": {name: medians[name] / medians["plain"] for name in names},
    }
    print(f"batch {shape}, {args.threads} threads, {args.repeats} x {len(batches) - 1} steps per mode")
    print("| step | median (ms) | / plain | first loss |\n|---|---|---|---|")
    for name in names:
        print(f"| {name} | {1000 * medians[name]:.1f} | {result['ratio_to_plain'][name]:.2f} | {first[name]:.6f} |")
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
