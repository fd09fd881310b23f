"""Template instruction synthesis (paper §2.1 stage 3, App. C.4.4): a plan becomes one precise edit instruction.

The instruction is phrased from the plan's tools and values only (never from the goal text, so the editor
gets exactly what the planner decided), in plan order, with the vocabulary phrases of
`trl_styling.world.semantics.phrases`::

    Change the lighting to a golden sunset, with a golden orange sky, then turn the season to autumn with
    falling leaves. Keep the Victorian gothic architecture exactly as it is. Preserve the original
    composition and leave everything not mentioned unchanged.

* Changes (atomic tools, Complex styling actions, nested actions of composite tools) are clauses in plan
  order ("..., then ..., and finally ..."), with the extras the call sets explicitly (sky colour,
  intensity, saturation, preserve-flags); a call restating the current value reads "make sure ... stays".
* Ordered constraints stay in place: ``exclude_region`` reads "leave the background untouched by the
  following changes", ``spatial_constraint`` "apply later ... changes as a smooth top-to-bottom gradient";
  a Complex call's ``region`` and ``strength`` qualify its clause.
* Whole-plan constraints (``preserve_attribute``, ``preserve_object_category``, Complex ``preserve`` and
  ``preserve_objects``, which the world executor applies to the whole plan) go in a final preservation
  sentence naming the kept values ("keep the Victorian gothic architecture"), followed by the general
  "Preserve the original composition ..." constraint of the paper's examples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.pipeline.registry import register_backend
from trl_styling.tools import Plan
from trl_styling.tools.vocab import ATOMIC_TOOLS
from trl_styling.world.semantics.phrases import (
    DIM_NOUNS,
    OBJECT_PLURALS,
    REGION_PHRASES,
    bare_phrase,
    join_words,
    keep_phrase,
    value_phrase,
)

if TYPE_CHECKING:
    from trl_styling.pipeline.stages import Goal

# How a change of each dimension reads ({p}: value phrase, {b}: without article, {a}: "a"/"an" for {b}).
CHANGE_FORMS: dict[str, str] = {
    "location": "move the scene to {p}",
    "architecture": "restyle the buildings in {b} architecture",
    "time_period": "update the props, vehicles and clothing to the {b} era",
    "time_of_day": "change the lighting to {p}",
    "season": "turn the season to {p}",
    "weather": "change the weather to {p}",
    "mood_lighting": "give the lighting {a} {b} mood",
    "color_grading": "apply {a} {b} color grade",
    "artistic_medium": "render the whole image as {p}",
    "atmospheric_effects": "fill the air with {p}",
}
NONE_CLEAR = "clear the air of any atmospheric effects"
GENERAL_PRESERVATION = "Preserve the original composition and leave everything not mentioned unchanged."

SHADOW_PHRASES = {
    "long_left": "long shadows falling to the left",
    "long_right": "long shadows falling to the right",
    "short_overhead": "short overhead shadows",
    "soft_diffuse": "soft, diffuse shadows",
}
VEGETATION_PHRASES = {
    "foliage_color": "recoloring the foliage",
    "density": "changing how dense the foliage is",
    "type": "changing the kinds of plants",
}
TEMPERATURE_PHRASES = {"snow": "with snow on the ground", "heat_haze": "with shimmering heat haze"}
GRADIENT_PHRASES = {
    "top_to_bottom": "from full strength at the top to none at the bottom",
    "bottom_to_top": "from full strength at the bottom to none at the top",
    "left_to_right": "from full strength on the left to none on the right",
    "right_to_left": "from full strength on the right to none on the left",
    "center_outward": "from full strength in the center fading out toward the edges",
    "edges_inward": "from full strength at the edges fading out toward the center",
}
_PROFILES = {
    "top_to_bottom_gradient": "top-to-bottom gradient",
    "center_outward": "center-outward gradient",
    "left_to_right": "left-to-right gradient",
}
_BLEND_PARTS = {
    "by_depth": ("the near parts", "the far parts"),
    "by_semantic_region": ("the foreground", "the background"),
    "by_lighting_level": ("the highlights", "the shadows"),
}
_STRICTNESS = {"strict": "exactly as {it} {is_}", "moderate": "largely as {it} {is_}", "soft": "as far as possible"}


def _article(words: str) -> str:
    return "an" if words[:1].lower() in "aeiou" else "a"


def _percent(x: float) -> str:
    return f"{round(100 * float(x))}%"


class _Writer:
    """Walks a plan once, collecting ordered clauses and whole-plan preservations."""

    def __init__(self, context: StyleContext | None) -> None:
        self.context = context or StyleContext()
        self.clauses: list[str] = []
        self.preserved: dict[str, str] = {}  # dimension -> strictness
        self.objects: dict[str, str] = {}  # category -> mode

    # ------------------------------------------------------------------------------------------ changes

    def change(self, dim: str, value: str, current: str | None = None) -> str:
        if current is None:
            current = self.context.get(dim)
        if value == current:
            return f"make sure the {DIM_NOUNS[dim]} stays {bare_phrase(dim, value)}"
        if dim == "atmospheric_effects" and value == "none_clear":
            return NONE_CLEAR
        bare = bare_phrase(dim, value)
        return CHANGE_FORMS[dim].format(p=value_phrase(dim, value), b=bare, a=_article(bare))

    def atomic(self, tool: str, args: dict[str, Any]) -> str:
        dim, source, target = ATOMIC_TOOLS[tool]
        src = args.get(source)
        current = src if isinstance(src, str) and src not in ("", "unknown") else None
        clause = self.change(dim, args[target], current)
        extras = self._extras(tool, args)
        if tool == "location_setting" and args.get("replace_mode") == "partial":
            clause = clause.replace("move the scene to", "partially blend the scene into", 1)
        if tool == "weather_conditions" and "intensity" in args:
            clause += f" at {args['intensity']} intensity"
        return clause + (", " + join_words(extras) if extras else "")

    @staticmethod
    def _extras(tool: str, args: dict[str, Any]) -> list[str]:
        out: list[str] = []
        get = args.get
        if tool == "location_setting" and "preserve_foreground" in args:
            out.append(
                "keeping the main subjects unchanged"
                if get("preserve_foreground")
                else "replacing the foreground subjects too"
            )
        elif tool == "architecture_style":
            if "detail_level" in args:
                out.append(f"with {get('detail_level')} detail changes")
            if "preserve_layout" in args:
                out.append("keeping the buildings' layout" if get("preserve_layout") else "letting the layout change")
        elif tool == "time_period_era":
            if get("technology_update") is False:
                out.append("without changing the technology or vehicles")
            if get("clothing_update") is False:
                out.append("keeping people's clothing as it is")
        elif tool == "time_of_day":
            if "sky_color" in args:
                out.append(f"with a {get('sky_color').replace('_', ' ')} sky")
            if get("shadow_direction") in SHADOW_PHRASES:
                out.append(f"with {SHADOW_PHRASES[get('shadow_direction')]}")
        elif tool == "season_cycle":
            if "vegetation_change" in args:
                out.append(VEGETATION_PHRASES[get("vegetation_change")])
            if get("temperature_effects") in TEMPERATURE_PHRASES:
                out.append(TEMPERATURE_PHRASES[get("temperature_effects")])
        elif tool == "weather_conditions" and get("visibility_change"):
            out.append("letting it reduce visibility")
        elif tool == "mood_lighting":
            if get("contrast_adjustment") in ("increase", "decrease"):
                out.append(f"with {'stronger' if get('contrast_adjustment') == 'increase' else 'softer'} contrast")
            if "shadow_depth" in args:
                out.append(f"with {get('shadow_depth')} shadows")
        elif tool == "color_grading":
            s = get("saturation_change")
            if isinstance(s, (int, float)) and s != 0:
                out.append(f"{'boosting' if s > 0 else 'reducing'} saturation by {_percent(abs(s))}")
            if get("temperature_shift") in ("warmer", "cooler"):
                out.append(f"shifting the white balance {get('temperature_shift')}")
        elif tool == "artistic_medium":
            if "detail_preservation" in args:
                out.append(
                    "preserving fine details"
                    if get("detail_preservation")
                    else "letting fine details dissolve into the medium"
                )
            if "texture_intensity" in args:
                out.append(f"with the texture at {_percent(get('texture_intensity'))} intensity")
        elif tool == "atmospheric_effects":
            if "density" in args:
                out.append(f"{get('density')} in density")
            if "distribution" in args:
                out.append(
                    {
                        "uniform": "spread evenly",
                        "localized": "in localized patches",
                        "gradient": "spread as a gradient",
                    }[get("distribution")]
                )
        return out

    def action(self, action: dict[str, Any]) -> str:
        return self.atomic(action["tool"], action["arguments"])

    # ------------------------------------------------------------------------------------------ steps

    def step(self, tool: str, args: dict[str, Any]) -> None:
        if tool in ATOMIC_TOOLS:
            self.clauses.append(self.atomic(tool, args))
        elif tool == "preserve_attribute":
            for dim in args["attributes_to_preserve"]:
                self.preserved.setdefault(dim, args.get("preservation_strength", "strict"))
        elif tool == "preserve_object_category":
            for category in args["object_categories"]:
                self.objects.setdefault(category, args.get("preservation_mode", "identity"))
        elif tool == "exclude_region":
            how = "mostly untouched" if args.get("exclusion_strength") == "partial" else "untouched"
            self.clauses.append(f"leave {REGION_PHRASES[args['region_type']]} {how} by the following changes")
        elif tool == "spatial_constraint":
            sharp = args.get("gradient_sharpness", "smooth")
            profile = _PROFILES[args["constraint_type"]]
            noun = DIM_NOUNS[args["affected_attribute"]]
            self.clauses.append(f"apply the following {noun} changes as {_article(sharp)} {sharp} {profile}")
        elif tool == "conditional_transform":
            self.clauses.append(f"{self._condition(args)}, {self.action(args['then_action'])}")
        elif tool == "sequence_transform":
            parts = [self.action(a) for a in args["sub_actions"]]
            if args.get("timing") == "simultaneous":
                self.clauses.append("at once, " + join_words(parts))
            else:
                self.clauses.append("in sequence, " + ", then ".join(parts))
        elif tool == "parallel_transform":
            parts = [self.action(a) for a in args["parallel_actions"]]
            mode = args.get("blending_mode")
            self.clauses.append("at the same time, " + join_words(parts) + (f" ({mode} blending)" if mode else ""))
        elif tool == "graduated_effect":
            curve = args.get("intensity_curve", "linear")
            direction = GRADIENT_PHRASES[args["gradient_direction"]]
            self.clauses.append(f"{self.action(args['base_action'])}, graduated {direction} with a {curve} falloff")
        elif tool == "layered_transformation":
            layers = [
                f"{self.action(layer['action'])} at {_percent(layer['opacity'])} opacity" for layer in args["layers"]
            ]
            mode = args.get("blend_mode", "normal")
            self.clauses.append(f"as layers blended in {mode} mode (bottom first): " + "; ".join(layers))
        elif tool == "selective_blend":
            near, far = _BLEND_PARTS[args["blend_criterion"]]
            ratio = float(args.get("blend_ratio", 0.5))
            self.clauses.append(
                f"{self.action(args['source_transform'])} in {near} ({_percent(ratio)}) and "
                f"{self.action(args['target_transform'])} in {far} ({_percent(1 - ratio)})"
            )
        else:
            self.styling(tool, args)

    def _condition(self, args: dict[str, Any]) -> str:
        kind, value = args["condition_type"], args["condition_value"]
        if kind == "if_attribute_equals":
            dim = args["condition_attribute"]
            return f"if the {DIM_NOUNS[dim]} is {bare_phrase(dim, value)}"
        if kind == "if_region_contains":
            return f"if the image contains {OBJECT_PLURALS.get(value, value)}"
        return f"if the lighting is {value}"

    def styling(self, tool: str, args: dict[str, Any]) -> None:
        """A Complex styling action: one clause with all its dimensions, qualified by region and strength."""
        parts = [self.change(dim, args[dim]) for dim in DIMENSIONS if dim in args]
        clause = f"for {_article(tool)} {tool.replace('_', ' ')}, " + join_words(parts)
        region = args.get("region")
        if region not in (None, "full_image"):
            clause += f", in {REGION_PHRASES[region]} only"
        strength = args.get("strength")
        if isinstance(strength, (int, float)) and strength < 1:
            clause += f", at {_percent(strength)} strength"
        self.clauses.append(clause)
        for dim in args.get("preserve", ()):
            self.preserved.setdefault(dim, "strict")
        for category in args.get("preserve_objects", ()):
            self.objects.setdefault(category, "identity")

    # ------------------------------------------------------------------------------------------ text

    def preservation(self) -> list[str]:
        sentences = []
        by_strength: dict[str, list[str]] = {}
        for dim, strength in self.preserved.items():
            by_strength.setdefault(strength, []).append(dim)
        for strength, dims in by_strength.items():
            keeps = [keep_phrase(dim, self.context.get(dim)) for dim in dims]
            plural = len(dims) > 1
            how = _STRICTNESS.get(strength, _STRICTNESS["strict"]).format(
                it="they" if plural else "it", is_="are" if plural else "is"
            )
            sentences.append(f"{join_words(keeps)}, {how}.")
        identity = [OBJECT_PLURALS[c] for c, mode in self.objects.items() if mode != "style_only"]
        style = [OBJECT_PLURALS[c] for c, mode in self.objects.items() if mode == "style_only"]
        if identity:
            sentences.append(f"keep all {join_words(identity)} exactly as they are.")
        if style:
            sentences.append(f"keep the rendering style of the {join_words(style)}.")
        return sentences


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sequence(clauses: list[str]) -> str:
    if len(clauses) == 1:
        return clauses[0] + "."
    if len(clauses) == 2:
        return f"{clauses[0]}, then {clauses[1]}."
    return ", then ".join(clauses[:-1]) + f", and finally {clauses[-1]}."


def synthesize_instruction(plan: Plan, context: StyleContext | None = None) -> str:
    """One precise instruction for ``plan`` (see the module docstring); ``context`` names kept values."""
    writer = _Writer(context)
    for step in plan.steps:
        writer.step(step.tool, step.arguments)
    parts = [_sentence(_sequence(writer.clauses))] if writer.clauses else []
    parts += [_sentence(s) for s in writer.preservation()]
    parts.append(GENERAL_PRESERVATION)
    return " ".join(parts)


@register_backend("synthesize_instruction", "template")
class TemplateInstructionSynthesizer:
    """The template synthesizer as a pipeline backend (deterministic; the goal is not read)."""

    def __init__(self, library: Any = None, **_: Any) -> None:
        self.library = library

    def synthesize(self, plan: Plan, context: StyleContext | None = None, goal: Goal | None = None) -> str:
        return synthesize_instruction(plan, context)
