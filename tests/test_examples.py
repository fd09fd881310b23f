"""The TRL-style example scripts: in-process runs of every method, the Hub push boundary, the CLI with --config,
and a real 2-process `accelerate launch` on CPU."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from huggingface_hub import HfApi, RepoUrl

from trl_styling import RewardFilteredConfig
from trl_styling.scripts_support import (
    EvaluateArguments,
    GenerationArguments,
    StylingScriptArguments,
    generation_config_from_arguments,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TINY = EXAMPLES / "configs" / "tiny"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, *args: str) -> None:
    """Parses exactly as the command line would (`--config` YAML, then overrides) and runs `main`."""
    module = load_example(name)
    module.main(*module.make_parser().parse_args_and_config(list(args)))


def train_args(method: str, data: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--config",
        str(TINY / f"{method}.yaml"),
        "--dataset_name",
        str(data),
        "--model_name_or_path",
        str(model),
        "--output_dir",
        str(out),
        *extra,
    ]


def card_of(out: Path) -> str:
    return (out / "README.md").read_text()


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("examples") / "data"
    run_example("generate_data", "--config", str(TINY / "generate.yaml"), "--out_dir", str(out))
    return out


@pytest.fixture(scope="module")
def pushed_sft(tiny_data: Path, tiny_lm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """S trained in-process with push_to_hub=True; the Hub calls are captured at HfApi (no network)."""
    out = tmp_path_factory.mktemp("sft") / "tiny-S"
    captured: dict[str, Any] = {}

    def create_repo(self: HfApi, repo_id: str, **kwargs: Any) -> RepoUrl:
        captured["create_repo"] = repo_id
        return RepoUrl(f"https://huggingface.co/{repo_id}")

    def upload_folder(self: HfApi, *, repo_id: str, folder_path: str, **kwargs: Any) -> None:
        folder = Path(folder_path)
        captured.update(
            repo_id=repo_id, files=sorted(p.name for p in folder.iterdir()), readme=(folder / "README.md").read_text()
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HfApi, "create_repo", create_repo)
        patch.setattr(HfApi, "upload_folder", upload_folder)
        run_example(
            "train_sft",
            *train_args(
                "sft", tiny_data, tiny_lm_dir, out, "--push_to_hub", "true", "--hub_model_id", "someone/tiny-styling-S"
            ),
        )
    return {"out": out, **captured}


def test_generate_data_script_writes_a_loadable_dataset(tiny_data):
    from trl_styling.data import load_styling_dataset

    data = load_styling_dataset(tiny_data)
    assert len(data["train"]) + len(data["test"]) == 36
    assert json.loads((tiny_data / "generation.json").read_text())["config"]["split_ratios"] == [0.5, 0.0, 0.5]


def test_generation_arguments_take_json_and_yaml_values():
    parsed = GenerationArguments(variant="simple", backends='{"judge": "world"}', split_ratios=[0.6, 0.2, 0.2])
    config = generation_config_from_arguments(parsed)
    assert config.backends["judge"] == "world" and config.split_ratios == (0.6, 0.2, 0.2)
    assert generation_config_from_arguments(GenerationArguments(teacher_noise="none")).teacher_noise == "none"
    with pytest.raises(ValueError, match="--backends must be JSON"):
        generation_config_from_arguments(GenerationArguments(backends="judge=world"))


def test_script_arguments_reject_bad_input():
    with pytest.raises(ValueError, match="dataset_name is required"):
        StylingScriptArguments()
    with pytest.raises(ValueError, match="plan_format"):
        StylingScriptArguments(dataset_name="d", plan_format="xml")
    with pytest.raises(ValueError, match="needs min_reward"):
        RewardFilteredConfig(output_dir="x", min_reward=None, report_to="none", use_cpu=True, bf16=False)
    with pytest.raises(ValueError, match="Two models are named"):
        EvaluateArguments(dataset_name="d", model_paths=["a/S", "b/S"]).named_models()


def test_sft_push_uploads_the_adapter_with_the_styling_card(pushed_sft):
    assert pushed_sft["create_repo"] == pushed_sft["repo_id"] == "someone/tiny-styling-S"
    assert {"README.md", "adapter_config.json", "adapter_model.safetensors", "styling_planner.json"} <= set(
        pushed_sft["files"]
    )
    card = pushed_sft["readme"]
    assert card == card_of(pushed_sft["out"])  # the card written at save_model time is the one pushed
    assert "Standard supervised learning (S)" in card
    assert "Agentic Planning with Reasoning for Image Styling via Offline RL" in card
    assert "| mean_within_group_std |" in card and "| count | 18 |" in card
    assert "library_name: peft" in card and "styling-s" in card


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("rw", ["Reward-Weighted fine-tuning (RW)", "| `reward_baseline` | 3 |"]),
        ("dpo", ["Weighted Direct Preference Optimization (wDPO)", "| `beta` | 0.1 |", "| pairs |"]),
        ("filtered", ["Reward-filtered training (R)", "| `min_reward` | 3.5 |"]),
        ("sw", ["Standardized Reward-Weighted", "| `standardize_by` | group |"]),
    ],
)
def test_each_method_trains_and_writes_its_card(tiny_data, tiny_lm_dir, tmp_path, method, expected):
    run_example(f"train_{method}", *train_args(method, tiny_data, tiny_lm_dir, tmp_path / method))
    assert (tmp_path / method / "adapter_model.safetensors").is_file()
    settings = json.loads((tmp_path / method / "styling_planner.json").read_text())
    assert settings == {"include_context": True, "include_image": False, "plan_format": "text", "tool_specs": "names"}
    card = card_of(tmp_path / method)
    for text in expected:
        assert text in card, text
    if method == "filtered":  # the tiny data has rewards below 3.5, which R must drop
        dropped = int(card.split("| dropped_below_min_reward | ")[1].split(" ")[0])
        assert dropped > 0


def test_evaluate_script_compares_the_trained_adapter_with_the_oracle(pushed_sft, tiny_data, tmp_path):
    out = tmp_path / "evaluation"
    run_example(
        "evaluate",
        "--config",
        str(TINY / "evaluate.yaml"),
        "--dataset_name",
        str(tiny_data),
        "--model_paths",
        f"S={pushed_sft['out']}",
        "--output_dir",
        str(out),
    )
    report = json.loads((out / "comparison.json").read_text())
    assert set(report["planners"]) == {"S", "E", "oracle"}
    assert all(len(planner["results"]) == 2 for planner in report["planners"].values())
    assert report["planners"]["oracle"]["summary"]["validity"]["mean"] == 1.0
    assert "teacher (test mean)" in report["reference"]
    assert "| S |" in (out / "comparison.md").read_text()


def test_evaluate_script_with_a_served_judge_follows_the_paper_protocol(pushed_sft, tiny_data, tmp_path):
    """--judge openai: the trained planner, B, E and the oracle, scored by an OpenAI-compatible judge (a stub
    answering 50 on every dimension) on images and plans. B has no saved prompt: it gets the trained one's."""
    import shutil

    from trl_styling.evaluation.model_judge import IMAGE_DIMENSIONS, PLAN_DIMENSIONS
    from trl_styling.prompt import PROMPT_FILE
    from trl_styling.testing.openai_stub import completion, scripted_server

    base = Path(shutil.copytree(pushed_sft["out"], tmp_path / "base"))
    (base / PROMPT_FILE).unlink()

    names = [key for key, _, _ in IMAGE_DIMENSIONS + PLAN_DIMENSIONS]
    answer = json.dumps(dict.fromkeys(names, 50) | {"rationale": "fine"})
    out = tmp_path / "paper"
    with scripted_server(lambda body, k, h: (200, completion(answer), {})) as server:
        run_example(
            "evaluate",
            "--config",
            str(TINY / "evaluate.yaml"),
            "--dataset_name",
            str(tiny_data),
            "--model_paths",
            f"S={pushed_sft['out']}",
            "--base_model",
            str(base),
            "--judge",
            "openai",
            "--base-url",
            server.url,
            "--model",
            "judge",
            "--output_dir",
            str(out),
        )
    report = json.loads((out / "paper_report.json").read_text())["configurations"][0]
    assert list(report["methods"]) == ["S", "B", "E", "oracle"]
    garbage = out.with_name("garbage")
    with scripted_server(lambda body, k, h: (200, completion("no scores"), {})) as server:
        with pytest.raises(RuntimeError, match="gave no usable image score: every row is flagged"):
            run_example(
                "evaluate",
                *("--config", str(TINY / "evaluate.yaml"), "--dataset_name", str(tiny_data)),
                *("--include_oracle", "false", "--judge", "openai", "--base_url", server.url, "--model", "judge"),
                *("--output_dir", str(garbage)),
            )
    assert (garbage / "paper_report.json").is_file()  # written before the refusal: nothing is lost
    assert report["methods"]["S"]["summary"]["image"]["overall"]["mean"] == 50.0
    assert report["methods"]["E"]["summary"]["plan"] is None
    assert "| E | N/A |" in (out / "paper_report.md").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=400, cwd=EXAMPLES.parent)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def accelerate_launch(script: str, *args: str) -> list[str]:
    # `--cpu --num_processes 2` would start ONE process (accelerate's simple launcher; multi-CPU needs mpirun).
    # `--multi_gpu` goes through torch.distributed.run, and without CUDA each rank runs as MULTI_CPU over gloo.
    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(_free_port()),
        str(EXAMPLES / f"{script}.py"),
        *args,
    ]


