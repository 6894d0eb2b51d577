"""`llambo-replay tables`: the paper's tables and figures from run histories."""

from __future__ import annotations

import argparse
from pathlib import Path

from llambo_replay.cli.flags import REFERENCE_HELP, csv_list
from llambo_replay.errors import UsageError


def cmd_tables(args: argparse.Namespace) -> int:
    from llambo_replay.bayesmark import reference
    from llambo_replay.tables.build import build_tables
    from llambo_replay.tables.results import load_paper, load_results

    if args.evaluations is not None:
        from llambo_replay.tables.evaluations import build_evaluation_tables, find_evaluations

        if args.benchmark != "bayesmark":
            raise UsageError("--evaluations renders the component evaluations; drop --benchmark")
        folders = args.evaluations or [Path(folder) for folder in EVALUATION_RESULTS]
        return build_evaluation_tables(find_evaluations(folders), args.out or SCRATCH / "evaluations")
    if args.benchmark == "hpobench":
        if args.no_paper:
            raise UsageError("--benchmark hpobench renders only the paper's histories; drop --no-paper")
        histories = load_paper(args.reference, benchmark=reference.HPOBENCH_HISTORIES)
        return build_tables(histories, args.out or SCRATCH / "hpobench", "HPOBench")
    histories = load_results(args.results)
    if args.methods:  # by folder name, as `grid --methods` names them
        folder = {id(h): h.source.split("/")[1] for h in histories}  # "results/<method>/<dataset>/..."
        found = sorted(set(folder.values()))
        missing = [m for m in args.methods if m not in found]
        if missing:
            raise UsageError(f"no runs of {missing[0]!r} under {args.results}; it has: {', '.join(found)}")
        histories = [h for h in histories if folder[id(h)] in args.methods]
    if not args.no_paper:
        histories += load_paper(args.reference, {(h.dataset, h.model) for h in histories})
    cassettes = args.cassettes if args.cassettes.is_dir() else None
    return build_tables(histories, args.out or SCRATCH, "Bayesmark", args.results, cassettes)


EVALUATION_RESULTS = ("results/surrogate-eval", "results/sampler-eval")  # the committed official evaluations
SCRATCH = Path("results/runs/tables")  # not the committed tables/: regenerating those is asked by --out tables

LISTING = {
    "tables": "regenerate the paper's tables and figures from run histories",
}

EXAMPLES = {
    "tables": (
        "llambo-replay tables",
        "llambo-replay tables --benchmark hpobench",
        "llambo-replay tables --results results/recorded/ablations --no-paper --out tables/ablations",
    ),
}


def register(sub: argparse._SubParsersAction) -> None:
    tables = sub.add_parser(
        "tables",
        help=LISTING["tables"],
        description="Normalised regret and average rank per evaluation (CV score and the "
        "incumbent's test score), as Markdown, CSV and LaTeX tables and PNG figures, "
        "byte-stable, with a manifest of input and output sha256s. Methods are "
        "compared only on the (task, seed) cells they all have, each cut to the "
        "task's shortest budget. --benchmark hpobench renders the paper's published "
        "HPOBench histories alone (the tabular benchmark itself is not available "
        "here to run).",
    )
    tables.add_argument(
        "--benchmark",
        default="bayesmark",
        choices=["bayesmark", "hpobench"],
        help="bayesmark: our runs under --results beside the paper's row; hpobench: the paper's row",
    )
    tables.add_argument(
        "--results",
        type=Path,
        default=Path("results/recorded/grid"),
        help="folder of run histories, <method>/<dataset>/<model>/<seed>.csv (bayesmark)",
    )
    tables.add_argument(
        "--methods",
        type=csv_list,
        default=None,
        help="only these methods' runs under --results (comma-separated; default: all), e.g. to leave out "
        "one still being recorded, which would otherwise narrow every method to the cells it has",
    )
    tables.add_argument(
        "--cassettes",
        type=Path,
        default=Path("cassettes"),
        help="where the runs under --results were recorded: the clock time per proposal is read from it",
    )
    tables.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    tables.add_argument("--no-paper", action="store_true", help="leave out the paper's published LLAMBO row")
    tables.add_argument(
        "--evaluations",
        type=Path,
        nargs="*",
        default=None,
        metavar="DIR",
        help="instead: the official surrogate and sampler evaluations (surrogate-eval, sampler-eval) "
        "found under these folders, each as Markdown, LaTeX and CSV (mean ± s.e. over seeds) "
        "and a figure of every metric against the observed-set size (no folder: the committed "
        + " and ".join(EVALUATION_RESULTS)
        + ")",
    )
    tables.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output folder (default: {SCRATCH}, or its hpobench/ or evaluations/; the committed tables are "
        "regenerated by naming them, e.g. --out tables)",
    )
    tables.set_defaults(func=cmd_tables)
