"""The ``trl-styling`` command line: ``generate`` trajectory datasets, report their ``stats``, list ``backends``.

Examples::

    trl-styling generate --variant regular --num-groups 300 --rollouts 3 --seed 0 --out data/regular --num-workers 2
    trl-styling stats data/regular            # writes data/regular/report/ (PNG + JSON) and prints a summary
    trl-styling backends                      # registered backends per pipeline stage
    trl-styling base-planner --variant regular --out checkpoints/base-planner-regular  # (re)build B
    # a VLM behind an OpenAI-compatible server (vLLM) as extractor, planner, synthesizer and judge:
    trl-styling generate --variant simple --num-groups 50 --out data/vlm --backend openai \
        --base-url http://localhost:8000/v1 --model Qwen/Qwen3-VL-8B-Instruct --cache-dir cache/vlm
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from trl_styling.cli_types import floats as _floats
from trl_styling.cli_types import image_size as _image_size
from trl_styling.cli_types import json_object as _json_object
from trl_styling.cli_types import non_negative_float as _non_negative_float
from trl_styling.cli_types import non_negative_int as _non_negative_int
from trl_styling.cli_types import positive_int as _positive_int
from trl_styling.cli_types import probability as _probability
from trl_styling.human_eval import cli as human_eval_cli

# Flag of each stage's backend option (stage names are the registry's).
STAGE_FLAGS: dict[str, str] = {
    "render": "--renderer",
    "extract_context": "--extractor",
    "plan": "--planner",
    "synthesize_instruction": "--instruction-synthesizer",
    "edit": "--editor",
    "judge": "--judge",
}
# Stages a model answers (``--backend`` and the model flags apply to them).
MODEL_STAGES: tuple[str, ...] = ("extract_context", "plan", "synthesize_instruction", "judge")
DEFAULT_BACKENDS: frozenset[str] = frozenset({"world", "template"})


def _teacher_noise(text: str) -> str | dict[str, float]:
    if text in ("default", "clean"):
        return text
    from trl_styling.pipeline.backends.world import resolve_teacher_noise

    value = _json_object(text)
    try:
        resolve_teacher_noise(value)
    except (ValueError, TypeError) as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trl-styling", description="Tool-using image-styling planners with TRL.")
    sub = parser.add_subparsers(dest="command", metavar="{generate,stats,backends,base-planner,annotate,agreement}")
    sub.required = True

    description = (
        "Generate scored trajectories: base image, context, goal, plans, instructions, edited images and judge "
        "scores; resumes an interrupted run in the same --out."
    )
    gen = sub.add_parser("generate", help="generate a trajectory dataset (resumable)", description=description)
    gen.add_argument("--variant", required=True, choices=["simple", "regular", "complex"], help="dataset variant")
    gen.add_argument("--num-groups", required=True, type=_positive_int, help="groups (base image, goal) to generate")
    gen.add_argument(
        "--goal-explicitness",
        choices=["default", "descriptive", "partial", "explicit"],
        default="default",
        help="how goals word their changes: descriptive (the target scene, the default), partial or explicit",
    )
    gen.add_argument("--rollouts", type=_positive_int, default=3, help="plans per group (default 3)")
    gen.add_argument("--seed", type=_non_negative_int, default=0, help="run seed (default 0)")
    gen.add_argument("--out", required=True, help="output directory (the dataset, shards, generation.json)")
    gen.add_argument("--num-workers", type=_positive_int, default=1, help="worker processes or actors (default 1)")
    gen.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="local worker processes (default) or a Ray cluster (needs `pip install 'trl-styling[ray]'`)",
    )
    gen.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="Ray cluster to join ('auto', 'ray://host:10001'); default: start a local one",
    )
    gen.add_argument(
        "--ray-resources",
        type=_json_object,
        default={},
        metavar="JSON",
        help='Ray resources of a stage\'s actor, e.g. \'{"edit": {"num_gpus": 1}}\' (default: from its options)',
    )
    gen.add_argument(
        "--ray-replicas",
        type=_json_object,
        default={},
        metavar="JSON",
        help='actors per stage on Ray, e.g. \'{"edit": 2, "judge": 4}\' (default 1 each)',
    )
    gen.add_argument("--image-size", type=_image_size, default=256, help="base image size in pixels (default 256)")
    gen.add_argument("--shard-size", type=_positive_int, default=25, help="groups per shard (default 25)")
    gen.add_argument("--goals-per-image", type=_positive_int, default=1, help="groups sharing a base image")
    gen.add_argument("--library", choices=["simple", "regular", "complex"], help="tool library (default: variant)")
    for stage, flag in STAGE_FLAGS.items():
        gen.add_argument(flag, dest=f"backend_{stage}", metavar="NAME", help=f"{stage} backend (see `backends`)")
    gen.add_argument(
        "--backend",
        metavar="NAME",
        help="backend of the extractor, planner, instruction synthesizer and judge (unless their own "
        "flag names one), e.g. openai",
    )
    gen.add_argument("--base-url", metavar="URL", help="model server of the model-backed stages (OpenAI API base URL)")
    gen.add_argument("--model", metavar="NAME", help="model name of the model-backed stages")
    gen.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable holding the API key (the key itself never goes on the command line)",
    )
    gen.add_argument("--concurrency", type=_positive_int, metavar="N", help="concurrent requests per model stage")
    gen.add_argument("--cache-dir", metavar="DIR", help="on-disk cache of model answers (a rerun costs no request)")
    gen.add_argument(
        "--editor-model", metavar="ID", help='model of the edit backend (backend_kwargs edit {"model": ID})'
    )
    gen.add_argument(
        "--renderer-model", metavar="ID", help='model of the render backend (backend_kwargs render {"model": ID})'
    )
    gen.add_argument(
        "--backend-kwargs",
        type=_json_object,
        default={},
        metavar="JSON",
        help='per-stage backend options, e.g. \'{"judge": {"noise_std": 0.2}}\'',
    )
    gen.add_argument(
        "--teacher-noise",
        type=_teacher_noise,
        default="default",
        metavar="default|clean|JSON",
        help="world teacher mistake rates (TeacherNoise fields as JSON)",
    )
    gen.add_argument("--extractor-noise", type=_probability, default=0.0, help="world extractor misread rate")
    gen.add_argument("--judge-noise-std", type=_non_negative_float, default=0.0, help="world judge noise std")
    gen.add_argument(
        "--judge-cme",
        type=_floats(2, "two weights W1,W2"),
        metavar="W1,W2",
        help="FIRM CME reward 5*execution*(W1+W2*consistency)",
    )
    gen.add_argument(
        "--split-ratios",
        type=_floats(3, "three ratios TRAIN,VAL,TEST"),
        default=(0.8, 0.1, 0.1),
        metavar="TRAIN,VAL,TEST",
        help="split by base image (default 0.8,0.1,0.1)",
    )
    gen.add_argument("--split-seed", type=_non_negative_int, help="seed of the split (default: --seed)")
    gen.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="module to import to register backends (repeatable)",
    )
    gen.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen.add_argument("--overwrite", action="store_true", help="discard shards of a different configuration in --out")
    gen.set_defaults(subparser=gen)

    stats = sub.add_parser("stats", help="reward statistics and plots of a generated dataset")
    stats.add_argument("dataset_dir", metavar="DIR", help="a directory written by `trl-styling generate`")
    stats.add_argument("--out", help="report directory (default DIR/report)")
    stats.set_defaults(subparser=stats)

    backends = sub.add_parser("backends", help="list the registered backends of each pipeline stage")
    backends.set_defaults(subparser=backends)
    _add_base_planner_parser(sub)
    human_eval_cli.add_subcommands(sub)
    return parser


def _add_base_planner_parser(sub: Any) -> None:
    from dataclasses import fields

    from trl_styling.base_planner import BasePlannerSpec

    description = (
        "Build the starting checkpoint B (a tiny planner pretrained on the rule teacher's plans for other images "
        "and goals) with its provenance; the same flags rebuild it bit for bit. Defaults are the quickstart's."
    )
    base = sub.add_parser("base-planner", help="build the tiny pretrained planner B", description=description)
    for spec_field in fields(BasePlannerSpec):
        kind = type(spec_field.default)
        base.add_argument(
            f"--{spec_field.name.replace('_', '-')}",
            type=kind,
            default=spec_field.default,
            help=f"(default {spec_field.default})",
        )
    base.add_argument("--out", required=True, help="checkpoint directory (replaced if present)")
    base.add_argument("--num-workers", type=_positive_int, default=1, help="corpus worker processes (default 1)")
    base.add_argument("--no-progress", action="store_true", help="no progress bars")
    base.set_defaults(subparser=base)


def _base_planner(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dataclasses import fields

    from trl_styling.base_planner import BasePlannerSpec, build_base_planner, read_provenance

    try:
        spec = BasePlannerSpec(**{f.name: getattr(args, f.name) for f in fields(BasePlannerSpec)})
    except ValueError as e:
        parser.error(str(e))
    out = build_base_planner(spec, args.out, num_workers=args.num_workers, progress=not args.no_progress)
    provenance = read_provenance(out)
    print(
        f"Saved B to {out} (weights sha256 {provenance['weights_sha256'][:16]}..., warm-up corpus of "
        f"{provenance['warmup_corpus_trajectories']} trajectories)"
    )
    return 0


def _generate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from trl_styling.pipeline.config import GenerationConfig
    from trl_styling.pipeline.generate import GenerationFailedError, run_generation
    from trl_styling.pipeline.ray_executor import RayNotInstalledError
    from trl_styling.pipeline.registry import import_plugins, list_backends
    from trl_styling.pipeline.shards import ConfigMismatchError, GenerationLockedError

    try:
        import_plugins(args.plugin)
    except ImportError as e:
        parser.error(f"argument --plugin: cannot import {e.name or e}: {e}")
    backends = {}
    for stage, flag in STAGE_FLAGS.items():
        name = getattr(args, f"backend_{stage}")
        if name is None and stage in MODEL_STAGES and args.backend is not None:
            name, flag = args.backend, "--backend"
        if name is None:
            continue
        if name not in list_backends(stage):
            parser.error(
                f"argument {flag}: unknown {stage} backend {name!r}; registered: {', '.join(list_backends(stage))}"
            )
        backends[stage] = name
    unknown = sorted(set(args.backend_kwargs) - set(STAGE_FLAGS))
    if unknown or not all(isinstance(v, dict) for v in args.backend_kwargs.values()):
        parser.error(
            f"argument --backend-kwargs: keys must be stages ({', '.join(STAGE_FLAGS)}) mapping to JSON "
            f"objects, got {json.dumps(args.backend_kwargs)}"
        )
    args.backend_kwargs = _model_flag_kwargs(args, backends, parser)
    try:
        config = GenerationConfig(
            variant=args.variant,
            goal_explicitness=args.goal_explicitness,
            num_groups=args.num_groups,
            rollouts=args.rollouts,
            seed=args.seed,
            out_dir=args.out,
            image_size=args.image_size,
            shard_size=args.shard_size,
            num_workers=args.num_workers,
            goals_per_image=args.goals_per_image,
            library=args.library,
            backends=backends,
            backend_kwargs=args.backend_kwargs,
            teacher_noise=args.teacher_noise,
            extractor_noise=args.extractor_noise,
            judge_noise_std=args.judge_noise_std,
            judge_cme=args.judge_cme,
            split_ratios=args.split_ratios,
            split_seed=args.split_seed,
            plugins=tuple(args.plugin),
            progress=not args.no_progress,
            overwrite=args.overwrite,
            executor=args.executor,
            ray_address=args.ray_address,
            ray_resources=args.ray_resources,
            ray_replicas=args.ray_replicas,
        )
    except ValueError as e:
        parser.error(str(e))
    try:
        summary = run_generation(config)
    except (ConfigMismatchError, GenerationLockedError) as e:
        parser.error(f"argument --out: {e}")
    except (GenerationFailedError, RayNotInstalledError) as e:
        print(f"trl-styling generate: error: {e}", file=sys.stderr)
        return 1
    print(format_generation_summary(summary, args.out))
    return 0


def _model_flag_kwargs(args: argparse.Namespace, backends: dict[str, str], parser: argparse.ArgumentParser) -> dict:
    """``--backend-kwargs`` completed by the model flags (explicit ``--backend-kwargs`` entries win)."""
    kwargs = {stage: dict(options) for stage, options in args.backend_kwargs.items()}
    shared = {
        "base_url": args.base_url,
        "model": args.model,
        "api_key_env": args.api_key_env,
        "concurrency": args.concurrency,
        "cache_dir": args.cache_dir,
    }
    shared = {key: value for key, value in shared.items() if value is not None}
    if args.api_key_env is not None and args.api_key_env not in os.environ:
        parser.error(
            f"argument --api-key-env: the environment variable {args.api_key_env!r} is not set; export it with the key"
        )
    model_stages = [s for s in MODEL_STAGES if backends.get(s, "world") not in DEFAULT_BACKENDS]
    if shared and not model_stages:
        flags = ", ".join("--" + key.replace("_", "-") for key in shared)
        parser.error(
            f"argument {flags.split(', ')[0]}: {flags} configure model-backed stages, but none is selected; "
            "add --backend openai (or --planner/--judge/... NAME)"
        )
    for stage in model_stages:
        kwargs[stage] = {**shared, **kwargs.get(stage, {})}
    for stage, model in (("edit", args.editor_model), ("render", args.renderer_model)):
        if model is not None:
            kwargs[stage] = {"model": model, **kwargs.get(stage, {})}
    return kwargs


def format_generation_summary(summary: dict[str, Any], out: str) -> str:
    counts, timings = summary["counts"], summary["timings"]
    splits = ", ".join(f"{name} {c['trajectories']}" for name, c in counts["splits"].items())
    lines = [f"Saved {counts['trajectories']} trajectories ({counts['groups']} groups; {splits}) to {out}"]
    if counts["shards_reused"]:
        lines.append(f"Resumed: reused {counts['shards_reused']} of {counts['shards']} shards.")
    rate = timings["trajectories_per_second"]
    lines.append(
        f"Throughput: {timings['trajectories_generated']} trajectories in {timings['wall_seconds']:.1f} s = "
        + (f"{rate:.2f} trajectories/s" if rate else "n/a (nothing new to generate)")
        + f" with {timings['num_workers']} worker(s)"
        + (" on Ray" if summary.get("executor", {}).get("name") == "ray" else "")
        + f" (+ {timings['assemble_seconds']:.1f} s to split and save)."
    )
    if counts["judge_failed"] or counts["failures"]:
        lines.append(
            f"Judge failures: {counts['judge_failed']} rows (kept, judge_failed=True); other failures: "
            f"{counts['failures']} (see generation.json)."
        )
    return "\n".join(lines)


def _stats(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from trl_styling.pipeline.report import dataset_report, format_report

    try:
        report = dataset_report(args.dataset_dir, args.out)
    except FileNotFoundError as e:
        parser.error(f"argument DIR: {e}")
    print(format_report(report))
    return 0


def _backends() -> int:
    from trl_styling.pipeline.registry import list_backends

    for stage, flag in STAGE_FLAGS.items():
        print(f"{stage:<24} {flag:<26} {', '.join(list_backends(stage))}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "generate":
        return _generate(args, args.subparser)
    if args.command == "stats":
        return _stats(args, args.subparser)
    if args.command == "base-planner":
        return _base_planner(args, args.subparser)
    if args.command in ("annotate", "agreement"):
        return human_eval_cli.main_for(args.command, args)
    return _backends()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
