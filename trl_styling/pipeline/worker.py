"""One group at a time: base image, context, goal, rollouts (plan -> instruction -> edit -> judge) -> rows.

Seeding: base image ``i`` draws its context and render seed from ``SeedSequence([seed, 0, i])``; group ``g``
draws its goal and its stage seeds from ``SeedSequence([seed, 1, g])``. Nothing depends on which worker
or shard runs the group.

Failure policy: a failing render, extraction, goal or planner call loses the *group* (no row: a row needs a
plan); it is reported in the shard's ``failures``. A plan the planner could not produce loses that rollout.
A failing editor or judge, or a judge answer outside [0, 5], keeps the row with ``judge_failed=True``,
``reward=None`` and the error in ``judge_error`` -- never a made-up score. A model service that is unreachable
(`ChatModelUnavailableError`) is none of these: it says nothing
about the group, so it ends the run before the shard is written, and a rerun resumes there.

A judge with ``score_many(requests)`` (a list of results or exceptions, in order) scores a group's rollouts
in one call, e.g. concurrently; otherwise each rollout is scored with ``score``. Rows keep rollout order.
"""

from __future__ import annotations

import io
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from trl_styling.data.schema import Trajectory
from trl_styling.pipeline.backends.chat import ChatModelUnavailableError
from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.registry import get_backend, import_plugins
from trl_styling.pipeline.stages import STAGES, JudgeRequest, RenderedImage
from trl_styling.rewards import CRITERIA
from trl_styling.world.semantics.goals import random_context, sample_goal


@dataclass
class Backends:
    """One built backend per stage."""

    render: Any
    extract_context: Any
    plan: Any
    synthesize_instruction: Any
    edit: Any
    judge: Any

    @classmethod
    def from_config(cls, config: GenerationConfig) -> Backends:
        import_plugins(config.plugins)
        built = {stage: get_backend(stage, config.backends[stage], **config.stage_kwargs(stage)) for stage in STAGES}
        return cls(**built)


@dataclass
class _Rollout:
    """One rollout between planning and its row."""

    tid: str
    plan: Any
    instruction: str
    edited_png: dict[str, Any] | None = None
    request: JudgeRequest | None = None
    result: Any = None
    error: str | None = None


@dataclass
class GroupOutput:
    rows: list[dict[str, Any]] = field(default_factory=list)
    spec: dict[str, Any] | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)


