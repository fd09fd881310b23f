"""The programmatic judge: scores an *executed* edit on the paper's six criteria (App. C.3.1), 0-5.

It reads the goal, the context before and after, and optionally the execution trace and the images;
never a teacher's noise labels. Criteria (each clipped to [0, 5]):

* **goal_alignment** -- ``5 * target_score ** 2`` (an incomplete edit is judged harshly) where a target
  scores 1 when its final value is the requested one, scaled by the change's strength
  (``0.3 + 0.7 * strength`` below 0.95) and coverage (limited to a region the goal did not ask for: 0.6,
  or ``0.6 + 0.4 * region_outside`` for a partial mask; narrower than the asked region: 0.8); minus 2.0 per
  preserved dimension that changed, 1.0 per unrequested change (0.25 for a fitting extra, see *creative*),
  0.75 per requested object category left unprotected (known from the trace only).
* **aesthetic_quality** -- 5 minus 1.25 per palette clash the edit introduced
  (`AESTHETIC_RULES`) and 0.5 per partial (strength < 0.95 or
  graduated) grade/medium change (a muddy mix); pixel guards on the edited image: almost uniform
  (luminance std < 0.005) -1, colourfulness above 0.8 or (for a palette not meant to be monochrome) below
  0.005 -0.5.
* **spatial_consistency** -- 5 minus 1.5 per unrequested geometry change (location, architecture,
  time_period) and 0.5 per other unrequested change (fitting extras excepted), 1.5 per violated preserved
  dimension, 0.75 per unprotected requested object; per target change 1.0 when it spills outside the asked
  region (or lies elsewhere), 0.25 when narrower than it, 0.5 when limited to a region the goal did not
  ask for, +0.25 for an unrequested gradient. With both images,
  on a photographic result whose every change keeps the layout (`STRUCTURE_SAFE`: season, mood,
  grade), ``4 * max(0, 0.15 - structure)``, ``structure`` being the texture-weighted correlation of
  co-located 8x8 luminance blocks (an SSIM structure term, insensitive to relighting and grading).
* **technical_quality** -- plan hygiene (trace): 5 minus 1.0 per redundant step, 0.75 per blocked change,
  1.0 per step beyond 5, 0.25 per pair of steps against the canonical order (at most 1.0). Pixel guards:
  0 on NaN/inf pixels; -2 when over 60% of the pixels are clipped (and under 30% were); up to -1.5 for
  high-frequency energy beyond both 4x the original's and `HF_CEILING` (skipped when location,
  weather, atmosphere or medium changed: particles and media are texture).
* **temporal_consistency** -- 5 minus 1.5 per temporal conflict the edit introduced
  (`TEMPORAL_RULES`: night + sunny grade, snow in summer, haze in
  winter, ...) and ``1.5 * (1 - credit)`` per time-related target (time_of_day, season, time_period).
* **creative_interpretation** -- ``5 * (0.5 + 0.3 * target_score)``, +1 for fitting extras (an
  unrequested atmosphere or mood taken from the goal's theme), -1 when a preserved dimension changed or
  the edit introduced a conflict.

The pixel guards catch broken editors (NaN, blown-out or noise images, a redrawn scene), not legitimate
styles: their thresholds are set so that re-rendering the target state with the world's renderer passes.

``reward = sum(CRITERIA_WEIGHTS[c] * criteria[c])``. With ``cme=(w1, w2)`` (FIRM's Consistency-Modulated
Execution) the reward is ``5 * execution * (w1 + w2 * consistency)``, clipped to [0, 5], with
``execution = goal_alignment / 5`` and ``consistency = (preservation + spatial_consistency / 5) / 2``, where
``preservation`` is the share of non-target dimensions left unchanged, explicitly preserved ones counted
twice. Without execution there is no reward, however consistent the image.

Noise (``noise_std > 0``): the reward gets ``N(0, noise_std)`` and each criterion an independent
``N(0, noise_std)``, each clipped to [0, 5]; the draws are deterministic in (``seed``, a SHA-256 key of the
goal, the two contexts, the plan and the images), so the same inputs always get the same score. With noise
(or CME) the reward is no longer exactly the weighted sum of the reported criteria. ``score(...,
noise_free=True)`` or `ProgrammaticJudge.noise_free` give the clean score for evaluation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.rewards import JudgeResult, clip_reward, cme_reward, weighted_reward
from trl_styling.tools.plan import Plan
from trl_styling.tools.specs import ToolLibrary
from trl_styling.world.semantics.coherence import new_issues
from trl_styling.world.semantics.executor import CANONICAL_ORDER, Change, ExecutionTrace, execute_plan
from trl_styling.world.semantics.goals import StylingGoal
from trl_styling.world.semantics.themes import COMPLEX_THEMES, REGULAR_THEMES

GEOMETRY: tuple[str, ...] = ("location", "architecture", "time_period")
TEMPORAL_DIMS: tuple[str, ...] = ("time_of_day", "season", "time_period")
EXTRA_DIMS: tuple[str, ...] = ("atmospheric_effects", "mood_lighting")
# Pixel guards catch broken editors, not legit styles; thresholds are set so that re-rendering the target
# state with the world's renderer passes them. Structure is only checked on photographic results whose
# every change keeps the layout (the renderer's fog, night, particles and media legitimately change it).
STRUCTURE_SAFE: frozenset[str] = frozenset({"season", "mood_lighting", "color_grading"})
STRUCTURE_FLOOR = 0.15
HF_CEILING = 0.25
TEXTURE_DIMS: frozenset[str] = frozenset({"location", "weather", "atmospheric_effects", "artistic_medium"})
_MONOCHROME = ("black_white", "sepia_vintage", "desaturated_muted", "low_saturation")
_MONO_MEDIA = ("pencil_sketch", "charcoal_drawing")
_THEMES = {**REGULAR_THEMES, **COMPLEX_THEMES}


# ------------------------------------------------------------------------------------------------ pixels


def _as_array(image: Any) -> np.ndarray:
    """(H, W, 3) float64 in [0, 1] from a PIL image or an array (uint8 or float in [0, 1])."""
    a = np.asarray(image)
    a = a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    return a[..., :3]


def _luma(a: np.ndarray) -> np.ndarray:
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def structure_similarity(a: np.ndarray, b: np.ndarray, block: int = 8) -> float:
    """Mean correlation of co-located ``block`` x ``block`` luminance patches (blocks flat in both are skipped)."""
    la, lb = _luma(a), _luma(b)
    if la.shape != lb.shape:
        return 0.0
    h, w = (la.shape[0] // block) * block, (la.shape[1] // block) * block
    pa = la[:h, :w].reshape(h // block, block, w // block, block).transpose(0, 2, 1, 3).reshape(-1, block * block)
    pb = lb[:h, :w].reshape(h // block, block, w // block, block).transpose(0, 2, 1, 3).reshape(-1, block * block)
    pa, pb = pa - pa.mean(1, keepdims=True), pb - pb.mean(1, keepdims=True)
    na, nb = np.sqrt((pa**2).sum(1)), np.sqrt((pb**2).sum(1))
    # Only blocks with structure in the original count (weighted by it): flat sky says nothing.
    keep = na > 0.02 * block
    if not keep.any():
        return 1.0
    corr = np.clip((pa * pb).sum(1)[keep] / (na[keep] * nb[keep] + 1e-6), -1.0, 1.0)
    return float((corr * na[keep]).sum() / na[keep].sum())


def colourfulness(a: np.ndarray) -> float:
    """Hasler & Suesstrunk colourfulness on [0, 1] images (about 0.06 dull, 0.43 very colourful)."""
    rg = a[..., 0] - a[..., 1]
    yb = 0.5 * (a[..., 0] + a[..., 1]) - a[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _clipped(a: np.ndarray) -> float:
    return float(((a >= 0.998).all(-1) | (a <= 0.002).all(-1)).mean())


def _high_freq(a: np.ndarray) -> float:
    lum = _luma(a)
    lap = 4 * lum[1:-1, 1:-1] - lum[:-2, 1:-1] - lum[2:, 1:-1] - lum[1:-1, :-2] - lum[1:-1, 2:]
    return float(np.abs(lap).mean())


# ------------------------------------------------------------------------------------------------ judge


class ProgrammaticJudge:
    """Scores executed edits on the six criteria; see the module docstring for every rule."""

    def __init__(self, noise_std: float = 0.0, cme: tuple[float, float] | None = None, seed: int = 0) -> None:
        if noise_std < 0:
            raise ValueError(f"noise_std must be >= 0, got {noise_std}.")
        self.noise_std = float(noise_std)
        self.cme = None if cme is None else (float(cme[0]), float(cme[1]))
        self.seed = int(seed)

    def noise_free(self) -> ProgrammaticJudge:
        """The same judge without noise (for evaluation)."""
        return ProgrammaticJudge(0.0, self.cme, self.seed)

    def score(
        self,
        goal: StylingGoal,
        initial_context: StyleContext,
        final_context: StyleContext,
        trace: ExecutionTrace | None = None,
        original_image: Any = None,
        edited_image: Any = None,
        plan: Plan | None = None,
        *,
        noise_free: bool = False,
    ) -> JudgeResult:
        init, final = initial_context, final_context
        notes: list[str] = []
        targets = goal.targets
        changes = trace.applied_changes if trace is not None else []

        # --- which targets were reached, and how well
        credit: dict[str, float] = {d: self._credit(goal, d, final, changes) for d in targets}
        target_score = float(np.mean(list(credit.values()))) if credit else 1.0
        missed = [d for d, c in credit.items() if c < 1.0]
        if missed:
            notes.append("targets not (fully) reached: " + ", ".join(f"{d} ({credit[d]:.2f})" for d in missed))
        violated = [d for d in goal.preserve if final.get(d) != init.get(d)]
        if violated:
            notes.append("preserved dimensions changed: " + ", ".join(violated))
        unrequested = [
            d for d in DIMENSIONS if d not in targets and d not in goal.preserve and final.get(d) != init.get(d)
        ]
        theme = _THEMES.get(goal.theme)
        fitting = [
            d
            for d in unrequested
            if d in EXTRA_DIMS and theme is not None and final.get(d) in theme.choices.get(d, ())
        ]
        plain = [d for d in unrequested if d not in fitting]
        if plain:
            notes.append("unrequested changes: " + ", ".join(plain))
        objects_missing = [o for o in goal.preserve_objects if o not in trace.protected_objects] if trace else []
        if objects_missing:
            notes.append("objects not protected: " + ", ".join(objects_missing))
        new_temporal, new_aesthetic = new_issues(init, final)
        notes += [f"temporal conflict: {c}" for c in sorted(new_temporal)]
        notes += [f"palette clash: {c}" for c in sorted(new_aesthetic)]

        goal_alignment = clip_reward(
            5 * target_score**2
            - 2.0 * len(violated)
            - 1.0 * len(plain)
            - 0.25 * len(fitting)
            - 0.75 * len(objects_missing)
        )

        # --- spatial
        geometry = len([d for d in plain if d in GEOMETRY])
        spatial = (
            5.0 - 1.5 * geometry - 0.5 * (len(plain) - geometry) - 1.5 * len(violated) - 0.75 * len(objects_missing)
        )
        for c in changes:
            if c.dimension not in targets or c.new != targets[c.dimension]:
                continue
            spatial -= self._region_penalty(goal.region, c)
        changed = {d for d in DIMENSIONS if init.get(d) != final.get(d)}
        orig = _as_array(original_image) if original_image is not None else None
        edit = _as_array(edited_image) if edited_image is not None else None
        finite = edit is None or bool(np.isfinite(edit).all())
        details: dict[str, float] = {}
        plain_medium = final.artistic_medium in (None, "photorealistic")
        if orig is not None and edit is not None and finite and changed <= STRUCTURE_SAFE and plain_medium:
            structure = structure_similarity(orig, np.clip(edit, 0.0, 1.0))
            details["structure"] = structure
            if structure < STRUCTURE_FLOOR:
                spatial -= 4 * (STRUCTURE_FLOOR - structure)
                notes.append(f"structure lost (similarity {structure:.2f})")

        # --- technical
        technical = 5.0
        if trace is not None:
            technical -= 1.0 * len(trace.redundant_steps) + 0.75 * len(trace.blocked_changes)
            technical -= 1.0 * max(0, trace.num_steps - 5)
            inversions = order_inversions(trace)
            technical -= 0.25 * min(4, inversions)
            if inversions:
                notes.append(f"steps out of the canonical order ({inversions} inversions)")
            if trace.redundant_steps:
                notes.append(f"redundant steps: {list(trace.redundant_steps)}")
            if trace.blocked_changes:
                notes.append(f"blocked changes: {len(trace.blocked_changes)}")
        if edit is not None:
            if not finite:
                technical = 0.0
                notes.append("edited image has NaN/inf pixels")
            else:
                edit = np.clip(edit, 0.0, 1.0)
                clipped = _clipped(edit)
                details["clipped"] = clipped
                if clipped > 0.6 and (orig is None or _clipped(orig) < 0.3):
                    technical -= 2.0
                    notes.append(f"{clipped:.0%} of the pixels are clipped")
                if orig is not None and not changed & TEXTURE_DIMS:
                    hf_edit, hf_orig = _high_freq(edit), _high_freq(orig)
                    details["high_freq"] = hf_edit
                    # Beyond 4x the original *and* beyond any clean render (~0.24; white noise is ~0.7).
                    excess = hf_edit - max(HF_CEILING, 4 * hf_orig)
                    if excess > 0:
                        technical -= min(1.5, 5 * excess)
                        notes.append(f"high-frequency noise (energy {hf_edit:.2f}, original {hf_orig:.2f})")

        # --- temporal
        temporal = 5.0 - 1.5 * len(new_temporal) - sum(1.5 * (1.0 - credit[d]) for d in TEMPORAL_DIMS if d in credit)

        # --- aesthetic
        aesthetic = 5.0 - 1.25 * len(new_aesthetic)
        muddy = [
            c
            for c in changes
            if c.dimension in ("color_grading", "artistic_medium") and (c.strength < 0.95 or c.gradient is not None)
        ]
        aesthetic -= 0.5 * len(muddy)
        if edit is not None and finite:
            if _luma(edit).std() < 0.005:
                aesthetic -= 1.0
                notes.append("edited image is almost uniform")
            colour = colourfulness(edit)
            details["colourfulness"] = colour
            mono = final.color_grading in _MONOCHROME or final.artistic_medium in _MONO_MEDIA
            if colour > 0.8 or (colour < 0.005 and not mono):
                aesthetic -= 0.5
                notes.append(f"colourfulness {colour:.2f} outside the sane band")

        # --- creative
        creative = 5 * (0.5 + 0.3 * target_score) + (1.0 if fitting else 0.0)
        if violated or new_temporal or new_aesthetic:
            creative -= 1.0

        criteria = {
            "goal_alignment": goal_alignment,
            "aesthetic_quality": clip_reward(aesthetic),
            "spatial_consistency": clip_reward(spatial),
            "technical_quality": clip_reward(technical),
            "temporal_consistency": clip_reward(temporal),
            "creative_interpretation": clip_reward(creative),
        }
        reward = weighted_reward(criteria)
        free = [d for d in DIMENSIONS if d not in targets]
        weights = {d: 2.0 if d in goal.preserve else 1.0 for d in free}
        kept = sum(w for d, w in weights.items() if final.get(d) == init.get(d))
        preservation = kept / sum(weights.values()) if weights else 1.0
        execution = criteria["goal_alignment"] / 5
        consistency = (preservation + criteria["spatial_consistency"] / 5) / 2
        details.update(
            target_score=target_score,
            preservation=preservation,
            execution=execution,
            consistency=consistency,
            weighted_reward=reward,
        )
        if self.cme is not None:
            reward = cme_reward(execution, consistency, self.cme)
        reward = clip_reward(reward)

        if self.noise_std > 0 and not noise_free:
            rng = np.random.default_rng([self.seed, *self._key(goal, init, final, plan, orig, edit)])
            reward = clip_reward(reward + rng.normal(0.0, self.noise_std))
            criteria = {k: clip_reward(v + rng.normal(0.0, self.noise_std)) for k, v in criteria.items()}
        rationale = "; ".join(notes) if notes else "all requested changes made cleanly, nothing else touched"
        return JudgeResult(float(reward), {k: float(v) for k, v in criteria.items()}, rationale, details)

    # ------------------------------------------------------------------------------------------------------

    @staticmethod
    def _credit(goal: StylingGoal, dim: str, final: StyleContext, changes: list[Change]) -> float:
        target = goal.targets[dim]
        if final.get(dim) != target:
            return 0.0
        mine = [c for c in changes if c.dimension == dim and c.new == target and c.sets_value]
        if not mine:
            return 1.0
        c = mine[-1]
        strength = 1.0 if c.strength >= 0.95 else 0.3 + 0.7 * c.strength
        if c.region is None:
            coverage = 1.0
        elif goal.region is not None and goal.region in c.region.split("&"):
            coverage = 1.0 if c.region == goal.region else 0.8
        else:
            coverage = 0.6 + 0.4 * c.region_outside
        return strength * coverage

    @staticmethod
    def _region_penalty(region: str | None, c: Change) -> float:
        penalty = 0.25 if c.gradient is not None else 0.0
        if region is None:
            return penalty + (0.5 if c.region is not None else 0.0)
        if c.region is None or region not in c.region.split("&"):
            return penalty + 1.0
        return penalty + (0.25 if c.region != region else 0.0)

    @staticmethod
    def _key(
        goal: StylingGoal,
        init: StyleContext,
        final: StyleContext,
        plan: Plan | None,
        orig: np.ndarray | None,
        edit: np.ndarray | None,
    ) -> list[int]:
        h = hashlib.sha256()
        payload = {
            "goal": goal.to_dict(),
            "initial": init.to_dict(),
            "final": final.to_dict(),
            "plan": plan.to_records() if plan is not None else None,
        }
        h.update(json.dumps(payload, sort_keys=True).encode())
        for image in (orig, edit):
            if image is not None:
                pixels = np.round(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255).astype(np.uint8)
                h.update(np.ascontiguousarray(pixels).tobytes())
        digest = h.digest()
        return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def order_inversions(trace: ExecutionTrace) -> int:
    """Pairs of steps whose first changed dimensions run against `CANONICAL_ORDER` (plan hygiene)."""
    keys: dict[int, int] = {}
    for c in trace.changes:
        keys.setdefault(c.step, CANONICAL_ORDER.index(c.dimension))
    seq = [keys[s] for s in sorted(keys)]
    return sum(1 for i in range(len(seq)) for j in range(i + 1, len(seq)) if seq[i] > seq[j])


def execute_and_score(
    context: StyleContext,
    goal: StylingGoal,
    plan: Plan,
    library: ToolLibrary | str,
    judge: ProgrammaticJudge | None = None,
    *,
    noise_free: bool = False,
) -> tuple[ExecutionTrace, JudgeResult]:
    """Executes ``plan`` symbolically and scores the result (no images)."""
    judge = judge if judge is not None else ProgrammaticJudge()
    trace = execute_plan(context, plan, library)
    return trace, judge.score(goal, context, trace.final, trace=trace, plan=plan, noise_free=noise_free)


__all__ = [
    "JudgeResult",
    "ProgrammaticJudge",
    "colourfulness",
    "execute_and_score",
    "structure_similarity",
]
