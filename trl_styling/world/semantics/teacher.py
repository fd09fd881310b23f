"""The rule teacher: samples several plans per (context, goal) -- a mix of near-oracle and flawed ones.

`RuleTeacher` starts from the goal's intents (the oracle's changes and constraints), applies
`TeacherNoise`, and compiles the result with the oracle's compiler
(`build_plan`), so every plan is valid for the library and has templated
per-step reasoning; mistakes are wrong but *valid* calls. Plans carry no noise labels: the judge scores
what a plan does, never how it was made. ``last_noise_applied`` (one list of mistake names per plan of the
latest call) is for diagnostics only; a pipeline must not pass it on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, StyleContext
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.tools.specs import ToolLibrary
from trl_styling.world.semantics.executor import CANONICAL_ORDER
from trl_styling.world.semantics.goals import StylingGoal
from trl_styling.world.semantics.oracle import DIM_TOOLS, MAX_STEPS, atomic_arguments, build_plan
from trl_styling.world.semantics.themes import COMPLEX_THEMES, REGULAR_THEMES

# Dimensions a hurried teacher confuses (the tool it reaches for instead of the right one).
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "location": ("architecture",),
    "architecture": ("location", "time_period"),
    "time_period": ("architecture",),
    "time_of_day": ("mood_lighting", "color_grading"),
    "season": ("weather", "atmospheric_effects"),
    "weather": ("atmospheric_effects", "season"),
    "mood_lighting": ("color_grading", "time_of_day"),
    "color_grading": ("mood_lighting", "artistic_medium"),
    "artistic_medium": ("color_grading",),
    "atmospheric_effects": ("weather", "mood_lighting"),
}
_THEMES = {**REGULAR_THEMES, **COMPLEX_THEMES}
_REASSERT = (
    "To be safe, {dim} is set to {value} again so it cannot drift.",
    "{dim} should read as {value}; restating it keeps the look consistent.",
    "Making sure {dim} stays {value} before finishing.",
)


@dataclass(frozen=True)
class TeacherNoise:
    """Probabilities of the teacher's mistakes (each in [0, 1]).

    Per requested change: ``wrong_value`` (a valid but wrong value, preferably another value of the theme),
    ``wrong_tool`` (a confusable neighbouring dimension is changed instead, `CONFUSABLE`),
    ``missing_step`` (the change is left out; at least one change always stays). Per plan:
    ``redundant_step`` (a step that changes nothing is inserted), ``broken_preservation`` (one of the goal's
    constraints is dropped and violated: a preserved dimension drifts, protected objects or the region are
    forgotten; a goal without constraints gets an unrequested side change), ``shuffled_order`` (the steps
    are shuffled, which matters where a region mask must precede its edits).
    """

    wrong_value: float = 0.0
    wrong_tool: float = 0.0
    missing_step: float = 0.0
    redundant_step: float = 0.0
    broken_preservation: float = 0.0
    shuffled_order: float = 0.0

    def __post_init__(self) -> None:
        for name, p in asdict(self).items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"TeacherNoise.{name} must be a probability in [0, 1], got {p}.")

    @classmethod
    def clean(cls) -> TeacherNoise:
        """No mistakes: every plan is an oracle plan (reasoning phrasing still varies)."""
        return cls()

    @classmethod
    def default(cls) -> TeacherNoise:
        """Tuned so groups of 3 mix near-oracle and flawed plans, close to the paper's datasets (C.4.6).

        Measured with the noise-free judge on 1000 groups of 3 per variant (mean, std, share >= 3.5, mean
        within-group std): simple 4.03 / 0.75 / 63% / 0.51, regular 3.58 / 0.61 / 48% / 0.44, complex
        3.71 / 0.66 / 55% / 0.47 (the paper: simple 3.92 and 62%, regular 3.74 and 48%).
        """
        return cls(
            wrong_value=0.25,
            wrong_tool=0.1,
            missing_step=0.12,
            redundant_step=0.3,
            broken_preservation=0.4,
            shuffled_order=0.3,
        )


class RuleTeacher:
    """Samples plans for (context, goal) with `TeacherNoise`; reproducible by ``seed`` / ``rng``."""

    def __init__(self, library: ToolLibrary | str, noise: TeacherNoise | None = None, seed: int = 0) -> None:
        self.library = resolve_library(library)
        self.noise = TeacherNoise.default() if noise is None else noise
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self.last_noise_applied: list[list[str]] = []

    def sample_plans(
        self, context: StyleContext, goal: StylingGoal, n: int, rng: np.random.Generator | None = None
    ) -> list[Plan]:
        """``n`` plans for the goal; with ``rng`` they depend only on it, else on the teacher's own stream."""
        rng = self._rng if rng is None else rng
        plans, labels = [], []
        for _ in range(n):
            plan, applied = self._sample(context, goal, rng)
            plans.append(plan)
            labels.append(applied)
        self.last_noise_applied = labels
        return plans

    # ------------------------------------------------------------------------------------------------------

    def _sample(self, context: StyleContext, goal: StylingGoal, rng: np.random.Generator) -> tuple[Plan, list[str]]:
        noise, applied = self.noise, []
        changes: list[tuple[str, str]] = []
        for dim in (d for d in CANONICAL_ORDER if d in goal.targets):
            value = goal.targets[dim]
            if rng.random() < noise.missing_step:
                applied.append("missing_step")
                continue
            if rng.random() < noise.wrong_tool:
                dim, value = self._wrong_tool(context, goal, dim, rng)
                applied.append("wrong_tool")
            elif rng.random() < noise.wrong_value:
                value = self._wrong_value(context, goal, dim, rng)
                applied.append("wrong_value")
            changes.append((dim, value))
        if not changes:  # a plan must do something: keep the first requested change
            first = next(d for d in CANONICAL_ORDER if d in goal.targets)
            changes.append((first, goal.targets[first]))
            applied.remove("missing_step")
        preserve, objects, region = goal.preserve, goal.preserve_objects, goal.region
        if rng.random() < noise.broken_preservation:
            applied.append("broken_preservation")
            options = [k for k, v in (("drift", preserve), ("objects", objects), ("region", region)) if v]
            kind = str(rng.choice(options)) if options else "side_effect"
            if kind == "drift":
                dim = str(rng.choice(preserve))
                preserve = ()
                changes.append((dim, self._other_value(context, dim, (), rng)))
            elif kind == "objects":
                objects = ()
            elif kind == "region":
                region = None
            else:
                free = [d for d in DIMENSIONS if d not in goal.targets and d not in {c for c, _ in changes}]
                dim = str(rng.choice(free))
                changes.append((dim, self._other_value(context, dim, (), rng)))
        plan = build_plan(
            context, goal, changes, self.library, preserve=preserve, objects=objects, region=region, rng=rng
        )
        steps = list(plan.steps)
        if rng.random() < noise.redundant_step and len(steps) < MAX_STEPS:
            applied.append("redundant_step")
            steps.insert(int(rng.integers(len(steps) + 1)), self._redundant(context, changes, rng))
        if rng.random() < noise.shuffled_order and len(steps) > 1:
            applied.append("shuffled_order")
            steps = [steps[int(i)] for i in rng.permutation(len(steps))]
        return Plan(tuple(steps)).validate(self.library), applied

    def _other_value(self, context: StyleContext, dim: str, avoid: tuple[str, ...], rng: np.random.Generator) -> str:
        options = [v for v in DIMENSION_VALUES[dim] if v != context.get(dim) and v not in avoid]
        return str(rng.choice(options))

    def _wrong_value(self, context: StyleContext, goal: StylingGoal, dim: str, rng: np.random.Generator) -> str:
        target = goal.targets[dim]
        theme = _THEMES.get(goal.theme)
        near = [v for v in (theme.choices.get(dim, ()) if theme else ()) if v not in (target, context.get(dim))]
        # A near miss (another value of the theme) is the likelier mistake.
        if near and rng.random() < 0.6:
            return str(rng.choice(near))
        return self._other_value(context, dim, (target,), rng)

    def _wrong_tool(
        self, context: StyleContext, goal: StylingGoal, dim: str, rng: np.random.Generator
    ) -> tuple[str, str]:
        options = [d for d in CONFUSABLE[dim] if d not in goal.targets] or list(CONFUSABLE[dim])
        other = str(rng.choice(options))
        return other, self._other_value(context, other, (), rng)

    def _redundant(self, context: StyleContext, changes: list[tuple[str, str]], rng: np.random.Generator) -> PlanStep:
        """A step that changes nothing: restating a dimension's current value."""
        final = context.replace(**dict(changes))
        dims = [d for d in DIMENSIONS if final.get(d) is not None and d not in dict(changes)]
        dim = str(rng.choice(dims)) if dims else changes[0][0]
        value = final.get(dim)
        assert value is not None
        template = _REASSERT[int(rng.integers(len(_REASSERT)))]
        # Source = target: the teacher restates the value the dimension already has.
        return PlanStep(template.format(dim=dim, value=value), DIM_TOOLS[dim], atomic_arguments(dim, value, value))
