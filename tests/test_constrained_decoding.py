"""Grammar-constrained decoding: the plan grammar of each library and format, and HFPlanner(constrained=...)."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from trl_styling.agent import HFPlanner
from trl_styling.data import plan_to_message
from trl_styling.prompt import PlannerPrompt
from trl_styling.testing import build_tiny_qwen3, train_tiny_tokenizer
from trl_styling.tools import Plan, ToolLibrary, ToolSpec, get_tool_library, parse_plan
from trl_styling.tools.grammar import Alt, GrammarSettings, Lit, Ref, build_plan_grammar
from trl_styling.tools.schema import bool_param, enum_list_param, enum_param, number_param, object_schema
from trl_styling.world.semantics.goals import random_context, sample_goal

# Generation needs the `constrained` extra (in `dev`); the grammar itself is pure Python.
needs_xgrammar = pytest.mark.skipif(importlib.util.find_spec("xgrammar") is None, reason="xgrammar not installed")

LIBRARIES = ("simple", "regular", "complex")
FORMATS = ("text", "chat")
# An untrained model runs every free text to its bound and picks short tokens, so model tests bound the texts and the
# steps tightly to stay at a few hundred tokens per plan (the grammar tests cover the default bounds and 1-5 steps).
SMALL = GrammarSettings(max_steps=2, max_reasoning_chars=8, max_text_chars=4, max_identifier_chars=4)
_HEADER = re.compile(r"Step (\d+) \([a-z_]+\):")


def _goals(library: str, count: int) -> list:
    rng = np.random.default_rng(7)
    scenes = []
    for _ in range(count):
        context = random_context(rng, library)
        scenes.append((context, sample_goal(context, library, rng)))
    return scenes


@pytest.fixture(scope="module", params=LIBRARIES)
def untrained(request, tmp_path_factory):
    """An untrained tiny Qwen3 whose tokenizer keeps the library's identifiers whole, as the recipe builds it."""
    library = get_tool_library(request.param)
    path = build_tiny_qwen3(tmp_path_factory.mktemp(f"tiny_{library.name}"), seed=0, whole_words=library.identifiers())
    return library, AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


# ----------------------------------------------------------------------------------------------------------------
# The grammar alone
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("plan_format", FORMATS)
@pytest.mark.parametrize("name", LIBRARIES)
def test_every_sentence_of_the_grammar_is_a_valid_plan_as_the_training_data_writes_it(name, plan_format):
    grammar = build_plan_grammar(name, plan_format)
    tokenizer = train_tiny_tokenizer(vocab_size=300) if plan_format == "chat" else None
    rng = random.Random(0)
    for _ in range(300):
        text = grammar.sample(rng)
        plan = parse_plan(text, name)  # validated against the library, checks included
        assert 1 <= len(plan) <= 5
        # Exactly what the datasets render (sorted argument keys, json.dumps separators) for that plan.
        canonical = Plan.from_records(plan.to_records())
        if plan_format == "text":
            assert text == canonical.to_text()
        else:
            messages = [{"role": "user", "content": "x"}, plan_to_message(canonical, "chat")]
            rendered = tokenizer.apply_chat_template(messages, tokenize=False).split("<|im_start|>assistant\n")[1]
            # the header's tool name is free (a context-free grammar cannot copy the calls' order into it)
            assert _HEADER.sub(r"Step \1 (t):", text + "<|im_end|>\n") == _HEADER.sub(r"Step \1 (t):", rendered)


def _small_library() -> ToolLibrary:
    colour = ToolSpec(
        "recolour",
        "Recolours.",
        object_schema(
            {
                "target_colour": enum_param(("deep_red", "pale_blue"), "Colour."),
                "amount": number_param("How much.", 0.0, 1.0),
                "keep_edges": bool_param("Keep edges.", default=True),
            },
            ["target_colour"],
        ),
        dimension="color_grading",
    )
    keep = ToolSpec(
        "keep_parts",
        "Keeps parts.",
        object_schema({"parts": enum_list_param(("sky_area", "ground_area"), "Parts.")}, ["parts"]),
        category="constraint",
    )
    return ToolLibrary("tiny", (colour, keep))


