"""``trl-styling annotate`` (the human-evaluation page) and ``trl-styling agreement`` (its statistics).

Examples::

    trl-styling annotate data/regular --split test --max-items 100 --out eval/rate.html
    trl-styling annotate eval/sw_outputs.json --max-items 50 --out eval/rate-sw.html  # a method's outputs, 0-100
    trl-styling annotate --methods S=out/standard RW=out/rw.jsonl SW=out/sw --max-items 50 --out eval/rank.html
    trl-styling agreement eval/answers/*.json --judge eval/rate.judge.json --out eval/agreement.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from trl_styling.cli_types import positive_int as _positive_int


def _method(text: str) -> tuple[str, str]:
    name, sep, source = text.partition("=")
    if not sep or not name.strip() or not source:
        raise argparse.ArgumentTypeError(f"must be NAME=DIR_OR_JSON, got {text!r}")
    return name.strip(), source


def _thresholds(text: str) -> tuple[float, float]:
    try:
        partial, passing = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be PARTIAL,PASS (two numbers), got {text!r}") from None
    if not partial <= passing:
        raise argparse.ArgumentTypeError(f"PARTIAL must be <= PASS, got {text!r}")
    return partial, passing


def add_subcommands(sub: Any) -> None:
    """Adds ``annotate`` and ``agreement`` to the ``trl-styling`` subparsers."""
    annotate = sub.add_parser(
        "annotate",
        help="write a self-contained human-evaluation HTML page (rate or rank)",
        description="Rate trajectories of a generated dataset (or one method's agent-output JSON) Pass/Partial/Fail "
        "on four dimensions (App. J.1), sampled 40% high / 40% medium / 20% low judge score by default; or, "
        "with --methods, rank the top 3 of several methods' outputs per goal (App. J.5). Writes the page and "
        "PAGE.judge.json (the automatic judge's scores and their range, how the items were sampled, and the key "
        "of the blind candidates).",
    )
    annotate.add_argument(
        "dataset_dir",
        metavar="DIR_OR_JSON",
        nargs="?",
        help="rate mode: a `trl-styling generate` directory, or one method's agent-output JSON",
    )
    annotate.add_argument(
        "--methods",
        nargs="+",
        type=_method,
        metavar="NAME=DIR_OR_JSON",
        help="rank mode: a method's outputs (generate dir or agent-output JSON)",
    )
    annotate.add_argument("--out", required=True, help="the HTML page to write")
    annotate.add_argument("--split", default="test", help="dataset split to sample (default test)")
    annotate.add_argument(
        "--max-items",
        type=_positive_int,
        help="items on the page (default: all rows with a judge score when sampling by tier, else all)",
    )
    annotate.add_argument("--seed", type=int, default=0, help="sampling and candidate-order seed (default 0)")
    annotate.add_argument(
        "--sampling",
        choices=("tiers", "uniform"),
        help="rate mode: 'tiers' (default) takes --max-items as 40%% high, 40%% medium, 20%% low judge score and "
        "skips rows without a score (App. J.1); 'uniform' a seeded random sample of all rows",
    )
    annotate.add_argument(
        "--tier-thresholds",
        type=_thresholds,
        metavar="PARTIAL,PASS",
        help="rate mode: tier cut-offs on the source's score scale (default 3,4 on the 0-5 reward, scaled to the "
        "source's score_range: 60,80 on 0-100); high >= PASS, medium >= PARTIAL, low below",
    )
    annotate.add_argument("--title", help="page title")
    annotate.add_argument("--page-id", help="localStorage key of the answers (default: derived from the content)")
    annotate.add_argument(
        "--max-image-size",
        type=_positive_int,
        default=512,
        help="downscale inlined images to at most this many pixels a side (default 512)",
    )
    annotate.set_defaults(subparser=annotate)

    agreement = sub.add_parser(
        "agreement",
        help="pass rates and rater/judge agreement of exported answers",
        description="Pass rates, exact/adjacent agreement, Spearman and Kendall tau-b between raters and with the "
        "automatic judge (App. J.2-J.3); win rates, winner and top-2 accuracy for rank pages (App. J.5).",
    )
    agreement.add_argument("answers", nargs="+", metavar="ANSWERS.json", help="files exported from one page")
    agreement.add_argument(
        "--judge", metavar="DIR_OR_JSON", help="PAGE.judge.json (required for rank pages) or the generated dataset dir"
    )
    agreement.add_argument(
        "--judge-thresholds",
        type=_thresholds,
        metavar="PARTIAL,PASS",
        help="judge score -> level cut-offs on the judge's own scale (default 3,4 on the 0-5 reward, scaled to "
        "the judge file's score_range: 60,80 on 0-100)",
    )
    agreement.add_argument("--out", help="write the report as JSON here")
    agreement.set_defaults(subparser=agreement)


def run_annotate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from trl_styling.human_eval.items import (
        ItemSourceError,
        method_outputs,
        ranking_items,
        score_range_of,
        shared_score_range,
    )
    from trl_styling.human_eval.page import judge_scores, ranking_page_data, rating_page_data, write_page
    from trl_styling.human_eval.rating import rating_sample

    if (args.dataset_dir is None) == (args.methods is None):
        parser.error(
            "pass either DIR_OR_JSON (rate trajectories) or --methods NAME=SOURCE ... (rank methods), not both"
        )
    if args.methods is not None and (args.sampling == "tiers" or args.tier_thresholds is not None):
        parser.error(
            "argument --sampling/--tier-thresholds: tier sampling is for rating pages; rank pages sample goals "
            "uniformly (leave both out with --methods)"
        )
    summary = ""
    try:
        if args.methods is None:
            sample = rating_sample(
                args.dataset_dir,
                args.split,
                args.max_items,
                args.seed,
                args.max_image_size,
                sampling=args.sampling or "tiers",
                thresholds=args.tier_thresholds,
            )
            title = args.title or f"Rate trajectories: {Path(args.dataset_dir).name} ({args.split})"
            data = rating_page_data(sample.outputs, title=title, page_id=args.page_id)
            judge = judge_scores(
                data,
                outputs=sample.outputs,
                score_range=sample.score_range,
                sampling=sample.sampling,
                tiers=sample.tiers,
            )
            summary = sample.summary
        else:
            names = [name for name, _ in args.methods]
            if len(set(names)) != len(names):
                parser.error(f"argument --methods: method names must be distinct, got {names}")
            sources = {name: method_outputs(source, args.split, args.max_image_size) for name, source in args.methods}
            # Name the sources (not just the methods) when their judge scores are on different scales.
            score_range = shared_score_range(
                {f"{name}={source}": score_range_of(sources[name].values()) for name, source in args.methods}
            )
            items = ranking_items(sources, args.max_items, args.seed)
            data = ranking_page_data(items, title=args.title or "Rank the top 3 outputs", page_id=args.page_id)
            judge = judge_scores(
                data,
                items=items,
                score_range=score_range,
                sampling={"method": "uniform", "seed": args.seed, "max_items": args.max_items},
            )
    except ItemSourceError as e:
        parser.error(str(e))
    page, sidecar = write_page(data, judge, args.out)
    if summary:
        print(summary)
    print(f"Wrote {page} ({data['mode']}, {len(data['items'])} items, page id {data['page_id']}) and {sidecar}.")
    return 0


def _scale(judge: dict[str, Any]) -> str:
    low, high = judge.get("score_range", (0, 5))
    return f"[{low:g}, {high:g}]"


def format_agreement(report: dict[str, Any]) -> str:
    """A short text summary of `agreement_report`."""

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    def num(value: float | None) -> str:
        return "n/a" if value is None else f"{value:+.3f}"

    lines = [f"Page {report['page_id']} ({report['mode']}), raters: {', '.join(report['raters'])}"]
    for dim, rates in report["pass_rates"].items():
        lines.append(
            f"  {dim:<24} n={rates['n']:<5} pass {pct(rates['pass'])}  partial {pct(rates['partial'])}  "
            f"fail {pct(rates['fail'])}"
        )
    if report["mode"] == "rate":
        for dim, stats in report["inter_rater"].items():
            lines.append(
                f"  raters {dim:<17} items={stats['items']:<4} exact {pct(stats['exact'])}  adjacent "
                f"{pct(stats['adjacent'])}  disagree {pct(stats['disagreement'])}  "
                f"tau-b {num(stats['mean_kendall_tau_b'])}"
            )
        if "judge" in report:
            judge = report["judge"]
            lines.append(
                f"  judge scores on {_scale(judge)}: pass >= {judge['thresholds'][1]:g}, "
                f"partial >= {judge['thresholds'][0]:g}, fail below"
            )
        for dim, stats in report.get("judge", {}).get("by_dimension", {}).items():
            pooled = stats["pooled"]
            lines.append(
                f"  judge  {dim:<17} n={pooled['n']:<6} exact {pct(pooled['exact'])}  adjacent "
                f"{pct(pooled['adjacent'])}  spearman {num(pooled['spearman'])}  "
                f"tau-b {num(pooled['kendall_tau_b'])}"
            )
    else:
        wins = ", ".join(f"{m} {pct(w['rate'])}" for m, w in report["win_rates"].items())
        lines.append(f"  win rates ({report['rankings']} rankings): {wins}")
        inter = report["inter_rater"]
        same, tau = pct(inter["winner_agreement"]), num(inter["mean_kendall_tau_b"])
        lines.append(f"  raters: same winner {same}, tau-b {tau}")
        if "judge" in report:
            judge = report["judge"]
            left_out = judge.get("methods_left_out", 0)
            lines.append(
                f"  judge scores on {_scale(judge)}, {judge['rankings']} rankings compared"
                + (f", {left_out} null-score outputs left out" if left_out else "")
                + (
                    f", {judge['rankings_skipped']} skipped (< 2 scored outputs)"
                    if judge.get("rankings_skipped")
                    else ""
                )
            )
            lines.append(
                f"  judge: winner accuracy {pct(judge['winner_accuracy'])} (chance "
                f"{pct(judge['chance_winner_accuracy'])}), top-2 accuracy {pct(judge['top2_accuracy'])}, "
                f"rho {num(judge['mean_spearman'])}, tau-b {num(judge['mean_kendall_tau_b'])}"
            )
    return "\n".join(lines)


def run_agreement(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from trl_styling.human_eval.agreement import agreement_report
    from trl_styling.human_eval.answers import AnswersError, load_answers, load_judge
    from trl_styling.human_eval.sampling import ScoreScaleError, resolve_thresholds

    try:
        sets = load_answers(args.answers)
        judge = load_judge(args.judge) if args.judge else None
        thresholds = args.judge_thresholds
        if judge is not None:  # explicit cut-offs are on the judge's own scale; defaults scale to it
            thresholds = resolve_thresholds(thresholds, judge.score_range, "argument --judge-thresholds")
        report = agreement_report(sets, judge, thresholds)
    except (AnswersError, FileNotFoundError, ScoreScaleError) as e:
        parser.error(str(e))
    except ValueError as e:  # mode / page mismatch between the answers and the judge file
        parser.error(f"argument --judge: {e}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(format_agreement(report))
    return 0


def main_for(command: str, args: argparse.Namespace) -> int:
    """Dispatches ``annotate`` / ``agreement`` (called by `trl_styling.cli.main`)."""
    handler = run_annotate if command == "annotate" else run_agreement
    return handler(args, args.subparser)
