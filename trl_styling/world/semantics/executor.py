"""The symbolic executor: the styling world's one canonical semantics of every tool of the three libraries.

`execute_plan` validates a plan against its library (``ToolValidationError`` carries the step) and
runs it on a `StyleContext`, returning an `ExecutionTrace` a pixel editor
can replay and a judge can score. It is deterministic and never reads goals or teacher labels.

**Edits.** Every tool reduces to *edits* ``dimension := value`` with a ``strength`` in (0, 1] (the share of
the change blended in, averaged over the image), an optional ``region`` and an optional ``gradient``:

* Atomic tools set their dimension to ``target_*``; ``source_*`` is informational and ignored. Their
  preserve-flags are honoured as ``keeps`` on the change, which the pixel editor must respect:
  ``preserve_foreground`` -> ``"foreground"``, ``preserve_layout`` -> ``"layout"``,
  ``detail_preservation`` -> ``"detail"``, ``technology_update=False`` -> ``"technology"``,
  ``clothing_update=False`` -> ``"clothing"``. ``location_setting(replace_mode="partial")`` has strength 0.5.
  The other extras (sky colour, intensity, saturation change, ...) travel as ``params``.
* Complex styling actions set each given dimension parameter, with their ``strength`` and ``region``
  (``full_image`` is ``None``).
* ``sequence_transform`` runs its sub-actions in order; ``parallel_transform`` runs its actions on the state
  before the step (``old`` values are pre-step). Parallel actions on one dimension are rejected by the
  validator; were they not, the last one listed would win (last-writer rule).
* ``conditional_transform`` runs ``then_action`` only if its condition holds on the state at that step:
  ``if_attribute_equals`` compares ``condition_attribute``, ``if_region_contains`` asks
  `scene_objects`, ``if_lighting_level`` asks `lighting_level`. A false condition is recorded in
  ``skipped_steps``.
* ``graduated_effect`` runs ``base_action`` with ``gradient={"direction", "curve"}``; its strength is the
  mean of the intensity curve over the image (`CURVE_MEANS`: linear/sigmoid 0.5, exponential 0.28).
* ``layered_transformation`` runs each layer with ``strength=opacity`` (bottom first; opacity 0 is a no-op).
* ``selective_blend`` runs ``source_transform`` in the near/selected part (``by_depth`` and
  ``by_semantic_region``: ``"foreground"``; ``by_lighting_level``: ``"highlights"``) with strength
  ``blend_ratio`` and ``target_transform`` in the rest (``"background"`` / ``"shadows"``) with
  ``1 - blend_ratio``. On one dimension the larger share wins the symbolic value.

**Symbolic state.** An edit sets the dimension's value when it is not blocked and its strength is at least
`DOMINANT_STRENGTH` (0.25; a fainter overlay does not change what the scene *is*, but it is still
recorded for the pixels). Region-limited edits set the value too; the judge gives partial credit.

**Constraints.** Two scopes, chosen so constraints mean what their names say:

* *Declarative, whole plan*: ``preserve_attribute``, the Complex ``preserve`` parameter,
  ``preserve_object_category`` and the Complex ``preserve_objects`` parameter protect their dimensions /
  objects for the **whole plan**, whatever their position (the paper: "preserves visual attributes while
  other transformations occur"). An edit of a protected dimension is recorded with ``blocked=True`` and a
  reason, and does not change the state.
* *Spatial, from that step on*: ``exclude_region`` masks its region for every **later** edit (a mask is laid
  down before painting, so order matters): the edit's region becomes the complement (regions come in
  complementary pairs). ``exclusion_strength="partial"`` gives ``region_outside=0.5`` (half the change
  inside the excluded part). Several masks intersect: ``region`` is the ``&``-joined set of allowed regions
  (e.g. ``"background&bottom_half"``); a region and its complement together leave nothing, and the edit is
  blocked. ``spatial_constraint`` gives later edits of ``affected_attribute`` a gradient profile
  (strength x 0.5, the profile's mean).

**Trace.** ``changes`` are in plan order (step, then nested position); ``effective_changes()`` gives the
replay list in `CANONICAL_ORDER` (the renderer's order: geometry, season before light, light before
weather, mood, atmosphere, grading, medium last), where a full-image, full-strength change of a dimension
supersedes that dimension's earlier changes. ``redundant_steps`` are steps meant to change something that
changed nothing (every edit a no-op, a false condition, zero opacity); pure constraint steps are never
redundant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.plan import Plan
from trl_styling.tools.specs import ToolLibrary
from trl_styling.tools.vocab import ATOMIC_TOOLS, REGION_COMPLEMENT

CANONICAL_ORDER: tuple[str, ...] = (
    "location",
    "architecture",
    "time_period",
    "season",
    "time_of_day",
    "weather",
    "mood_lighting",
    "atmospheric_effects",
    "color_grading",
    "artistic_medium",
)
assert sorted(CANONICAL_ORDER) == sorted(DIMENSIONS)

DOMINANT_STRENGTH = 0.25
CURVE_MEANS: dict[str, float] = {"linear": 0.5, "sigmoid": 0.5, "exponential": 0.28}
PROFILE_MEAN = 0.5
_BLEND_REGIONS = {
    "by_depth": ("foreground", "background"),
    "by_semantic_region": ("foreground", "background"),
    "by_lighting_level": ("highlights", "shadows"),
}
_PROFILE_DIRECTIONS = {
    "top_to_bottom_gradient": "top_to_bottom",
    "center_outward": "center_outward",
    "left_to_right": "left_to_right",
}
# Atomic flag -> (value that means "keep", what is kept).
_KEEP_FLAGS: dict[str, tuple[bool, str]] = {
    "preserve_foreground": (True, "foreground"),
    "preserve_layout": (True, "layout"),
    "detail_preservation": (True, "detail"),
    "technology_update": (False, "technology"),
    "clothing_update": (False, "clothing"),
}
_PURE_CONSTRAINTS = ("preserve_attribute", "preserve_object_category", "exclude_region", "spatial_constraint")

# Object categories a scene holds, by location (symbolic; what if_region_contains and goals ask about).
LOCATION_OBJECTS: dict[str, tuple[str, ...]] = {
    "urban_city": ("building", "road", "vehicle", "person", "sign", "sky", "tree"),
    "suburban_neighborhood": ("building", "road", "vehicle", "tree", "plant", "sky", "person"),
    "rural_village": ("building", "path", "tree", "plant", "animal", "sky"),
    "industrial_zone": ("building", "road", "vehicle", "sign", "sky"),
    "beach_coast": ("water", "sky", "person", "plant"),
    "tropical_island": ("water", "tree", "plant", "sky"),
    "forest_temperate": ("tree", "plant", "path", "animal", "sky"),
    "desert_sand": ("sky", "plant", "animal"),
    "mountain_rocky": ("sky", "tree", "path"),
    "cave_underground": ("water", "path"),
    "space_station": ("building", "vehicle", "person", "sign", "text"),
    "fantasy_castle": ("building", "tree", "path", "sky"),
    "medieval_town": ("building", "person", "path", "animal", "sky", "sign"),
    "cyberpunk_city": ("building", "road", "vehicle", "person", "sign", "text", "sky"),
    "bedroom_interior": ("furniture", "artwork", "plant"),
    "office_modern": ("furniture", "person", "plant", "text", "artwork"),
}
_LEVELS = ("dark", "dim", "moderate", "bright")
_TIME_LEVEL = {
    "night_moonlit": 0,
    "night_starlit": 0,
    "dusk_twilight": 1,
    "dawn_first_light": 1,
    "overcast_diffuse": 2,
    "sunset_golden": 2,
    "morning_golden": 2,
    "midday_overhead": 3,
    "afternoon_warm": 3,
}
_DARK_WEATHER = ("thunderstorm", "heavy_rain", "blizzard", "fog_heavy", "dust_storm", "overcast_gray")


def scene_objects(context: StyleContext) -> frozenset[str]:
    """Object categories present in a scene (by location; an unknown location reads as a suburb)."""
    return frozenset(LOCATION_OBJECTS.get(context.location or "suburban_neighborhood", ()))


def lighting_level(context: StyleContext) -> str:
    """``dark``/``dim``/``moderate``/``bright`` from the time of day, darkened by heavy weather or dark moods."""
    level = _TIME_LEVEL.get(context.time_of_day or "midday_overhead", 3)
    level -= context.weather in _DARK_WEATHER
    level -= context.mood_lighting in ("mysterious_dark", "ominous_dark")
    level += context.mood_lighting == "energetic_bright"
    return _LEVELS[max(0, min(3, level))]


@dataclass(frozen=True)
class Change:
    """One edit of one dimension, in plan order. ``blocked`` edits did not change the state."""

    step: int
    tool: str
    dimension: str
    old: str | None
    new: str
    strength: float = 1.0
    region: str | None = None
    gradient: dict[str, str] | None = field(default=None, hash=False)
    blocked: bool = False
    reason: str = ""
    via: str | None = None  # the composite tool that ran this atomic action, if any
    sub: int | None = None  # position inside the composite
    keeps: tuple[str, ...] = ()
    region_outside: float = 0.0
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def sets_value(self) -> bool:
        return not self.blocked and self.strength >= DOMINANT_STRENGTH

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass
class ExecutionTrace:
    """What a plan did to a context: changes in plan order, protections, redundant and skipped steps."""

    initial: StyleContext
    final: StyleContext
    changes: list[Change]
    protected_dimensions: tuple[str, ...] = ()
    protected_objects: tuple[str, ...] = ()
    redundant_steps: tuple[int, ...] = ()
    skipped_steps: tuple[int, ...] = ()
    num_steps: int = 0

    @property
    def applied_changes(self) -> list[Change]:
        return [c for c in self.changes if not c.blocked]

    @property
    def blocked_changes(self) -> list[Change]:
        return [c for c in self.changes if c.blocked]

    def changed_dimensions(self) -> tuple[str, ...]:
        """Dimensions whose symbolic value differs between ``initial`` and ``final`` (canonical order)."""
        return tuple(d for d in CANONICAL_ORDER if self.initial.get(d) != self.final.get(d))

    def effective_changes(self) -> list[Change]:
        """The changes a pixel editor replays, in `CANONICAL_ORDER` (see the module docstring)."""
        out: list[Change] = []
        for dim in CANONICAL_ORDER:
            mine = [c for c in self.applied_changes if c.dimension == dim]
            full = [i for i, c in enumerate(mine) if c.strength >= 1.0 and c.region is None and c.gradient is None]
            out += mine[full[-1] :] if full else mine
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "initial": self.initial.to_dict(),
            "final": self.final.to_dict(),
            "changes": [c.to_dict() for c in self.changes],
            "protected_dimensions": list(self.protected_dimensions),
            "protected_objects": list(self.protected_objects),
            "redundant_steps": list(self.redundant_steps),
            "skipped_steps": list(self.skipped_steps),
            "num_steps": self.num_steps,
        }


@dataclass(frozen=True)
class _Edit:
    tool: str
    dimension: str
    value: str
    strength: float = 1.0
    region: str | None = None
    gradient: dict[str, str] | None = None
    via: str | None = None
    sub: int | None = None
    keeps: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


def _atomic_edit(action: dict[str, Any], **kw: Any) -> _Edit:
    tool, args = action["tool"], action["arguments"]
    dim, source, target = ATOMIC_TOOLS[tool]
    params = {k: v for k, v in args.items() if k not in (source, target, "description")}
    keeps = tuple(what for flag, (keep, what) in _KEEP_FLAGS.items() if flag in args and args[flag] is keep)
    strength = kw.pop("strength", 1.0)
    if args.get("replace_mode") == "partial":
        strength *= 0.5
    extra = kw.pop("params", {})
    return _Edit(tool, dim, args[target], strength=strength, keeps=keeps, params={**params, **extra}, **kw)


class _Run:
    def __init__(self, context: StyleContext, plan: Plan, library: ToolLibrary) -> None:
        self.initial = context
        self.state: dict[str, str | None] = context.to_dict()
        self.plan = plan
        self.library = library
        self.changes: list[Change] = []
        self.masks: list[tuple[str, str]] = []  # (excluded region, exclusion strength)
        self.profiles: dict[str, dict[str, str]] = {}
        self.protected: dict[str, str] = {}  # dim -> reason
        self.objects: list[str] = []
        self.redundant: list[int] = []
        self.skipped: list[int] = []
        self._declare()

    def _declare(self) -> None:
        """Whole-plan protections, gathered before any step runs."""
        for i, step in enumerate(self.plan):
            args, spec = step.arguments, self.library[step.tool]
            if step.tool == "preserve_attribute":
                dims, objects = args["attributes_to_preserve"], []
            elif step.tool == "preserve_object_category":
                dims, objects = [], args["object_categories"]
            elif spec.category == "styling":
                dims, objects = args.get("preserve", []), args.get("preserve_objects", [])
            else:
                continue
            for dim in dims:
                self.protected.setdefault(dim, f"{dim} is preserved by step {i} ({step.tool})")
            self.objects += [o for o in objects if o not in self.objects]

    def run(self) -> ExecutionTrace:
        for i, step in enumerate(self.plan):
            if step.tool in _PURE_CONSTRAINTS:
                self._constraint(step.tool, step.arguments)
                continue
            edits = self._edits(i, step.tool, step.arguments)
            before = len(self.changes)
            snapshot = dict(self.state) if step.tool == "parallel_transform" else None
            for edit in edits:
                self._apply(i, edit, snapshot)
            if len(self.changes) == before:
                self.redundant.append(i)
        return ExecutionTrace(
            initial=self.initial,
            final=StyleContext(**self.state),
            changes=self.changes,
            protected_dimensions=tuple(d for d in DIMENSIONS if d in self.protected),
            protected_objects=tuple(self.objects),
            redundant_steps=tuple(self.redundant),
            skipped_steps=tuple(self.skipped),
            num_steps=len(self.plan),
        )

    def _constraint(self, tool: str, args: dict[str, Any]) -> None:
        if tool == "exclude_region":
            self.masks.append((args["region_type"], args.get("exclusion_strength", "complete")))
        elif tool == "spatial_constraint":
            self.profiles[args["affected_attribute"]] = {
                "direction": _PROFILE_DIRECTIONS[args["constraint_type"]],
                "curve": "sigmoid",
                "sharpness": args.get("gradient_sharpness", "smooth"),
            }

    def _edits(self, i: int, tool: str, args: dict[str, Any]) -> list[_Edit]:
        spec = self.library[tool]
        if spec.category == "atomic":
            return [_atomic_edit({"tool": tool, "arguments": args})]
        if spec.category == "styling":
            region = None if args.get("region", "full_image") == "full_image" else args["region"]
            strength = float(args.get("strength", 1.0))
            return [_Edit(tool, d, args[d], strength=strength, region=region) for d in CANONICAL_ORDER if d in args]
        if tool == "conditional_transform":
            if not self._condition(args):
                self.skipped.append(i)
                return []
            return [_atomic_edit(args["then_action"], via=tool)]
        if tool in ("sequence_transform", "parallel_transform"):
            key, mode = (
                ("sub_actions", "timing") if tool == "sequence_transform" else ("parallel_actions", "blending_mode")
            )
            extra = {mode: args[mode]} if mode in args else {}
            return [_atomic_edit(a, via=tool, sub=k, params=extra) for k, a in enumerate(args[key])]
        if tool == "graduated_effect":
            curve = args.get("intensity_curve", "linear")
            gradient = {"direction": args["gradient_direction"], "curve": curve}
            return [_atomic_edit(args["base_action"], via=tool, strength=CURVE_MEANS[curve], gradient=gradient)]
        if tool == "layered_transformation":
            extra = {"blend_mode": args["blend_mode"]} if "blend_mode" in args else {}
            return [
                _atomic_edit(layer["action"], via=tool, sub=k, strength=float(layer["opacity"]), params=extra)
                for k, layer in enumerate(args["layers"])
                if layer["opacity"] > 0
            ]
        if tool == "selective_blend":
            ratio = float(args.get("blend_ratio", 0.5))
            near, far = _BLEND_REGIONS[args["blend_criterion"]]
            extra = {"blend_criterion": args["blend_criterion"], "blend_ratio": ratio}
            parts = [(args["source_transform"], ratio, near, 0), (args["target_transform"], 1.0 - ratio, far, 1)]
            edits = [
                _atomic_edit(a, via=tool, sub=k, strength=s, region=r, params=extra) for a, s, r, k in parts if s > 0
            ]
            # On one dimension the larger share is the symbolic value: apply it last.
            if len(edits) == 2 and edits[0].dimension == edits[1].dimension and ratio >= 0.5:
                edits.reverse()
            return edits
        raise AssertionError(f"no semantics for tool {tool!r}")  # every library tool is handled above

    def _condition(self, args: dict[str, Any]) -> bool:
        kind, value = args["condition_type"], args["condition_value"]
        context = StyleContext(**self.state)
        if kind == "if_attribute_equals":
            return context.get(args["condition_attribute"]) == value
        if kind == "if_region_contains":
            return value in scene_objects(context)
        return lighting_level(context) == value

    def _region(self, own: str | None) -> tuple[str | None, float, bool]:
        """(region, strength outside it, empty) after intersecting ``own`` with the active masks."""
        allowed = {own} if own else set()
        allowed |= {REGION_COMPLEMENT[region] for region, _ in self.masks}
        if any(REGION_COMPLEMENT.get(r) in allowed for r in allowed):
            return None, 0.0, True
        partial_only = own is None and bool(self.masks) and all(s == "partial" for _, s in self.masks)
        return ("&".join(sorted(allowed)) or None), (0.5 if partial_only else 0.0), False

    def _apply(self, i: int, edit: _Edit, snapshot: dict[str, str | None] | None) -> None:
        dim = edit.dimension
        old = (snapshot or self.state)[dim]
        if edit.value == self.state[dim] or edit.strength <= 0:
            return  # a no-op changes nothing and is not recorded
        gradient, strength = edit.gradient, edit.strength
        if gradient is None and dim in self.profiles:
            gradient, strength = dict(self.profiles[dim]), strength * PROFILE_MEAN
        region, outside, empty = self._region(edit.region)
        reason = self.protected.get(dim, "region is entirely excluded" if empty else "")
        change = Change(
            step=i,
            tool=edit.tool,
            dimension=dim,
            old=old,
            new=edit.value,
            strength=round(strength, 6),
            region=region,
            gradient=gradient,
            blocked=bool(reason),
            reason=reason,
            via=edit.via,
            sub=edit.sub,
            keeps=edit.keeps,
            region_outside=outside,
            params=dict(edit.params),
        )
        self.changes.append(change)
        if change.sets_value:
            self.state[dim] = edit.value


def execute_plan(context: StyleContext, plan: Plan, library: ToolLibrary | str) -> ExecutionTrace:
    """Runs ``plan`` (validated against ``library`` first) on ``context``; see the module docstring."""
    lib = resolve_library(library)
    return _Run(context, plan.validate(lib), lib).run()


def __getattr__(name: str) -> Any:
    # oracle_plan lives in world.oracle (it needs goals and the reasoning templates, and goals imports this
    # module); it is re-exported lazily so `from trl_styling.world.semantics.executor import oracle_plan` works.
    if name == "oracle_plan":
        from trl_styling.world.semantics.oracle import oracle_plan

        return oracle_plan
    raise AttributeError(name)