def test_the_grammar_of_a_small_library_lists_exactly_its_names_and_values():
    library = _small_library()
    grammar = build_plan_grammar(library, "text")
    rules = dict(grammar.rules)
    assert rules["call"] == Alt((Ref("call_recolour"), Ref("call_keep_parts")))
    assert rules["v_recolour_target_colour"] == Alt((Lit('"deep_red"'), Lit('"pale_blue"')))
    assert rules["boolean"] == Alt((Lit("true"), Lit("false")))
    literals = set(grammar.literals())
    assert {text for text in literals if text.endswith("(")} == {"recolour(", "keep_parts("}
    assert {text for text in literals if text.startswith('"')} == {
        '"deep_red"',
        '"pale_blue"',
        '"sky_area"',
        '"ground_area"',
    }
    assert {text.strip(", ") for text in literals if text.endswith("=")} >= {"amount=", "keep_edges=", "parts="}
    ebnf = grammar.ebnf
    assert ebnf.startswith("root ::= step (")
    for text in ('"recolour("', '"keep_parts("', "amount=", "keep_edges=", "target_colour=", "parts="):
        assert text in ebnf
    # the list of parts: one or both, in library order, each once
    rng = random.Random(0)
    samples = [grammar.sample(rng) for _ in range(400)]
    seen = {match.group(1) for text in samples for match in re.finditer(r"parts=(\[[^\]]*\])", text)}
    assert seen == {'["sky_area"]', '["ground_area"]', '["sky_area", "ground_area"]'}
    # every tool of the real libraries, and every enumerated value, is in its grammar
    for name in LIBRARIES:
        real = get_tool_library(name)
        literals = "\n".join(build_plan_grammar(real, "chat").literals())
        for tool in real.names:
            assert f'"name": "{tool}"' in literals
        for value in real.identifiers():
            assert f'"{value}"' in literals


def test_cross_parameter_rules_are_probed_from_the_validator():
    grammar = build_plan_grammar("regular", "text")
    # the lighting levels are in no schema: only the validator's error for if_lighting_level lists them
    assert {'"dark"', '"dim"', '"bright"'} <= set(grammar.literals())
    rng = random.Random(3)
    texts = [grammar.sample(rng) for _ in range(3000)]
    conditions = [t for t in texts if "conditional_transform(" in t]
    parallel = [t for t in texts if "parallel_transform(" in t]
    assert len(conditions) > 20 and len(parallel) > 20
    for text in conditions + parallel:
        parse_plan(text, "regular")  # lighting levels only for if_lighting_level, distinct dimensions in parallel
    complex_grammar = build_plan_grammar("complex", "text")
    for text in (complex_grammar.sample(rng) for _ in range(500)):
        parse_plan(text, "complex")  # never preserves a dimension the call sets


def test_grammar_bounds_make_every_plan_finite():
    small = build_plan_grammar("simple", "text", SMALL)
    assert small.max_chars() < build_plan_grammar("simple", "text").max_chars()
    rng = random.Random(1)
    for _ in range(200):
        text = small.sample(rng)
        assert len(text) <= small.max_chars()
        for reasoning in re.findall(r"\[REASONING\] (.*?) \[ACTION\]", text):
            assert 1 <= len(reasoning) <= 8 and reasoning == reasoning.strip()
    with pytest.raises(ValueError, match="plan_format"):
        build_plan_grammar("simple", "json")


# ----------------------------------------------------------------------------------------------------------------
# Constrained generation
# ----------------------------------------------------------------------------------------------------------------