class _Clock:
    """Accumulates seconds per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def run(self, stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.seconds[stage] += time.perf_counter() - start


def ids(config: GenerationConfig, group: int) -> tuple[str, str]:
    """(group_id, base_image_id) of a group index."""
    prefix = f"{config.variant}-s{config.seed}"
    return f"{prefix}-g{group:06d}", f"{prefix}-i{group // config.goals_per_image:06d}"


def _seeds(sequence: np.random.SeedSequence, n: int) -> list[int]:
    return [int(x) for x in sequence.generate_state(n, dtype=np.uint32)]


def encode_png(image: Image.Image, compress_level: int, text: dict[str, str] | None = None) -> dict[str, Any]:
    """A ``datasets.Image`` value: PNG bytes (with ``text`` chunks) and no path."""
    info = None
    if text:
        info = PngImagePlugin.PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=compress_level, pnginfo=info)
    return {"bytes": buffer.getvalue(), "path": None}


class GroupRunner:
    """Runs groups with one set of backends; keeps the last base image (groups of one image are adjacent)."""

    def __init__(self, config: GenerationConfig, backends: Backends | None = None) -> None:
        self.config = config
        self.backends = backends if backends is not None else Backends.from_config(config)
        self.clock = _Clock()
        self._image: tuple[int, RenderedImage, dict[str, Any], int] | None = None

    def _base(self, index: int) -> tuple[RenderedImage, dict[str, Any], int]:
        if self._image is None or self._image[0] != index:
            rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, 0, index]))
            context = random_context(rng, self.config.variant)
            render_seed = int(rng.integers(2**31 - 1))
            rendered = self.clock.run("render", self.backends.render.render, context, seed=render_seed)
            text = {k: str(v) for k, v in rendered.image.info.items() if isinstance(v, str) and k.startswith("trl_")}
            png = self.clock.run("encode", encode_png, rendered.image, self.config.png_compress_level, text)
            self._image = (index, rendered, png, render_seed)
        return self._image[1], self._image[2], self._image[3]

    def run(self, group: int) -> GroupOutput:
        config, b, clock = self.config, self.backends, self.clock
        group_id, base_id = ids(config, group)
        out = GroupOutput()
        try:
            rendered, base_png, render_seed = self._base(group // config.goals_per_image)
            s_extract, s_goal, s_plan, s_edit = _seeds(np.random.SeedSequence([config.seed, 1, group]), 4)
            observed = clock.run(
                "extract_context", b.extract_context.extract, rendered.image, hint=rendered, seed=s_extract
            )
            truth = rendered.context if rendered.context is not None else observed
            goal = clock.run(
                "goal", sample_goal, truth, config.variant, np.random.default_rng(s_goal), config.goal_explicitness
            )
            proposals = clock.run(
                "plan", b.plan.propose, observed, goal, config.rollouts, image=rendered.image, seed=s_plan
            )
        except ChatModelUnavailableError:
            raise  # the service is down: end the run, unwritten shards are recomputed on resume
        except Exception as error:  # noqa: BLE001 - a broken group is reported, the run goes on
            out.failures.append({"group_id": group_id, "stage": "group", "error": f"{type(error).__name__}: {error}"})
            return out
        out.spec = {
            "group_id": group_id,
            "base_image_id": base_id,
            "group_index": group,
            "render_seed": render_seed,
            "context": truth.to_dict(),
            "observed_context": observed.to_dict(),
            "goal": goal.to_dict(),
            "trajectories": [],
        }
        edit_seeds = _seeds(np.random.SeedSequence([s_edit]), max(1, len(proposals)))
        rollouts = []
        for k, proposal in enumerate(proposals):
            tid = f"{group_id}-r{k}"
            if proposal.plan is None:
                out.failures.append({"trajectory_id": tid, "stage": "plan", "error": "; ".join(proposal.errors)})
                continue
            rollouts.append(self._edit(tid, rendered, observed, truth, goal, proposal.plan, edit_seeds[k]))
        self._judge([r for r in rollouts if r.error is None])
        for rollout in rollouts:
            row, note = self._row(rollout, group_id, base_id, base_png, observed, goal)
            out.rows.append(row)
            out.spec["trajectories"].append({"trajectory_id": rollout.tid, **note})
        return out

    def _edit(
        self, tid: str, rendered: RenderedImage, observed: Any, truth: Any, goal: Any, plan: Any, edit_seed: int
    ) -> _Rollout:
        """Instruction and edit of one rollout, and the judge request (or the edit's error)."""
        b, clock = self.backends, self.clock
        instruction = clock.run("synthesize_instruction", b.synthesize_instruction.synthesize, plan, observed, goal)
        rollout = _Rollout(tid, plan, instruction)
        try:
            edited = clock.run(
                "edit", b.edit.edit, rendered.image, truth, plan, instruction, scene=rendered.scene, seed=edit_seed
            )
            rollout.edited_png = clock.run("encode", encode_png, edited.image, self.config.png_compress_level)
            final = edited.context
            if final is None:  # a pixel-only editor: read the state back with the extractor
                hint = RenderedImage(edited.image, None, edited.scene)
                final = clock.run(
                    "extract_context", b.extract_context.extract, edited.image, hint=hint, seed=edit_seed
                )
        except ChatModelUnavailableError:
            raise
        except Exception as e:  # noqa: BLE001 - recorded on the row, never turned into a score
            rollout.error = f"edit failed: {type(e).__name__}: {e}"
            return rollout
        rollout.request = JudgeRequest(
            goal=goal,
            initial_context=truth,
            final_context=final,
            original_image=rendered.image,
            edited_image=edited.image,
            plan=plan,
            instruction=instruction,
            trace=edited.trace,
        )
        return rollout

    def _judge(self, rollouts: list[_Rollout]) -> None:
        """Scores the edited rollouts (all at once with ``score_many`` when the judge has it)."""
        judge, clock = self.backends.judge, self.clock
        outcomes: list[Any] = []
        if hasattr(judge, "score_many") and len(rollouts) > 1:
            try:
                outcomes = list(clock.run("judge", judge.score_many, [r.request for r in rollouts]))
                if len(outcomes) != len(rollouts):
                    raise ValueError(f"score_many returned {len(outcomes)} results for {len(rollouts)} requests")
            except ChatModelUnavailableError:
                raise
            except Exception as e:  # noqa: BLE001 - the whole batch failed: every row records it
                outcomes = [e] * len(rollouts)
        else:
            for rollout in rollouts:
                try:
                    outcomes.append(clock.run("judge", judge.score, rollout.request))
                except ChatModelUnavailableError:
                    raise
                except Exception as e:  # noqa: BLE001
                    outcomes.append(e)
        for rollout, outcome in zip(rollouts, outcomes):
            if isinstance(outcome, ChatModelUnavailableError):
                raise outcome
            try:
                if isinstance(outcome, BaseException):
                    raise outcome
                reward = float(outcome.reward)
                if not (math.isfinite(reward) and 0.0 <= reward <= 5.0):
                    raise ValueError(f"the judge returned reward {outcome.reward!r}, outside [0, 5]")
                rollout.result = outcome
            except Exception as e:  # noqa: BLE001
                rollout.error = f"{type(e).__name__}: {e}"

    def _row(
        self, rollout: _Rollout, group_id: str, base_id: str, base_png: dict[str, Any], observed: Any, goal: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        result = rollout.result
        criteria = {}
        if result is not None:
            criteria = {c: float(result.criteria[c]) for c in CRITERIA if c in result.criteria}
        row = Trajectory(
            trajectory_id=rollout.tid,
            group_id=group_id,
            base_image_id=base_id,
            goal=goal.text,
            plan=rollout.plan,
            reward=None if result is None else float(result.reward),
            variant=self.config.variant,
            theme=goal.theme,
            context=observed,
            image=base_png,
            instruction=rollout.instruction,
            edited_image=rollout.edited_png,
            criteria=criteria,
            goal_spec=goal.to_dict(),
            judge_failed=result is None,
            judge_error=rollout.error,
        ).to_row()
        note = {"rationale": result.rationale if result is not None else None, "error": rollout.error}
        return row, note
