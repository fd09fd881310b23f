"""The quickstart job end to end at toy scale: data, B/S/SW planners, evaluation table, agent, report."""

from __future__ import annotations

import json
import math

from trl_styling.evaluation import ERROR_KINDS
from trl_styling.quickstart import QuickstartConfig, run


def test_quickstart_writes_the_report(tmp_path):
    config = QuickstartConfig(
        out=str(tmp_path / "qs"),
        base_dir=str(tmp_path / "B"),
        num_groups=12,
        image_size=64,
        warmup_groups=4,
        warmup_steps=2,
        warmup_batch_size=2,
        method_steps=2,
        batch_size=2,
        eval_goals=2,
        num_workers=1,
        hidden_size=32,
        num_layers=1,
        vocab_size=400,
    )
    report = run(config)
    saved = json.loads((tmp_path / "qs" / "report.json").read_text())
    assert saved == json.loads(json.dumps(report))
    assert list(saved["methods"]) == ["B", "S", "R", "RW", "SW", "SW+anchor", "DPO", "E", "teacher", "oracle"]
    assert saved["base_planner"]["spec"] == config.base_spec().to_dict()
    assert saved["agent"]["planner"] in ("S", "R", "RW", "SW", "SW+anchor", "DPO")
    edit_only = saved["methods"].pop("E")  # no plan: plan metrics are N/A
    assert 0.0 <= edit_only["mean_reward"] <= 5.0 and math.isnan(edit_only["validity_rate"])
    for method in saved["methods"].values():
        assert 0.0 <= method["mean_reward"] <= 5.0 and 0.0 <= method["validity_rate"] <= 1.0
        assert 0.0 <= method["tool_f1"] <= 1.0
        assert 0.0 <= method["first_attempt_validity_rate"] <= method["validity_rate"]
        assert 0.0 <= method["cme_reward"] <= 5.0
        assert set(method["mistakes"]) == set(ERROR_KINDS) or method["validity_rate"] == 0.0
    assert saved["methods"]["oracle"]["validity_rate"] == 1.0 and saved["methods"]["oracle"]["cme_reward"] > 4.0
    assert (tmp_path / "B" / "provenance.json").is_file()
    assert 0.0 < saved["teacher_mean_reward"] <= 5.0
    for name in (
        "comparison.md",
        "comparison.json",
        "comparison.png",
        "agent/before.png",
        "agent/after.png",
        "agent/plan.txt",
        "agent/instruction.txt",
    ):
        assert (tmp_path / "qs" / name).is_file(), name
    assert saved["agent"]["goal"]
    comparison = (tmp_path / "qs" / "comparison.md").read_text()
    assert "Paired differences against S" in comparison and "| DPO |" in comparison


def test_quickstart_refuses_a_base_checkpoint_of_other_settings(tmp_path):
    import pytest

    from trl_styling.base_planner import ProvenanceError

    small = dict(
        num_groups=12,
        image_size=64,
        warmup_groups=4,
        warmup_steps=2,
        warmup_batch_size=2,
        method_steps=1,
        batch_size=2,
        eval_goals=1,
        num_workers=1,
        hidden_size=32,
        num_layers=1,
        vocab_size=400,
    )
    from trl_styling.base_planner import build_base_planner

    build_base_planner(QuickstartConfig(**small).base_spec(), tmp_path / "B", progress=False)
    config = QuickstartConfig(out=str(tmp_path / "qs"), base_dir=str(tmp_path / "B"), **{**small, "warmup_steps": 3})
    with pytest.raises(ProvenanceError, match="steps: checkpoint 2, wanted 3"):
        run(config)