@needs_xgrammar
@pytest.mark.parametrize("plan_format", FORMATS)
def test_an_untrained_model_only_writes_valid_plans_when_constrained(untrained, plan_format):
    library, model, tokenizer = untrained
    # Each token is at least one character, so this limit can never cut a constrained plan off.
    limit = build_plan_grammar(library, plan_format, SMALL).max_chars() + 1
    planner = HFPlanner(
        model,
        tokenizer,
        library,
        constrained=SMALL,
        max_new_tokens=limit,
        temperature=1.0,
        max_retries=0,
        prompt=PlannerPrompt(plan_format=plan_format, tool_specs="names"),  # the recipe's; short keeps it fast
    )
    for k, (context, goal) in enumerate(_goals(library.name, 2)):
        # through propose, as the agent and the evaluation call it: the first greedy, the second sampled
        for proposal in planner.propose(context, goal, 2, seed=k):
            assert proposal.errors == () and proposal.plan is not None  # neither invalid nor cut off
            assert parse_plan(proposal.raw, library) == proposal.plan
            assert 1 <= len(proposal.plan) <= 2


@needs_xgrammar
def test_end_of_sequence_only_after_a_complete_plan():
    from trl_styling.constrained import compile_plan_grammar, require_xgrammar

    xgr = require_xgrammar()
    library = get_tool_library("simple")
    tokenizer = train_tiny_tokenizer(whole_words=library.identifiers())
    compiled = compile_plan_grammar(
        build_plan_grammar(library, "text"),
        tokenizer,
        vocab_size=len(tokenizer) + 6,
        stop_token_ids=[tokenizer.eos_token_id],
    )
    matcher = xgr.GrammarMatcher(compiled)
    mask = xgr.allocate_token_bitmask(1, len(tokenizer) + 6)

    def allowed() -> set[int]:
        matcher.fill_next_token_bitmask(mask, 0)
        scores = torch.zeros(1, len(tokenizer) + 6)
        xgr.apply_token_bitmask_inplace(scores, mask)
        return set(torch.nonzero(scores[0] == 0).flatten().tolist())

    eos, specials = tokenizer.eos_token_id, set(tokenizer.all_special_ids) - {tokenizer.eos_token_id}
    for prefix in ("", "[REASONING] Snow", ' [ACTION] season_cycle(target_season="winter_snow"'):
        assert matcher.accept_string(prefix) or not prefix
        assert eos not in allowed() and not specials & allowed()
    assert matcher.accept_string(")")
    assert eos in allowed() and not set(range(len(tokenizer), len(tokenizer) + 6)) & allowed()  # padding rows
    assert tokenizer.convert_tokens_to_ids("winter_snow") not in allowed()


@needs_xgrammar
def test_a_constrained_plan_cut_off_at_max_new_tokens_is_reported(untrained):
    library, model, tokenizer = untrained
    planner = HFPlanner(model, tokenizer, library, constrained=SMALL, max_new_tokens=6, temperature=0.0)
    context, goal = _goals(library.name, 1)[0]
    proposal = planner.propose(context, goal, 1)[0]
    assert planner.last_truncated and proposal.plan is None
    assert proposal.errors == (
        "attempt 1: the plan was cut off at max_new_tokens=6 (raise max_new_tokens if plans are longer)",
    )


def test_unconstrained_generation_is_unchanged(tiny_lm_dir, monkeypatch):
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    planner = HFPlanner(model, tokenizer, "simple", max_new_tokens=24, temperature=0.9)
    assert planner.constrained is False
    context, goal = _goals("simple", 1)[0]
    messages = planner.messages(context, goal)
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
    )
    for sample, seed in ((False, 0), (True, 5)):
        # what generate did before the option existed: the model's own generate with these options, nothing else
        options = {"max_new_tokens": 24, "do_sample": sample, "pad_token_id": tokenizer.pad_token_id}
        if sample:
            options.update(temperature=0.9, top_p=1.0)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            expected = model.generate(**inputs, **options)[0, inputs["input_ids"].shape[1] :]
        assert planner.generate(messages, sample=sample, seed=seed) == tokenizer.decode(
            expected, skip_special_tokens=True
        )
    calls = []
    original = model.generate
    monkeypatch.setattr(model, "generate", lambda **kw: calls.append(kw) or original(**kw))
    planner.generate(messages, sample=False, seed=0)
    assert "logits_processor" not in calls[0]


