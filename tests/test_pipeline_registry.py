"""The backend registry: named backends per stage, clear errors, protocol checks."""

from __future__ import annotations

import pytest

from trl_styling.pipeline.registry import (
    UnknownBackendError,
    get_backend,
    get_backend_class,
    list_backends,
    register_backend,
    unregister_backend,
)
from trl_styling.pipeline.stages import STAGES, PlanProposal


def test_builtin_backends_are_registered_for_every_stage():
    for stage in STAGES:
        expected = "template" if stage == "synthesize_instruction" else "world"
        assert expected in list_backends(stage)


def test_unknown_backend_lists_registered_names():
    with pytest.raises(UnknownBackendError) as info:
        get_backend("judge", "gpt-7")
    message = str(info.value)
    assert "'gpt-7'" in message and "registered judge backends: " in message and "world" in message


def test_unknown_stage_is_an_error():
    with pytest.raises(ValueError, match="Unknown pipeline stage 'paint'"):
        list_backends("paint")
    with pytest.raises(ValueError, match="stages: render"):
        register_backend("paint", "x")


def test_register_get_and_unregister_a_backend():
    @register_backend("plan", "constant-test")
    class ConstantPlanner:
        needs_structured_goal = False

        def __init__(self, *, library, seed=0, answer="none"):
            self.answer = answer

        def propose(self, context, goal, n, *, image=None, seed=0):
            return [PlanProposal(plan=None, errors=(self.answer,))] * n

    try:
        assert "constant-test" in list_backends("plan")
        planner = get_backend("plan", "constant-test", library="simple", answer="nope")
        assert planner.propose(None, "goal", 2)[1].errors == ("nope",)
        assert get_backend_class("plan", "constant-test") is ConstantPlanner
        # Re-registering the same class (a module imported again in a worker) is fine; another object is not.
        register_backend("plan", "constant-test")(ConstantPlanner)
        with pytest.raises(ValueError, match="already registered"):
            register_backend("plan", "constant-test")(lambda **kw: None)
    finally:
        unregister_backend("plan", "constant-test")
    assert "constant-test" not in list_backends("plan")


def test_a_backend_without_the_stage_method_is_rejected():
    register_backend("edit", "not-an-editor")(lambda **kw: object())
    try:
        with pytest.raises(TypeError, match="does not implement Editor"):
            get_backend("edit", "not-an-editor")
    finally:
        unregister_backend("edit", "not-an-editor")
