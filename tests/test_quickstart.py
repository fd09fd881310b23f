"""The quickstart job end to end at toy scale: data, B/S/SW planners, evaluation table, agent, report."""

from __future__ import annotations

import json

from trl_styling.quickstart import QuickstartConfig, run


def test_quickstart_writes_the_report(tmp_path):
    config = QuickstartConfig(out=str(tmp_path / "qs"), num_groups=12, image_size=64, warmup_groups=4, warmup_steps=2,
                              method_steps=2, batch_size=2, eval_goals=2, num_workers=1, hidden_size=32,
                              num_layers=1)  # fmt: skip
    report = run(config)
    saved = json.loads((tmp_path / "qs" / "report.json").read_text())
    assert saved == json.loads(json.dumps(report))
    assert set(saved["methods"]) == {"B", "S", "SW (sft_anchor=1)", "teacher (executed)", "oracle"}
    for method in saved["methods"].values():
        assert 0.0 <= method["mean_reward"] <= 5.0 and 0.0 <= method["validity_rate"] <= 1.0
        assert 0.0 <= method["tool_f1"] <= 1.0
        assert 0.0 <= method["first_attempt_validity_rate"] <= method["validity_rate"]
        assert 0.0 <= method["cme_reward"] <= 5.0
    assert saved["methods"]["oracle"]["validity_rate"] == 1.0 and saved["methods"]["oracle"]["cme_reward"] > 4.0
    assert (tmp_path / "qs" / "warmup_data" / "dataset_dict.json").is_file()
    assert 0.0 < saved["teacher_mean_reward"] <= 5.0
    for name in ("comparison.md", "comparison.json", "comparison.png", "agent/before.png", "agent/after.png",
                 "agent/plan.txt", "agent/instruction.txt"):  # fmt: skip
        assert (tmp_path / "qs" / name).is_file(), name
    assert saved["agent"]["goal"]
