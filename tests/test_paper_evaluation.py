"""evaluate_like_paper against a scripted OpenAI-compatible judge: the arithmetic, the tables, flags and the cache.

The stub answers valid JSON with known scores, so every mean, aggregate and table cell is known:

* image: an unchanged image (both data URLs equal) gets 20 on every dimension, an edited one 60, 70, 80, 90, 50,
  40 (Overall = 390 / 6 = 65);
* plan: a plan the parser rejected gets 10 everywhere; a real plan gets action 80, 70, 60, 90, 100 (Overall
  Action 80) and reasoning 40, 50, 60 (Overall Reasoning 50), so Overall = (80 + 50) / 2 = 65;
* the plan of the first goal planned by S gets garbage: flagged after 3 attempts, excluded, counted.
"""

from __future__ import annotations

import json

import pytest
from datasets import load_from_disk

from trl_styling.evaluation import EditOnly, OraclePlanner
from trl_styling.evaluation.model_judge import (
    IMAGE_DIMENSIONS,
    PLAN_DIMENSIONS,
    PROMPT_VERSION,
    ModelJudge,
    image_aggregates,
    plan_aggregates,
)
from trl_styling.evaluation.paper import evaluate_like_paper
from trl_styling.evaluation.paper_report import image_table, paired_table, plan_table, write_paper_report
from trl_styling.pipeline import GenerationConfig, PlanProposal, generate_dataset, load_group_specs
from trl_styling.testing.openai_stub import completion, scripted_server

EDITED = dict(zip([k for k, _, _ in IMAGE_DIMENSIONS], (60, 70, 80, 90, 50, 40)))
PLANNED = dict(zip([k for k, _, _ in PLAN_DIMENSIONS], (80, 70, 60, 90, 100, 40, 50, 60)))


