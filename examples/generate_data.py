"""Generate a trajectory dataset (paper §3) with any registered backends: every `GenerationConfig` field is an option.

```bash
# the hermetic world (CPU, no network)
python examples/generate_data.py --config examples/configs/paper/generate_regular.yaml --out_dir data/regular

# other backends: a registered name per stage (trl_styling.pipeline.list_backends()), options as JSON (or YAML
# in --config); --plugins '["my_package.backends"]' imports modules that register more
python examples/generate_data.py --variant regular --num_groups 100 --out_dir data/vlm \
    --backends '{"judge": "<name>"}' --backend_kwargs '{"judge": {"model": "Qwen/Qwen3-VL-8B-Instruct"}}'
```

Writes ``out_dir`` (a `DatasetDict` saved with `save_to_disk`), ``groups.jsonl`` and ``generation.json``
(the configuration without credentials, counts, timings); training scripts take ``--dataset_name out_dir``.
"""

from __future__ import annotations

from typing import Any


def main(generation_args: Any) -> None:
    from trl_styling.data import reward_statistics
    from trl_styling.pipeline.generate import run_generation
    from trl_styling.scripts_support import generation_config_from_arguments

    config = generation_config_from_arguments(generation_args)
    summary = run_generation(config)
    counts = summary["counts"]
    splits = ", ".join(f"{name} {len(part)}" for name, part in summary.dataset.items())
    stats = reward_statistics(summary.dataset["train"]) if len(summary.dataset["train"]) else {"mean": None}
    print(
        f"Wrote {counts['trajectories']} trajectories in {counts['groups']} groups to {config.out_dir} "
        f"({splits}); {counts['failures']} failures; mean train reward {stats['mean']}."
    )


def make_parser() -> Any:
    from trl import TrlParser

    from trl_styling.scripts_support import GenerationArguments

    return TrlParser((GenerationArguments,))


if __name__ == "__main__":
    main(*make_parser().parse_args_and_config())