@needs_xgrammar
def test_load_planner_passes_the_option_through(tiny_lm_dir):
    from trl_styling.recipes import RecipeSettings, load_planner

    planner = load_planner(tiny_lm_dir, "simple", RecipeSettings(), constrained=True)
    assert planner.constrained is True and planner.grammar_settings == GrammarSettings()
    assert load_planner(tiny_lm_dir, "simple", RecipeSettings()).constrained is False


def test_missing_xgrammar_names_the_extra(tiny_lm_dir, monkeypatch):
    from trl_styling.recipes import RecipeSettings, load_planner

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    monkeypatch.setitem(sys.modules, "xgrammar", None)  # `import xgrammar` now raises ImportError
    with pytest.raises(ImportError, match=re.escape("pip install 'trl-styling[constrained]'")):
        HFPlanner(model, tokenizer, "simple", constrained=True)
    with pytest.raises(ImportError, match=re.escape("trl-styling[constrained]")):
        load_planner(tiny_lm_dir, "simple", RecipeSettings(), constrained=True)
    assert HFPlanner(model, tokenizer, "simple").constrained is False  # off by default: no xgrammar needed


@pytest.fixture(scope="module")
def regular_data(tmp_path_factory):
    from datasets import load_from_disk

    from trl_styling.pipeline import GenerationConfig, generate_dataset, load_group_specs

    out = tmp_path_factory.mktemp("constrained-eval")
    config = GenerationConfig(
        variant="regular",
        num_groups=3,
        rollouts=1,
        seed=4,
        out_dir=str(out),
        image_size=64,
        split_ratios=(0.0, 0.0, 1.0),
        progress=False,
    )
    generate_dataset(config)
    return load_from_disk(str(out))["test"], load_group_specs(out)


class GrammarPlanner:
    """Proposes random sentences of the plan grammar: what constrained decoding can produce, without a model."""

    needs_structured_goal = False

    def __init__(self, library: str) -> None:
        self.library, self.grammar = library, build_plan_grammar(library, "text")

    def propose(self, context, goal, n, *, image=None, seed=0):
        from trl_styling.pipeline import PlanProposal

        rng = random.Random(seed)
        return [PlanProposal(plan=parse_plan(self.grammar.sample(rng), self.library)) for _ in range(n)]


@pytest.mark.parametrize("name", LIBRARIES)
def test_the_world_executes_and_scores_every_plan_the_grammar_allows(regular_data, name):
    from trl_styling.evaluation import evaluate_planner

    test, specs = regular_data
    planner = GrammarPlanner(name)
    for seed in range(0, 60, 3):  # 20 plans per goal, each edited on the image and scored by the judge
        evaluation = evaluate_planner(planner, test, name, group_specs=specs, seed=seed, progress=False)
        for result in evaluation.results:
            assert result.valid and result.errors == () and 0 <= result.reward <= 5


@needs_xgrammar
@pytest.mark.parametrize("untrained", ["regular"], indirect=True)
def test_world_evaluation_of_a_constrained_planner_reports_no_errors(regular_data, untrained):
    from trl_styling.evaluation import evaluate_planner

    test, specs = regular_data
    library, model, tokenizer = untrained
    settings = replace(SMALL, max_steps=1)  # greedy plans of regular nest long actions; one step is enough here
    limit = build_plan_grammar(library, "text", settings).max_chars() + 1
    planner = HFPlanner(model, tokenizer, library, constrained=settings, max_new_tokens=limit, temperature=0.0)
    evaluation = evaluate_planner(planner, test, library, group_specs=specs, progress=False)
    assert len(evaluation.results) == 3
    for result in evaluation.results:
        assert result.valid and result.errors == () and result.attempts == 1 and result.num_steps == 1
    assert evaluation.summary["first_attempt_validity"].mean == 1.0
