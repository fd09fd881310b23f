"""The oracle planner: the plan a perfect teacher writes for a goal, with each library's own means.

* **Simple**: one atomic call per target, in canonical order (the library has no constraint tools).
* **Regular**: constraints first -- ``exclude_region`` of the complement of the goal's region (it must come
  before the edits it masks), ``preserve_attribute`` for preserved dimensions, ``preserve_object_category``
  for preserved objects -- then the changes as atomic calls. When constraints + changes exceed 5 steps the
  first changes are bundled into one ``parallel_transform`` (``sequence_transform`` when two bundled
  changes touch one dimension); with an ``rng`` the oracle sometimes bundles anyway, to vary its plans.
* **Complex**: a greedy cover of the targets by styling actions (the action whose anchor is a target and
  that sets the most remaining targets with allowed values; ties broken by ``rng``), each call carrying the
  goal's ``preserve``, ``preserve_objects`` and ``region``. When the goal has a region or protected objects
  (which only styling calls can carry), a target no action anchors is *hosted* by an action whose anchor
  restates its final value (a no-op, ordered after the anchor's own change); otherwise, and when nothing
  can host it, it gets an atomic call (the goal sampler avoids such Complex goals with regions/objects).

Change steps are ordered by the first dimension they change, in `CANONICAL_ORDER` (the judge's
order hygiene), after the constraint steps.

`build_plan` is the shared compiler: the rule teacher feeds it noisy intents (changed, dropped or
extra changes; dropped constraints) and gets wrong but *valid* plans.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trl_styling.context import StyleContext
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.tools.specs import ToolLibrary, ToolSpec
from trl_styling.tools.vocab import ATOMIC_TOOLS, REGION_COMPLEMENT
from trl_styling.world.semantics.executor import CANONICAL_ORDER
from trl_styling.world.semantics.goals import StylingGoal
from trl_styling.world.semantics.phrases import OBJECT_PLURALS, REGION_PHRASES, join_words
from trl_styling.world.semantics.reasoning import (
    bundle_reasoning,
    change_reasoning,
    clause,
    objects_reasoning,
    preserve_reasoning,
    region_reasoning,
    styling_reasoning,
)

MAX_STEPS = 5
DIM_TOOLS: dict[str, str] = {dim: tool for tool, (dim, _, _) in ATOMIC_TOOLS.items()}

# Extras an attentive teacher fills in, derived from the target value.
_SKY = {
    "dawn_first_light": "pale_dawn",
    "morning_golden": "golden_orange",
    "midday_overhead": "clear_blue",
    "afternoon_warm": "clear_blue",
    "sunset_golden": "golden_orange",
    "dusk_twilight": "pink_purple",
    "night_moonlit": "deep_blue",
    "night_starlit": "dark_starry",
    "overcast_diffuse": "gray_overcast",
}
_HEAVY = ("heavy_rain", "thunderstorm", "blizzard", "dust_storm", "fog_heavy")
_LIGHT = ("light_rain", "light_snow", "mist_light", "partly_cloudy", "hazy")
_WARM = ("warm_cinematic", "sepia_vintage", "teal_orange")
_DENSE = ("fog_dense", "snow_falling", "rain_drops")

Change = tuple[str, str]  # (dimension, value)


def atomic_arguments(dim: str, value: str, current: str | None) -> dict[str, Any]:
    """Arguments of the atomic call setting ``dim`` to ``value`` (source, target and fitting extras)."""
    tool = DIM_TOOLS[dim]
    _, source, target = ATOMIC_TOOLS[tool]
    args: dict[str, Any] = {source: current or "unknown", target: value}
    if dim == "time_of_day":
        args["sky_color"] = _SKY[value]
    elif dim == "weather":
        args["intensity"] = "heavy" if value in _HEAVY else "light" if value in _LIGHT else "moderate"
    elif dim == "season":
        args["temperature_effects"] = {"winter_snow": "snow", "dry_season": "heat_haze"}.get(value, "none")
    elif dim == "color_grading":
        args["temperature_shift"] = "warmer" if value in _WARM else "cooler" if value == "cool_blue" else "neutral"
    elif dim == "atmospheric_effects":
        args["density"] = "dense" if value in _DENSE else "moderate"
    return args


def _action(dim: str, value: str, current: str | None) -> dict[str, Any]:
    return {"tool": DIM_TOOLS[dim], "arguments": atomic_arguments(dim, value, current)}


def _styling_specs(library: ToolLibrary) -> list[ToolSpec]:
    return [spec for spec in library if spec.category == "styling"]


def _covers(spec: ToolSpec, remaining: dict[str, str]) -> list[str]:
    props = spec.parameters["properties"]
    covered = [d for d in CANONICAL_ORDER if d in remaining and d in spec.affects and remaining[d] in props[d]["enum"]]
    return covered if spec.required[0] in covered else []


def _hosts(spec: ToolSpec, dim: str, value: str, state: dict[str, str | None], preserve: tuple[str, ...]) -> bool:
    """Whether ``spec`` can set ``dim`` with its anchor kept at its current value (a no-op anchor)."""
    props, anchor = spec.parameters["properties"], spec.required[0]
    current = state.get(anchor)
    return (
        dim in spec.affects
        and dim != anchor
        and value in props[dim]["enum"]
        and anchor not in preserve
        and current is not None
        and current in props[anchor]["enum"]
    )


def styling_cover(
    changes: dict[str, str],
    library: ToolLibrary,
    rng: np.random.Generator | None = None,
    *,
    state: dict[str, str | None] | None = None,
    preserve: tuple[str, ...] = (),
) -> tuple[list[tuple[str, dict[str, str], bool]], list[str]]:
    """Greedy cover of ``changes`` by styling actions: ([(action, {dim: value} it sets, hosted)], dims left).

    With ``state`` (the state *after* the changes), a dimension no action anchors is set through an action
    whose anchor is given its final value (``hosted=True``; run it after the anchor's own change, so the
    anchor is a no-op and the call can still carry a region); without it, such dimensions are left over.
    """
    remaining = dict(changes)
    calls: list[tuple[str, dict[str, str], bool]] = []
    specs = _styling_specs(library)
    while remaining:
        options = [(spec.name, _covers(spec, remaining)) for spec in specs]
        options = [(name, dims) for name, dims in options if dims]
        if not options:
            break
        best = max(len(dims) for _, dims in options)
        options = [o for o in options if len(o[1]) == best]
        name, dims = options[0] if rng is None else options[int(rng.integers(len(options)))]
        calls.append((name, {d: remaining.pop(d) for d in dims}, False))
    for dim in [d for d in CANONICAL_ORDER if d in remaining] if state is not None else []:
        hosts = [spec for spec in specs if _hosts(spec, dim, remaining[dim], state, preserve)]
        if hosts:
            spec = hosts[0]
            anchor = spec.required[0]
            calls.append((spec.name, {anchor: state[anchor], dim: remaining.pop(dim)}, True))  # type: ignore[dict-item]
    return calls, [d for d in CANONICAL_ORDER if d in remaining]


def build_plan(
    context: StyleContext,
    goal: StylingGoal,
    changes: list[Change],
    library: ToolLibrary | str,
    *,
    preserve: tuple[str, ...] = (),
    objects: tuple[str, ...] = (),
    region: str | None = None,
    rng: np.random.Generator | None = None,
    bundle_prob: float = 0.25,
) -> Plan:
    """Compiles intents (``changes`` in order, constraints) into a valid plan of ``library`` with reasoning."""
    lib = resolve_library(library)
    state: dict[str, str | None] = context.to_dict()
    steps: list[PlanStep] = []
    if region is not None and "exclude_region" in lib:
        excluded = REGION_COMPLEMENT[region]
        steps.append(PlanStep(region_reasoning(region, excluded, rng), "exclude_region", {"region_type": excluded}))
    if preserve and "preserve_attribute" in lib:
        steps.append(
            PlanStep(
                preserve_reasoning(list(preserve), state, rng),
                "preserve_attribute",
                {"attributes_to_preserve": list(preserve)},
            )
        )
    if objects and "preserve_object_category" in lib:
        steps.append(
            PlanStep(
                objects_reasoning(list(objects), rng), "preserve_object_category", {"object_categories": list(objects)}
            )
        )

    keyed: list[tuple[float, PlanStep]] = []  # (canonical index of the first dimension it changes, step)
    remaining = list(changes)
    if _styling_specs(lib):
        first: dict[str, str] = {}
        for dim, value in changes:
            first.setdefault(dim, value)
        # Regions and protected objects can only be folded into styling calls, so then every change goes
        # through one if it can (hosted by an action whose anchor keeps its value, if need be).
        hosting = region is not None or bool(objects)
        after = {**state, **first} if hosting else None
        calls, _ = styling_cover(first, lib, rng, state=after, preserve=preserve)
        for name, sets, hosted in calls:
            moved = [d for d, v in sets.items() if state.get(d) != v] or list(sets)
            anchor = lib[name].required[0] if hosted else None
            if anchor is not None:  # after whatever sets its anchor (half a rank later): the anchor is a no-op
                key = max(_key([d for d in sets if d != anchor]), _key([anchor]) + 0.5)
            else:
                key = _key(moved)
            keyed.append(
                (
                    key,
                    _styling_step(
                        name, sets, {**state, **_after_anchor(anchor, sets)}, goal, preserve, objects, region, rng
                    ),
                )
            )
            for d, v in sets.items():
                if (d, v) in remaining and first.get(d) == v:
                    remaining.remove((d, v))
                if d != anchor:
                    state[d] = v
    budget = MAX_STEPS - len(steps) - len(keyed)
    keyed += _atomic_steps(remaining, state, goal, lib, budget, rng, bundle_prob)
    # Change steps in canonical order (stable, so repeated dimensions keep their intent order).
    keyed.sort(key=lambda item: item[0])
    return Plan(tuple(steps + [step for _, step in keyed])).validate(lib)


def _after_anchor(anchor: str | None, sets: dict[str, str]) -> dict[str, str]:
    """The state a hosted call sees: its anchor already at the value it restates."""
    return {anchor: sets[anchor]} if anchor is not None else {}


def _key(dims: list[str]) -> float:
    return float(min(CANONICAL_ORDER.index(d) for d in dims))


def _styling_step(
    name: str,
    sets: dict[str, str],
    state: dict[str, str | None],
    goal: StylingGoal,
    preserve: tuple[str, ...],
    objects: tuple[str, ...],
    region: str | None,
    rng: np.random.Generator | None,
) -> PlanStep:
    args: dict[str, Any] = dict(sets)
    notes = []
    keep = [d for d in preserve if d not in sets]  # a call may not preserve what it sets (validator rule)
    if keep:
        args["preserve"] = keep
        notes.append("keeping the " + join_words(keep) + " as " + ("it is" if len(keep) == 1 else "they are"))
    if objects:
        args["preserve_objects"] = list(objects)
        notes.append("leaving the " + join_words([OBJECT_PLURALS[o] for o in objects]) + " untouched")
    if region is not None:
        args["region"] = region
        notes.append("only in " + REGION_PHRASES[region])
    clauses = [clause(d, state.get(d), v) for d, v in sets.items()]
    wanted = [(d, goal.targets[d]) for d in sets if d in goal.targets]
    return PlanStep(styling_reasoning(name, clauses, wanted, notes, rng), name, args)


def _atomic_steps(
    changes: list[Change],
    state: dict[str, str | None],
    goal: StylingGoal,
    lib: ToolLibrary,
    budget: int,
    rng: np.random.Generator | None,
    bundle_prob: float,
) -> list[tuple[float, PlanStep]]:
    groups: list[list[Change]] = [[c] for c in changes]
    can_bundle = "parallel_transform" in lib and "sequence_transform" in lib
    if can_bundle:
        # Bundle the first changes until the plan fits in MAX_STEPS (or, now and then, for variety).
        want = len(groups) > 1 and rng is not None and rng.random() < bundle_prob
        while len(groups) > 1 and (len(groups) > budget or want) and len(groups[0]) + len(groups[1]) <= 5:
            groups[0:2] = [groups[0] + groups[1]]
            want = False
    steps = []
    for group in groups:
        if len(group) == 1:
            dim, value = group[0]
            reasoning = change_reasoning(dim, state.get(dim), value, goal.targets.get(dim), rng)
            steps.append(
                (_key([dim]), PlanStep(reasoning, DIM_TOOLS[dim], atomic_arguments(dim, value, state.get(dim))))
            )
            state[dim] = value
            continue
        distinct = len({d for d, _ in group}) == len(group)
        tool = "parallel_transform" if distinct else "sequence_transform"
        actions, clauses = [], []
        for dim, value in group:
            actions.append(_action(dim, value, state.get(dim)))
            clauses.append(clause(dim, state.get(dim), value))
            if not distinct:
                state[dim] = value
        if distinct:
            state.update(dict(group))
        key = "parallel_actions" if distinct else "sub_actions"
        steps.append(
            (_key([d for d, _ in group]), PlanStep(bundle_reasoning(tool, clauses, rng), tool, {key: actions}))
        )
    return steps


def oracle_plan(
    context: StyleContext, goal: StylingGoal, library: ToolLibrary | str, rng: np.random.Generator | None = None
) -> Plan:
    """The plan a perfect teacher writes for ``goal`` (see the module docstring); deterministic without ``rng``."""
    changes = [(d, goal.targets[d]) for d in CANONICAL_ORDER if d in goal.targets]
    return build_plan(
        context,
        goal,
        changes,
        library,
        preserve=goal.preserve,
        objects=goal.preserve_objects,
        region=goal.region,
        rng=rng,
    )