class BabblingPlanner:
    """Never produces a valid plan."""

    def propose(self, context, goal, n, *, image=None, seed=0):
        return [PlanProposal(plan=None, raw="blah", errors=("invalid plan",)) for _ in range(n)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper-data")
    config = GenerationConfig(
        variant="simple",
        num_groups=6,
        rollouts=1,
        seed=5,
        out_dir=str(out),
        image_size=32,
        split_ratios=(0.5, 0.0, 0.5),
        progress=False,
    )
    generate_dataset(config)
    return load_from_disk(str(out))["test"], load_group_specs(out)


def answer_for(first_goal: str):
    def respond(body: dict, index: int, _: dict):
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        if "image edits" in system:
            urls = [part["image_url"]["url"] for part in user if part.get("type") == "image_url"]
            scores = dict.fromkeys(EDITED, 20) if urls[0] == urls[1] else EDITED
        elif "blah" in user:
            scores = dict.fromkeys(PLANNED, 10)
        elif first_goal in user:
            return 200, completion("I cannot score this."), {}
        else:
            scores = PLANNED
        return 200, completion(json.dumps({**scores, "rationale": "ok"})), {}

    return respond


def test_aggregates_are_the_documented_means():
    assert image_aggregates(EDITED)["overall"] == pytest.approx(65.0)
    plan = plan_aggregates(PLANNED)
    assert (plan["overall_action"], plan["overall_reasoning"], plan["overall"]) == pytest.approx((80.0, 50.0, 65.0))


def test_evaluation_arithmetic_tables_flags_and_cache(data, tmp_path):
    test, specs = data
    first_goal = test[0]["goal"]
    methods = {"S": OraclePlanner("simple"), "R": BabblingPlanner(), "E": EditOnly()}
    with scripted_server(answer_for(first_goal)) as server:
        judge = ModelJudge.from_openai(model="judge", base_url=server.url, cache_dir=str(tmp_path / "cache"))
        kwargs = {"max_goals": 3, "group_specs": specs, "progress": False, "configuration": "Simple / world"}
        evaluation = evaluate_like_paper(methods, test, "simple", judge=judge, **kwargs)
        # 3 goals: S image + plan, R image + plan, E image = 15, and 2 more attempts for the garbage answer;
        # a request identical to an earlier one (E's edit equal to S's) is answered by the cache.
        cache = judge.chat.cache
        assert len(server.bodies) == cache.misses and cache.misses + cache.hits == 17
        sent = len(server.bodies)
        body = server.bodies[0]
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.3, 0.95, 2048)
        assert body["response_format"]["json_schema"]["schema"]["required"][-1] == "rationale"

        s, r, e = (evaluation.methods[name] for name in ("S", "R", "E"))
        assert s.flagged() == {"image": 0, "plan": 1} and r.flagged() == {"image": 0, "plan": 0}
        assert "no usable judge answer after 3 attempt(s)" in s.rows[0].plan_error and s.rows[0].plan_scores is None
        assert s.plan_summary()["overall"].n == 2 and s.plan_summary()["overall"].mean == pytest.approx(65.0)
        assert s.image_summary()["overall"].mean == pytest.approx(65.0)
        assert r.image_summary()["overall"].mean == 20.0 and r.plan_summary()["overall"].mean == 10.0
        assert e.plan_summary() is None and e.validity() is None and e.flagged() == {"image": 0, "plan": 0}
        assert [row.valid for row in r.rows] == [False] * 3 and all(row.valid for row in s.rows)

        image = image_table(evaluation).splitlines()
        assert image[0] == (
            "| method | Semantic Accuracy | Coherence | Technical Execution | Instruction Following | "
            "Transformation Strength | Visual Quality | Overall | judged (flagged) |"
        )
        bold = " | ".join(f"**{v:.1f} [{v:.1f}, {v:.1f}]**" for v in (60, 70, 80, 90, 50, 40, 65))
        assert image[2] == f"| S | {bold} | 3 (0) |"
        assert image[3] == "| R | " + " | ".join(["20.0 [20.0, 20.0]"] * 7) + " | 3 (0) |"
        plan = plan_table(evaluation).splitlines()
        assert plan[2].startswith("| S | **80.0 [80.0, 80.0]** |") and plan[2].endswith("| 1.00 | 2 (1) |")
        assert plan[3] == "| R | " + " | ".join(["10.0 [10.0, 10.0]"] * 11) + " | 0.00 | 3 (0) |"
        assert plan[4] == "| E | " + " | ".join(["N/A"] * 11) + " | N/A | N/A |"
        paired = paired_table(evaluation, "S").splitlines()
        assert paired[2] == "| R | -45.0 [-45.0, -45.0] (n=3) | -55.0 [-55.0, -55.0] (n=2) |"

        markdown = write_paper_report(evaluation, tmp_path / "report")
        assert "## Simple / world" in markdown and f"prompts {PROMPT_VERSION}" in markdown
        saved = json.loads((tmp_path / "report" / "paper_report.json").read_text())
        assert saved["prompt_version"] == PROMPT_VERSION
        assert saved["configurations"][0]["judge"]["prompt_version"] == PROMPT_VERSION
        assert saved["configurations"][0]["methods"]["S"]["summary"]["flagged"] == {"image": 0, "plan": 1}
        for name in ("Simple_world_image.png", "Simple_world_plan.png", "outputs/Simple_world/S.json"):
            assert (tmp_path / "report" / name).is_file()
        outputs = json.loads((tmp_path / "report" / "outputs" / "Simple_world" / "R.json").read_text())
        assert outputs["score_range"] == [0.0, 100.0] and [o["score"] for o in outputs["outputs"]] == [20.0] * 3

        # The same evaluation again: every answer, the garbage ones included, comes from the cache.
        again = evaluate_like_paper(methods, test, "simple", judge=judge, **kwargs)
        assert len(server.bodies) == sent
        assert again.to_dict() == evaluation.to_dict()


def test_rows_without_images_are_refused(data):
    test, _ = data
    rows = [{**test[0], "image": None}]
    judge = ModelJudge(chat=None)  # never reached
    with pytest.raises(ValueError, match=r"has no \['image'\]: the model-judged evaluation shows the judge"):
        evaluate_like_paper({"E": EditOnly()}, rows, "simple", judge=judge)


