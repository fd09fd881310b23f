"""Model-backed stages (context, plan, instruction, judge) against a scripted ChatModel: parsing, repair,
retries, prompts, reward formulas, failure semantics in the worker, the answer cache and the openai registration.

``ScriptedChat`` is a fake of the ChatModel *interface* (it returns given texts); the transport itself is tested
against real servers in test_openai_server.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.pipeline.backends.chat import ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm import (
    JudgeAnswerError,
    ResponseFormatError,
    VLMContextExtractor,
    VLMInstructionSynthesizer,
    VLMJudge,
    VLMPlanner,
)
from trl_styling.pipeline.backends.vlm.cache import ResponseCache, request_key
from trl_styling.pipeline.backends.vlm.prompts import planner_exemplars
from trl_styling.pipeline.backends.vlm.responses import extract_json, nearest_value, read_context, read_scores
from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.instructions import synthesize_instruction
from trl_styling.pipeline.stages import ContextExtractionError, JudgeRequest
from trl_styling.pipeline.worker import Backends, GroupRunner
from trl_styling.rewards import CRITERIA, CRITERIA_WEIGHTS
from trl_styling.tools import Plan, PlanStep, get_tool_library
from trl_styling.world.semantics.goals import random_context, sample_goal

Answer = list[str] | ChatModelError


class ScriptedChat:
    """Answers request k with ``script(request, k)`` (a list of texts or a ChatModelError) and records requests."""

    def __init__(self, script: Callable[[ChatRequest, int], Answer]) -> None:
        self.script, self.requests = script, []

    def complete(self, request: ChatRequest) -> list[str]:
        answer = self.complete_many([request])[0]
        if isinstance(answer, ChatModelError):
            raise answer
        return answer

    def complete_many(self, requests: list[ChatRequest]) -> list[Answer]:
        out = []
        for request in requests:
            self.requests.append(request)
            out.append(self.script(request, len(self.requests) - 1))
        return out


def texts(*answers: str) -> ScriptedChat:
    """Answers each request with the next texts, ``request.n`` at a time."""
    queue = list(answers)

    def script(request: ChatRequest, _: int) -> list[str]:
        taken = [queue.pop(0) for _ in range(request.n)]
        return taken

    return ScriptedChat(script)


CONTEXT = StyleContext(
    location="urban_city",
    architecture="art_deco",
    time_period="modern_2000s",
    time_of_day="midday_overhead",
    season="summer_lush",
    weather="clear_sky",
    mood_lighting="neutral_balanced",
    color_grading="natural_balanced",
    artistic_medium="photorealistic",
    atmospheric_effects="none_clear",
)
IMAGE = Image.new("RGB", (32, 32), (90, 120, 200))
EDITED = Image.new("RGB", (32, 32), (200, 120, 60))
GOOD_PLAN = '[REASONING] Night is asked for. [ACTION] time_of_day(target_time="night_moonlit")'


def scores_json(value: float = 4.0, **extra: float) -> str:
    return json.dumps({**{c: value for c in CRITERIA}, **extra, "rationale": "fine"})


# ------------------------------------------------------------------------------------------------ responses


def test_extract_json_repairs_common_defects():
    assert extract_json('Sure!\n```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json("<think>{not this}</think> {'a': 'x', b: True,}") == {"a": "x", "b": True}
    assert extract_json('{"a": 1, "b": "cut off her') == {"a": 1, "b": "cut off her"}  # truncated: closed
    assert extract_json('{"a": 1, "b": ') == {"a": 1}  # truncated inside a member: the member is dropped
    with pytest.raises(ResponseFormatError, match="no JSON object"):
        extract_json("I cannot help with that.")
    with pytest.raises(ResponseFormatError, match="no readable JSON object"):
        extract_json("{{{ :: }")


def test_read_context_maps_unknown_values_to_the_nearest_or_refuses():
    assert nearest_value("time_of_day", "Sunset") == "sunset_golden"
    assert nearest_value("weather", "thunder storm") == "thunderstorm"
    assert nearest_value("weather", "banana") is None
    answer = {**{d: "unknown" for d in DIMENSIONS}, "time_of_day": "Sunset", "season": "Winter Snow"}
    context, repairs = read_context(json.dumps(answer))
    assert context.time_of_day == "sunset_golden" and context.season == "winter_snow" and context.weather is None
    assert repairs == ["time_of_day: 'Sunset' -> 'sunset_golden'"]
    with pytest.raises(ResponseFormatError, match="'weather' has value 'banana'.*clear_sky"):
        read_context('{"weather": "banana"}')
    with pytest.raises(ResponseFormatError, match="names none of the context dimensions"):
        read_context('{"colour": "red"}')
    with pytest.raises(ResponseFormatError, match="must be a string or null"):
        read_context('{"weather": 3}')


def test_read_scores_validates_every_criterion():
    scores, rationale = read_scores('{"criteria": {"a": "4/5", "b": 3.5}, "rationale": " ok "}', ("a", "b"))
    assert scores == {"a": 4.0, "b": 3.5} and rationale == "ok"
    with pytest.raises(ResponseFormatError, match=r"lacks the score\(s\) \['b'\]"):
        read_scores('{"a": 1}', ("a", "b"))
    with pytest.raises(ResponseFormatError, match=r"'a' = 7 is outside \[0, 5\]"):
        read_scores('{"a": 7}', ("a",))
    with pytest.raises(ResponseFormatError, match="must be a number"):
        read_scores('{"a": "great"}', ("a",))


# ------------------------------------------------------------------------------------------------ extractor


def test_extractor_retries_then_validates_and_sends_image_and_schema():
    good = json.dumps({**CONTEXT.to_dict(), "weather": "Clear"})
    chat = texts("no idea", good)
    context = VLMContextExtractor(chat, seed=3).extract(IMAGE, seed=5)
    assert context == CONTEXT
    assert len(chat.requests) == 2 and chat.requests[0].seed != chat.requests[1].seed
    first = chat.requests[0]
    assert first.json_schema["required"] == list(DIMENSIONS) and first.tag == "extract_context"
    assert first.messages[1]["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_extractor_failure_is_a_context_extraction_error_and_unavailability_propagates():
    with pytest.raises(ContextExtractionError, match=r"after 2 attempt\(s\): attempt 1: .*attempt 2: "):
        VLMContextExtractor(texts("garbage", '{"weather": "banana"}')).extract(IMAGE)
    down = ScriptedChat(lambda r, k: ChatModelUnavailableError("server down"))
    with pytest.raises(ChatModelUnavailableError):
        VLMContextExtractor(down).extract(IMAGE)
    refused = ScriptedChat(lambda r, k: ChatModelError("HTTP 400"))
    with pytest.raises(ContextExtractionError, match="HTTP 400"):
        VLMContextExtractor(refused, max_attempts=1).extract(IMAGE)


# ------------------------------------------------------------------------------------------------ planner


def test_planner_samples_n_and_retries_only_failed_rollouts_with_feedback():
    chat = texts(GOOD_PLAN, "gibberish", GOOD_PLAN, GOOD_PLAN)
    planner = VLMPlanner(chat, library="simple", seed=1, temperature=0.9, exemplars=2)
    proposals = planner.propose(CONTEXT, "Make it night.", 3, image=IMAGE, seed=7)
    assert [p.ok for p in proposals] == [True, True, True]
    assert [p.attempts for p in proposals] == [1, 2, 1] and "no plan found" in proposals[1].errors[0]
    assert proposals[0].plan.tools == ("time_of_day",)
    first, retry = chat.requests
    assert first.n == 3 and first.temperature == 0.9 and first.tag == "plan"
    roles = [m["role"] for m in first.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]  # two exemplars
    assert "[ACTION]" in first.messages[2]["content"] and "time_of_day(" in first.messages[0]["content"]
    assert first.messages[-1]["content"][0]["type"] == "image_url"
    assert retry.n == 1 and retry.messages[-2] == {"role": "assistant", "content": "gibberish"}
    assert "could not be used" in retry.messages[-1]["content"]


def test_planner_gives_up_after_max_attempts_and_enforces_max_steps():
    too_long = "\n".join([GOOD_PLAN] * 3)
    chat = texts("nope", "still nope", too_long)
    proposals = VLMPlanner(chat, library="simple", max_attempts=3, max_steps=2, feedback=False).propose(
        CONTEXT, "Night.", 1
    )
    assert proposals[0].plan is None and proposals[0].attempts == 3 and proposals[0].raw == too_long
    assert "at most 2 are allowed" in proposals[0].errors[-1]
    assert all(r.n == 1 and r.messages == chat.requests[0].messages for r in chat.requests)  # no feedback turns
    assert chat.requests[0].messages[-1]["content"][0]["type"] == "text"  # no image given


def test_planner_request_failure_is_recorded_but_unavailability_propagates():
    refused = ScriptedChat(lambda r, k: ChatModelError("HTTP 413 too long"))
    proposals = VLMPlanner(refused, library="simple", max_attempts=2).propose(CONTEXT, "Night.", 2)
    assert [p.plan for p in proposals] == [None, None] and "HTTP 413" in proposals[0].errors[0]
    down = ScriptedChat(lambda r, k: ChatModelUnavailableError("down"))
    with pytest.raises(ChatModelUnavailableError):
        VLMPlanner(down, library="simple").propose(CONTEXT, "Night.", 2)


@pytest.mark.parametrize("library", ["simple", "regular", "complex"])
def test_planner_exemplars_are_valid_plans_of_the_library(library):
    lib = get_tool_library(library)
    exemplars = planner_exemplars(lib, 3)
    assert len(exemplars) == 3 and len({goal for _, goal, _ in exemplars}) == 3
    for _, _, plan in exemplars:
        assert plan.validate(lib) == plan and all(step.reasoning for step in plan)


# ------------------------------------------------------------------------------------------------ synthesizer

PLAN = Plan((PlanStep("Night is asked for.", "time_of_day", {"target_time": "night_moonlit"}),))


def test_synthesizer_reads_the_instruction_or_falls_back_to_the_template():
    chat = texts('Instruction: "Relight the scene as a moonlit night and keep everything else."')
    synthesizer = VLMInstructionSynthesizer(chat, library="simple")
    assert (
        synthesizer.synthesize(PLAN, CONTEXT, "Night.")
        == "Relight the scene as a moonlit night and keep everything else."
    )
    assert synthesizer.last_source == "model" and "Plan:" in chat.requests[0].messages[-1]["content"]
    broken = VLMInstructionSynthesizer(texts("ok", GOOD_PLAN), library="simple")
    assert broken.synthesize(PLAN, CONTEXT) == synthesize_instruction(PLAN, CONTEXT)
    assert broken.fallbacks == 1 and broken.last_source == "template" and "too short" in broken.last_error
    assert "markup or a plan" in broken.last_error
    down = VLMInstructionSynthesizer(ScriptedChat(lambda r, k: ChatModelUnavailableError("down")))
    with pytest.raises(ChatModelUnavailableError):
        down.synthesize(PLAN, CONTEXT)


# ------------------------------------------------------------------------------------------------ judge


def judge_request(goal: str = "Make it night.") -> JudgeRequest:
    return JudgeRequest(
        goal=goal,
        initial_context=CONTEXT,
        final_context=None,
        original_image=IMAGE,
        edited_image=EDITED,
        plan=PLAN,
        instruction="Relight as night.",
    )


def test_judge_reward_is_the_weighted_sum_and_both_images_are_sent():
    answer = json.dumps({**{c: float(i) for i, c in enumerate(CRITERIA)}, "rationale": "why"})
    chat = texts(answer)
    result = VLMJudge(chat).score(judge_request())
    assert result.reward == pytest.approx(sum(CRITERIA_WEIGHTS[c] * i for i, c in enumerate(CRITERIA)))
    assert result.criteria == {c: float(i) for i, c in enumerate(CRITERIA)} and result.rationale == "why"
    content = chat.requests[0].messages[1]["content"]
    urls = [part["image_url"]["url"] for part in content if part["type"] == "image_url"]
    assert len(urls) == 2 and urls[0] != urls[1] and all(u.startswith("data:image/png;base64,") for u in urls)
    assert set(chat.requests[0].json_schema["required"]) == {*CRITERIA, "rationale"}


def test_judge_cme_and_difference_first():
    chat = texts("The sky turned dark orange.", scores_json(4.0, execution=4.0, consistency=2.5))
    judge = VLMJudge(chat, cme=(0.4, 0.6), difference_first=True)
    result = judge.score(judge_request())
    assert result.reward == pytest.approx(min(5.0, 5 * 0.8 * (0.4 + 0.6 * 0.5)))
    assert result.details["execution"] == 0.8 and result.details["consistency"] == 0.5
    assert result.rationale.startswith("Differences: The sky turned dark orange.")
    describe, scoring = chat.requests
    assert describe.tag == "judge_differences" and describe.json_schema is None
    assert sum(p["type"] == "image_url" for p in describe.messages[1]["content"]) == 2
    scoring_text = scoring.messages[1]["content"][-1]["text"]
    assert "Observed differences between the two images:\nThe sky turned dark orange." in scoring_text
    assert "execution" in scoring.json_schema["required"]
    # CME without its scores in the answer is not a score
    with pytest.raises(JudgeAnswerError, match="lacks the score"):
        VLMJudge(texts(scores_json(), scores_json()), cme=(0.4, 0.6)).score(judge_request())


def test_judge_retries_then_raises_and_score_many_keeps_order():
    with pytest.raises(JudgeAnswerError, match=r"after 2 attempt\(s\): attempt 1: .*attempt 2: "):
        VLMJudge(texts("5/5 great", '{"goal_alignment": 9}')).score(judge_request())
    # request 1 answers badly once, then well; the results stay in request order
    chat = texts(scores_json(1.0), "bad", scores_json(3.0), scores_json(2.0))
    results = VLMJudge(chat).score_many([judge_request("a"), judge_request("b"), judge_request("c")])
    assert [r.reward for r in results] == pytest.approx([1.0, 2.0, 3.0])
    down = ScriptedChat(lambda r, k: ChatModelUnavailableError("down"))
    with pytest.raises(ChatModelUnavailableError):
        VLMJudge(down).score_many([judge_request()])


# ------------------------------------------------------------------------------------------------ worker


def _runner(judge_chat: ScriptedChat) -> GroupRunner:
    config = GenerationConfig(variant="simple", num_groups=2, rollouts=3, image_size=32, progress=False)
    built = Backends.from_config(config)
    built.judge = VLMJudge(judge_chat, max_attempts=1)
    return GroupRunner(config, built)


def test_worker_records_unusable_judge_answers_and_judges_a_group_in_one_batch():
    answers = iter([scores_json(4.0), "garbage", scores_json(2.0)])
    chat = ScriptedChat(lambda r, k: [next(answers)])
    out = _runner(chat).run(0)
    assert [row["judge_failed"] for row in out.rows] == [False, True, False]
    assert [row["reward"] for row in out.rows] == pytest.approx([4.0, None, 2.0])
    assert "no usable judge answer" in out.rows[1]["judge_error"] and out.rows[0]["judge_error"] is None
    assert len(chat.requests) == 3  # one batch of three, each answered once
    assert [row["trajectory_id"][-2:] for row in out.rows] == ["r0", "r1", "r2"]


def test_worker_lets_an_unavailable_service_end_the_run():
    runner = _runner(ScriptedChat(lambda r, k: ChatModelUnavailableError("down")))
    with pytest.raises(ChatModelUnavailableError):
        runner.run(0)


# ------------------------------------------------------------------------------------------------ cache, registry


def test_request_key_and_response_cache(tmp_path):
    request = ChatRequest(messages=({"role": "user", "content": "hi"},), seed=1)
    key = request_key("http://x/v1", "m", request)
    assert key == request_key("http://x/v1", "m", ChatRequest(messages=request.messages, seed=1, tag="other"))
    others = [
        request_key("http://x/v1", "m2", request),
        request_key("http://x/v1", "m", ChatRequest(messages=request.messages, seed=2)),
        request_key("http://x/v1", "m", ChatRequest(messages=request.messages, seed=1, n=2)),
    ]
    assert len({key, *others}) == 4
    cache = ResponseCache(tmp_path)
    assert cache.get(key) is None
    cache.put(key, ["a", "b"])
    assert ResponseCache(tmp_path).get(key) == ["a", "b"] and (cache.hits, cache.misses) == (0, 1)
    cache.path(key).write_text("{broken")
    assert cache.get(key) is None and cache.misses == 2


def test_openai_backends_are_registered_without_importing_openai():
    code = (
        "import sys; from trl_styling.pipeline.registry import list_backends\n"
        "assert all('openai' in list_backends(s) for s in "
        "('extract_context', 'plan', 'synthesize_instruction', 'judge'))\n"
        "assert 'openai' not in sys.modules, 'openai imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_transport_never_shows_the_key_and_needs_a_model(monkeypatch):
    from trl_styling.pipeline.backends.openai_server import OpenAIChatModel, openai_judge

    monkeypatch.setenv("MY_KEY", "sk-very-secret")
    chat = OpenAIChatModel(model="m", base_url="http://127.0.0.1:9/v1", api_key_env="MY_KEY")
    assert "sk-very-secret" not in repr(chat) and "sk-very-secret" not in repr(VLMJudge(chat))
    with pytest.raises(ValueError, match="'NOT_SET_VAR', which is not set"):
        OpenAIChatModel(model="m", base_url="http://127.0.0.1:9/v1", api_key_env="NOT_SET_VAR")
    with pytest.raises(ValueError, match="need model="):
        openai_judge(base_url="http://127.0.0.1:9/v1", library="simple", seed=0)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="No API key for https://api.openai.com/v1: set OPENAI_API_KEY"):
        OpenAIChatModel(model="gpt-4o")
    config = GenerationConfig(backends={"judge": "openai"}, backend_kwargs={"judge": {"model": "m", "api_key": "k1"}})
    assert config.to_dict()["backend_kwargs"]["judge"] == {"model": "m", "api_key": "<redacted>"}


def test_goals_from_the_world_work_as_text_for_every_model_stage():
    rng = np.random.default_rng(0)
    goal = sample_goal(random_context(rng, "simple"), "simple", rng)
    chat = texts(GOOD_PLAN)
    VLMPlanner(chat, library="simple").propose(CONTEXT, goal, 1)
    assert goal.text in chat.requests[0].messages[-1]["content"][-1]["text"]
