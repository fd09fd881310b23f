"""StylingAgent end to end: a babbling tiny planner (errors, retries, fallback) and the teacher with best-of-N."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from transformers import AutoModelForCausalLM, AutoTokenizer

from trl_styling.agent import HFPlanner, StylingAgent, TeacherPlanner
from trl_styling.context import StyleContext
from trl_styling.pipeline.backends.world import WorldRenderer
from trl_styling.prompt import PlannerPrompt
from trl_styling.world.semantics.goals import random_context, sample_goal

LIBRARY = "regular"


@pytest.fixture(scope="module")
def scene():
    """A world-rendered test image (it carries its context and render seed) and a goal for it."""
    rng = np.random.default_rng(5)
    context = random_context(rng, LIBRARY)
    goal = sample_goal(context, LIBRARY, rng)
    image = WorldRenderer(size=64).render(context, seed=17).image
    return image, context, goal


@pytest.fixture(scope="module")
def tiny_planner(tiny_lm_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    return HFPlanner(
        model,
        tokenizer,
        LIBRARY,
        max_new_tokens=16,
        temperature=0.8,
        max_retries=1,
        prompt=PlannerPrompt(),
    )


def test_hf_planner_prompts_exactly_as_training(tiny_planner, scene):
    _, context, goal = scene
    expected = PlannerPrompt().messages(context, goal.text, LIBRARY)
    assert tiny_planner.messages(context, goal) == expected
    assert tiny_planner.messages(context, goal.text) == expected


def test_babbling_planner_reports_retries_and_falls_back_to_identity(tiny_planner, scene):
    image, context, goal = scene
    agent = StylingAgent.for_world(tiny_planner, LIBRARY)
    result = agent.run(image, goal, seed=0)
    assert result.context == context  # the oracle extractor read the image's recorded context
    candidate = result.candidates[0]
    if candidate.plan is not None:  # pragma: no cover - an untrained 2-layer model practically never plans
        pytest.skip("the untrained planner happened to produce a valid plan")
    assert len(candidate.errors) == 2 and all("invalid plan" in e or "cut off" in e for e in candidate.errors)
    assert "attempt 1" in result.errors[0] and "attempt 2" in result.errors[1]
    assert result.fallback == "identity" and result.plan is None and result.instruction == ""
    assert np.array_equal(np.asarray(result.edited_image), np.asarray(image))
    assert result.score is not None and 0 <= result.score.reward <= 5  # the no-op, scored
    # A fallback planner takes over when given.
    agent = StylingAgent.for_world(tiny_planner, LIBRARY, fallback_planner=TeacherPlanner(library=LIBRARY))
    result = agent.run(image, goal, seed=0)
    assert result.fallback == "fallback_planner" and result.plan is not None and result.score is not None
    assert result.instruction and result.edited_image.size == image.size


def test_a_generation_cut_off_at_max_new_tokens_is_not_a_plan(tiny_lm_dir, scene, monkeypatch):
    _, context, goal = scene
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    planner = HFPlanner(model, tokenizer, LIBRARY, max_new_tokens=4, temperature=0.0)
    # Even text that parses is refused when the model was stopped before its end-of-sequence.
    monkeypatch.setattr("trl_styling.agent.parse_plan", lambda raw, library: pytest.fail("parsed a cut-off plan"))
    proposal = planner.propose(context, goal, 1)[0]
    assert proposal.plan is None and planner.last_truncated
    assert proposal.errors == (
        "attempt 1: the plan was cut off at max_new_tokens=4 (raise max_new_tokens if plans are longer)",
    )


def test_repair_snaps_near_miss_values_only_when_asked(tiny_lm_dir, scene, monkeypatch):
    _, context, goal = scene
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    text = '[REASONING] Later era. [ACTION] time_period_era(target_era="early_future_2050s")'
    strict = HFPlanner(model, tokenizer, LIBRARY, temperature=0.0)
    repairing = HFPlanner(model, tokenizer, LIBRARY, temperature=0.0, repair=True)
    for planner in (strict, repairing):
        monkeypatch.setattr(planner, "generate", lambda messages, *, sample, seed: text)
    assert strict.propose(context, goal, 1)[0].plan is None
    proposal = repairing.propose(context, goal, 1)[0]
    assert proposal.plan.steps[0].arguments["target_era"] == "near_future_2050s"
    assert proposal.repairs == ("step 0: time_period_era.target_era: 'early_future_2050s' -> 'near_future_2050s'",)


def test_plain_text_goal_is_planned_but_not_scored(tiny_planner, scene):
    image, _, goal = scene
    agent = StylingAgent.for_world(tiny_planner, LIBRARY)
    result = agent.run(image, goal.text, seed=1)
    assert result.score is None and any("plain text" in note for note in result.notes)
    with pytest.raises(ValueError, match="best_of_n > 1 ranks candidates by the judge"):
        agent.run(image, goal.text, best_of_n=2)
    with pytest.raises(ValueError, match="needs a StylingGoal"):
        StylingAgent.for_world(TeacherPlanner(library=LIBRARY), LIBRARY).run(image, goal.text)


def test_teacher_best_of_n_keeps_the_highest_judge_score(scene):
    image, context, goal = scene
    agent = StylingAgent.for_world(TeacherPlanner(library=LIBRARY), LIBRARY)
    result = agent.run(image, goal, best_of_n=6, seed=3)
    rewards = [c.score.reward for c in result.candidates]
    assert len(rewards) == 6 and len(set(rewards)) > 1  # the teacher's noise gives a spread to choose from
    best = int(np.argmax(rewards))
    assert result.score.reward == max(rewards) and result.plan == result.candidates[best].plan
    assert result.edited_image is result.candidates[best].edited_image
    assert all(step.reasoning for step in result.plan) and result.instruction == result.candidates[best].instruction
    assert not result.errors and result.fallback is None
    again = agent.run(image, goal, best_of_n=6, seed=3)
    assert [c.score.reward for c in again.candidates] == rewards  # deterministic by seed
    single = agent.run(image, goal, best_of_n=1, seed=3)
    assert single.plan == result.candidates[0].plan


def test_any_pil_image_with_an_explicit_context(scene):
    _, context, goal = scene
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8))
    agent = StylingAgent.for_world(TeacherPlanner(library=LIBRARY), LIBRARY)
    # The oracle extractor cannot read a picture the world did not render: reported, and nothing is invented.
    with pytest.raises(ValueError, match="needs a StylingGoal"):
        agent.run(photo, goal.text)
    result = agent.run(photo, goal)
    assert any("context extraction failed" in e for e in result.errors) and result.context == StyleContext()
    result = agent.run(photo, goal, context=context, best_of_n=2)
    assert result.edited_image.size == photo.size and result.plan is not None and result.score is not None


def test_vision_planner_gets_the_image_in_its_prompt(tiny_vlm_dir, scene):
    from transformers import AutoProcessor, Qwen3VLForConditionalGeneration

    image, context, goal = scene
    model = Qwen3VLForConditionalGeneration.from_pretrained(tiny_vlm_dir)
    planner = HFPlanner(
        model,
        AutoProcessor.from_pretrained(tiny_vlm_dir),
        LIBRARY,
        max_new_tokens=8,
        max_retries=0,
        prompt=PlannerPrompt(plan_format="chat", include_image=True),
    )
    messages = planner.messages(context, goal, image)
    assert messages[1]["content"][0] == {"type": "image", "image": image}
    with pytest.raises(ValueError, match="pass the image"):
        planner.messages(context, goal)
    result = StylingAgent.for_world(planner, LIBRARY).run(image, goal)
    assert result.candidates[0].raw is not None and (result.plan is not None or result.fallback == "identity")


def test_best_of_n_ranks_a_self_contradicting_plan_below_coherent_ones(scene):
    """A plan whose own constraint blocks its own change ranks below every coherent plan, whatever its reward."""
    from trl_styling.pipeline import PlanProposal
    from trl_styling.tools import Plan, PlanStep
    from trl_styling.world.semantics.oracle import DIM_TOOLS, atomic_arguments

    image, context, goal = scene
    dim, value = next(iter(goal.targets.items()))
    change = PlanStep("Change it.", DIM_TOOLS[dim], atomic_arguments(dim, value, context.get(dim)))
    keep = PlanStep("Keep it.", "preserve_attribute", {"attributes_to_preserve": [dim]})
    contradicting, coherent = Plan((keep, change)), Plan((change,))

    class TwoPlans:
        needs_structured_goal = False

        def propose(self, context, goal, n, *, image=None, seed=0):
            return [PlanProposal(plan=contradicting), PlanProposal(plan=coherent)][:n]

    result = StylingAgent.for_world(TwoPlans(), LIBRARY, seed=17).run(image, goal, best_of_n=2)
    first, second = result.candidates
    assert first.contradictions and f"{dim} -> {value} blocked" in first.contradictions[0]
    assert not second.contradictions and result.plan == coherent
    single = StylingAgent.for_world(TwoPlans(), LIBRARY, seed=17).run(image, goal, best_of_n=1)
    assert single.plan == contradicting and "contradicts itself" in single.notes[-1]


def test_ground_sources_sets_source_values_from_the_context(tiny_lm_dir, scene, monkeypatch):
    image, context, goal = scene
    wrong = "night_starlit" if context.time_of_day != "night_starlit" else "dawn_early"
    text = f'[REASONING] Dusk. [ACTION] time_of_day(source_time="{wrong}", target_time="dusk_twilight")'
    model, tokenizer = AutoModelForCausalLM.from_pretrained(tiny_lm_dir), AutoTokenizer.from_pretrained(tiny_lm_dir)
    as_written = HFPlanner(model, tokenizer, LIBRARY, temperature=0.0)
    grounded = HFPlanner(model, tokenizer, LIBRARY, temperature=0.0, ground_sources=True)
    for planner in (as_written, grounded):
        monkeypatch.setattr(planner, "generate", lambda messages, *, sample, seed: text)
    assert as_written.propose(context, goal, 1)[0].plan.steps[0].arguments["source_time"] == wrong
    proposal = grounded.propose(context, goal, 1)[0]
    assert proposal.plan.steps[0].arguments["source_time"] == context.time_of_day
    assert proposal.repairs == (f"step 1 (time_of_day): source_time '{wrong}' -> '{context.time_of_day}'",)
    # the agent shows the grounded plan and says what was changed after generation
    result = StylingAgent.for_world(grounded, LIBRARY).run(image, goal, seed=0)
    assert result.plan == proposal.plan
    assert result.notes == [f"changed after generation: {proposal.repairs[0]}"]
