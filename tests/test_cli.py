"""The `trl-styling` command line: generate + stats on a tiny run, clear errors naming the flag."""

from __future__ import annotations

import argparse
import json

import pytest
from datasets import load_from_disk

from trl_styling.cli import main
from trl_styling.pipeline.shards import exclusive_lock


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "data"
    code = main(
        [
            "generate",
            "--variant",
            "complex",
            "--num-groups",
            "6",
            "--rollouts",
            "3",
            "--seed",
            "2",
            "--out",
            str(out),
            "--image-size",
            "64",
            "--shard-size",
            "4",
            "--no-progress",
        ]
    )
    assert code == 0
    return out


def test_generate_writes_a_dataset_and_prints_throughput(generated, capsys):
    data = load_from_disk(str(generated))
    assert sum(len(split) for split in data.values()) == 18
    summary = json.loads((generated / "generation.json").read_text())
    assert summary["config"]["variant"] == "complex" and summary["config"]["image_size"] == 64
    # Run again: nothing left to do, the shards are reused and the summary says so.
    assert (
        main(
            [
                "generate",
                "--variant",
                "complex",
                "--num-groups",
                "6",
                "--seed",
                "2",
                "--out",
                str(generated),
                "--image-size",
                "64",
                "--shard-size",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Resumed: reused 2 of 2 shards." in printed and "Saved 18 trajectories (6 groups;" in printed


def test_stats_writes_png_and_json_and_prints_a_summary(generated, capsys, tmp_path):
    assert main(["stats", str(generated)]) == 0
    printed = capsys.readouterr().out
    assert "18 trajectories, 18 usable" in printed and "within-group std" in printed
    assert "no base image in two splits" in printed
    report = generated / "report"
    for name in ("report.json", "reward_histograms.png", "criteria_means.png", "group_spread.png"):
        assert (report / name).stat().st_size > 0
    content = json.loads((report / "report.json").read_text())
    assert content["overall"]["count"] == 18 and content["rewards_in_range"] is True
    assert sum(content["reward_histograms"]["complex"]["counts"]) == 18
    assert main(["stats", str(generated), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "report.json").exists()


def test_backends_lists_every_stage(capsys):
    assert main(["backends"]) == 0
    printed = capsys.readouterr().out
    assert "judge" in printed and "--instruction-synthesizer" in printed and "template" in printed


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--num-groups", "0"], "argument --num-groups: must be a positive integer, got '0'"),
        (["--num-groups", "x"], "argument --num-groups: must be a positive integer"),
        (["--num-groups", "2", "--variant", "hard"], "argument --variant: invalid choice: 'hard'"),
        (["--num-groups", "2", "--image-size", "8"], "argument --image-size: must be at least 32 pixels"),
        (["--num-groups", "2", "--judge", "gpt-9"], "argument --judge: unknown judge backend 'gpt-9'; registered:"),
        (["--num-groups", "2", "--split-ratios", "0.5,0.5"], "argument --split-ratios: must be three ratios"),
        (["--num-groups", "2", "--extractor-noise", "2"], "argument --extractor-noise: must be a probability"),
        (["--num-groups", "2", "--backend-kwargs", "[1]"], "argument --backend-kwargs: must be a JSON object"),
        (["--num-groups", "2", "--backend-kwargs", '{"paint": {}}'], "argument --backend-kwargs: keys must be stages"),
        (["--num-groups", "2", "--plugin", "no_such_module_xyz"], "argument --plugin: cannot import"),
        (["--num-groups", "2", "--teacher-noise", '{"typo": 0.1}'], "argument --teacher-noise: Unknown teacher noise"),
        (["--num-groups", "2", "--teacher-noise", '{"wrong_value": 2}'], "argument --teacher-noise: TeacherNoise"),
        (["--num-groups", "2", "--backend", "gpt-9"], "argument --backend: unknown extract_context backend 'gpt-9'"),
        (["--num-groups", "2", "--model", "q"], "argument --model: --model configure model-backed stages, but none"),
        (
            ["--num-groups", "2", "--backend", "openai", "--api-key-env", "TRL_STYLING_UNSET_VAR"],
            "argument --api-key-env: the environment variable 'TRL_STYLING_UNSET_VAR' is not set",
        ),
    ],
)
def test_bad_arguments_name_the_flag(argv, flag, capsys, tmp_path):
    base = ["generate", "--variant", "simple", "--out", str(tmp_path / "d")]
    with pytest.raises(SystemExit) as info:
        main([*base, *argv])
    assert info.value.code == 2
    assert flag in capsys.readouterr().err


def test_output_directory_problems_name_out(generated, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "generate",
                "--variant",
                "complex",
                "--num-groups",
                "6",
                "--seed",
                "3",
                "--out",
                str(generated),
                "--image-size",
                "64",
                "--shard-size",
                "4",
                "--no-progress",
            ]
        )
    err = capsys.readouterr().err
    assert "argument --out:" in err and "differs in: seed" in err
    with exclusive_lock(generated), pytest.raises(SystemExit):
        main(
            [
                "generate",
                "--variant",
                "complex",
                "--num-groups",
                "6",
                "--seed",
                "2",
                "--out",
                str(generated),
                "--image-size",
                "64",
                "--shard-size",
                "4",
                "--no-progress",
            ]
        )
    assert "Another `trl-styling generate` is writing to" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["stats", str(generated / "missing")])
    assert "argument DIR:" in capsys.readouterr().err


class _Captured(Exception):
    pass


def test_model_flags_fill_the_model_backed_stages(monkeypatch, tmp_path):
    import trl_styling.pipeline.generate as generate

    seen = {}

    def capture(config):
        seen["config"] = config
        raise _Captured

    monkeypatch.setattr(generate, "run_generation", capture)
    monkeypatch.setenv("MY_VLM_KEY", "sk-secret-value")
    with pytest.raises(_Captured):
        main(
            [
                "generate",
                "--variant",
                "simple",
                "--num-groups",
                "2",
                "--out",
                str(tmp_path / "d"),
                "--backend",
                "openai",
                "--judge",
                "world",
                "--base-url",
                "http://127.0.0.1:8000/v1",
                "--model",
                "qwen",
                "--api-key-env",
                "MY_VLM_KEY",
                "--concurrency",
                "4",
                "--cache-dir",
                "cache",
                "--editor-model",
                "edit-model",
                "--renderer-model",
                "render-model",
                "--backend-kwargs",
                '{"plan": {"model": "planner", "temperature": 0.9}}',
            ]
        )
    config = seen["config"]
    assert config.backends == {
        "render": "world",
        "extract_context": "openai",
        "plan": "openai",
        "synthesize_instruction": "openai",
        "edit": "world",
        "judge": "world",
    }
    shared = {
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "qwen",
        "api_key_env": "MY_VLM_KEY",
        "concurrency": 4,
        "cache_dir": "cache",
    }
    assert config.backend_kwargs["extract_context"] == shared
    assert config.backend_kwargs["plan"] == {**shared, "model": "planner", "temperature": 0.9}  # explicit kwargs win
    assert "judge" not in config.backend_kwargs  # its own flag chose the world judge
    assert config.backend_kwargs["edit"] == {"model": "edit-model"}
    assert config.backend_kwargs["render"] == {"model": "render-model"}
    assert "sk-secret-value" not in json.dumps(config.to_dict())


def test_boolean_argument_type_refuses_what_is_not_a_boolean():
    from trl_styling.cli_types import boolean

    assert [boolean(t) for t in ("true", "False", "1", "0", "YES", "no")] == [True, False, True, False, True, False]
    with pytest.raises(argparse.ArgumentTypeError, match="must be true or false, got 'banana'"):
        boolean("banana")