def test_edit_only_needs_an_editor_that_reads_text(data):
    test, _ = data
    with pytest.raises(ValueError, match="evaluate E with editor='world'"):
        evaluate_like_paper({"E": EditOnly()}, test, "simple", judge=ModelJudge(chat=None), editor="world_tools")


def test_bad_judge_settings_name_the_paper_values():
    with pytest.raises(ValueError, match="0.3, 0.95 and 2048"):
        ModelJudge(chat=None, top_p=0)


def test_a_diffusers_editor_and_the_image_metrics(data, tmp_path):
    """The same protocol with a real (tiny) diffusers instruction editor, and SSIM/PSNR of every edit: an
    unchanged image (R's failed plans) has SSIM 1 and the capped PSNR."""
    pytest.importorskip("diffusers")
    pytest.importorskip("torchmetrics")
    from trl_styling.evaluation.image_metrics import ImageMetrics, ImageMetricsConfig
    from trl_styling.testing.diffusion import build_tiny_stable_diffusion

    test, specs = data
    sd_dir = build_tiny_stable_diffusion(tmp_path / "sd", seed=0)
    methods = {"S": OraclePlanner("simple"), "R": BabblingPlanner(), "E": EditOnly()}
    with scripted_server(answer_for("no goal has this text")) as server:
        judge = ModelJudge.from_openai(model="judge", base_url=server.url)
        evaluation = evaluate_like_paper(
            methods,
            test,
            "simple",
            judge=judge,
            editor="diffusers",
            editor_kwargs={"model": str(sd_dir), "num_inference_steps": 2},
            metrics=ImageMetrics(ImageMetricsConfig(psnr_cap=100.0)),
            max_goals=2,
            progress=False,
        )
    s, r = evaluation.methods["S"], evaluation.methods["R"]
    assert evaluation.editor == "diffusers" and all(row.image_scores == {**EDITED, "overall": 65.0} for row in s.rows)
    assert [row.metrics for row in r.rows] == [{"ssim": pytest.approx(1.0), "psnr": 100.0}] * 2
    assert all(row.metrics["ssim"] < 1 and row.metrics["psnr"] < 100 for row in s.rows)
    table = write_paper_report(evaluation, tmp_path / "report").split("### Objective image metrics")[1]
    # R leaves the image as it was: the highest SSIM and PSNR, which measure preservation, so nothing is bold
    assert "| method | SSIM | PSNR (dB) |" in table and "**" not in table.split("### Paired")[0]
    assert "| R | 1.000 [1.000, 1.000] | 100.000 [100.000, 100.000] |" in table


def test_flagged_images_cut_off_answers_ties_and_strict_json(data, tmp_path):
    """Every image answer unusable (garbage, or cut off before its rationale): flagged, excluded, drawn as
    "n/a" and written as null in strict JSON. Equal plan scores: every tied trained method is bold."""
    test, specs = data
    cut_off = json.dumps({**EDITED, "rationale": "x"}).split(', "rationale"')[0]  # every score, then cut

    def respond(body: dict, index: int, _: dict):
        if "image edits" in body["messages"][0]["content"]:
            return 200, completion("no JSON here" if index % 2 else cut_off), {}
        return 200, completion(json.dumps({**PLANNED, "rationale": "ok"})), {}

    methods = {"S": OraclePlanner("simple"), "T": OraclePlanner("simple")}
    with scripted_server(respond) as server:
        judge = ModelJudge.from_openai(model="judge", base_url=server.url, max_attempts=2)
        evaluation = evaluate_like_paper(methods, test, "simple", judge=judge, max_goals=2, progress=False)
    for method in evaluation.methods.values():
        assert method.flagged() == {"image": 2, "plan": 0} and method.image_summary()["overall"].n == 0
        assert all("no 'rationale'" in row.image_error or "JSON" in row.image_error for row in method.rows)
    plan = plan_table(evaluation).splitlines()
    assert plan[2].startswith("| S | **80.0") and plan[3].startswith("| T | **80.0")  # a tie: both bold
    write_paper_report(evaluation, tmp_path)
    text = (tmp_path / "paper_report.json").read_text()
    assert "NaN" not in text and json.loads(text)["configurations"][0]["methods"]["S"]["summary"]["image"][
        "overall"
    ] == {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