def test_accelerate_launch_runs_two_cpu_processes(tiny_data, tiny_lm_dir, tmp_path):
    out = tmp_path / "rw-2proc"
    output = _run(accelerate_launch("train_rw", *train_args("rw", tiny_data, tiny_lm_dir, out)))
    assert "[rank 0/2] RW training on" in output and "[rank 1/2] RW training on" in output
    card = card_of(out)
    assert "| `num_processes` | 2 |" in card and "| `effective_batch_size` | 4 |" in card


@pytest.mark.slow
@pytest.mark.parametrize("method", ["sft", "filtered", "sw", "dpo"])
def test_accelerate_launch_other_methods(tiny_data, tiny_lm_dir, tmp_path, method):
    output = _run(accelerate_launch(f"train_{method}", *train_args(method, tiny_data, tiny_lm_dir, tmp_path / "o")))
    assert "[rank 0/2]" in output and "[rank 1/2]" in output


def test_python_cli_with_config_and_overrides(tiny_data, tiny_lm_dir, tmp_path):
    out = tmp_path / "sw-cli"
    command = [
        sys.executable,
        str(EXAMPLES / "train_sw.py"),
        *train_args("sw", tiny_data, tiny_lm_dir, out, "--standardize_by", "global"),
    ]
    output = _run(command)
    assert "[rank 0/1] SW training on" in output
    assert "| `standardize_by` | global |" in card_of(out)  # the command line overrides the YAML


@pytest.mark.slow
@pytest.mark.parametrize("script", ["train_sft", "train_filtered", "train_rw", "train_dpo"])
def test_python_cli_other_scripts(tiny_data, tiny_lm_dir, tmp_path, script):
    method = script.removeprefix("train_")
    _run([sys.executable, str(EXAMPLES / f"{script}.py"), *train_args(method, tiny_data, tiny_lm_dir, tmp_path / "o")])
    assert (tmp_path / "o" / "README.md").is_file()


def test_vision_planner_trains_on_images(tiny_data, tiny_vlm_dir, tmp_path):
    out = tmp_path / "vlm"
    run_example(
        "train_sft",
        *train_args("sft", tiny_data, tiny_vlm_dir, out, "--include_image", "true", "--max_train_samples", "4"),
    )
    assert json.loads((out / "styling_planner.json").read_text())["include_image"] is True
    assert "| `include_image` | True |" in card_of(out)


@pytest.mark.parametrize("config", sorted((EXAMPLES / "configs" / "paper").glob("*.yaml")), ids=lambda p: p.stem)
def test_paper_configs_parse_with_their_script(config):
    script = {"generate": "generate_data", "evaluate": "evaluate"}.get(config.stem.split("_")[0])
    script = script or f"train_{config.stem.split('_')[0]}"
    cpu = [] if script in ("generate_data", "evaluate") else ["--bf16", "false", "--use_cpu", "true"]
    parsed = load_example(script).make_parser().parse_args_and_config(["--config", str(config), *cpu])
    if script.startswith("train_"):
        script_args, training_args, model_args = parsed[:3]
        assert model_args.model_name_or_path.startswith("Qwen/Qwen3-VL-") and model_args.lora_r == 16
        assert (model_args.lora_alpha, model_args.lora_dropout, training_args.weight_decay) == (32, 0.05, 0.01)
        batch = training_args.per_device_train_batch_size * training_args.gradient_accumulation_steps
        assert batch * 8 == 64 if script != "train_dpo" else batch == 8
    if script == "train_filtered":
        assert parsed[1].min_reward == 3.5
    if script == "train_dpo":
        assert parsed[1].beta == 0.1 and (parsed[3].chosen_min, parsed[3].rejected_max) == (4.0, 3.5)


@pytest.mark.parametrize(
    ("name", "distributed_type"),
    [("ddp", "MULTI_GPU"), ("fsdp", "FSDP"), ("zero2", "DEEPSPEED"), ("zero3", "DEEPSPEED")],
)
def test_accelerate_configs_load(name, distributed_type):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(EXAMPLES / "configs" / "accelerate" / f"{name}.yaml"))
    assert config.distributed_type == distributed_type and config.num_processes == 8
    if name == "fsdp":
        assert config.fsdp_config["fsdp_version"] == 2
    if name.startswith("zero"):
        assert config.deepspeed_config["zero_stage"] == int(name[-1])


def test_evaluate_arguments_refuse_what_cannot_run():
    with pytest.raises(ValueError, match="--include_edit_only false"):
        EvaluateArguments(dataset_name="d", editor="world_tools")
    with pytest.raises(ValueError, match=r"names \['B'\], which name baseline rows"):
        EvaluateArguments(dataset_name="d", model_paths=["B=runs/b"])
    with pytest.raises(ValueError, match="needs --model"):
        EvaluateArguments(dataset_name="d", judge="openai")
    with pytest.raises(ValueError, match="no symbolic state for the world's judge"):
        EvaluateArguments(dataset_name="d", editor="diffusers")
    with pytest.raises(ValueError, match="belong to --judge openai"):
        EvaluateArguments(dataset_name="d", image_metrics=True)
    alone = EvaluateArguments(dataset_name="d", include_oracle=False, include_edit_only=False, zero_shot_model="m")
    assert alone.zero_shot_model == "m"  # G alone is something to evaluate
