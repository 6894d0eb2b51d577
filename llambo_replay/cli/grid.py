"""`llambo-replay grid`: many (method, task, seed) cells, resumable and parallel."""

from __future__ import annotations

import argparse
from pathlib import Path

from llambo_replay.cli.common import estimate_runs, run_budget, run_spec
from llambo_replay.cli.flags import add_shared_run_flags, at_least, csv_list, int_list, method_labels, task_list
from llambo_replay.errors import LlamboReplayError


def cmd_grid(args: argparse.Namespace) -> int:
    from llambo_replay.bayesmark.memo import DEFAULT_MEMO_DIR
    from llambo_replay.experiments.runs.grid import GridOptions, cells, check_scheduler, run_grid
    from llambo_replay.replay import parse_mode

    if args.scheduler:
        check_scheduler(args.scheduler)
    spec = run_spec(args)
    options = GridOptions(
        args.out,
        args.cassettes,
        parse_mode(args.mode),
        args.base_url,
        None if args.no_memo else (args.memo or DEFAULT_MEMO_DIR),
        args.concurrency,
        args.timeout,
        run_budget(args),
    )
    tasks = args.tasks or [(d, m) for d in args.datasets for m in args.models]
    todo = cells(args.methods, tasks, args.seeds, spec)
    if args.dry_run:
        return estimate_runs([cell.spec for cell in todo if cell.method == "llambo"])
    failures = run_grid(todo, options, args.jobs, args.scheduler)
    by_error: dict[str, list[str]] = {}
    for label, error in failures.items():
        by_error.setdefault(error.message, []).append(label)
    for error, labels in by_error.items():  # one line per distinct reason, not per cell
        print(f"FAILED {len(labels)} cell(s) ({', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''}): {error}")
    if failures:
        failed = LlamboReplayError(
            f"{len(failures)} of {len(todo)} cell(s) failed for the reason(s) above; "
            "finished cells are kept and skipped when the grid is run again"
        )
        failed.exit_code = max(error.exit_code for error in failures.values())
        raise failed
    print(f"{len(todo)}/{len(todo)} cells done under {args.out}")
    return 0


MAX_JOBS = 256  # more local workers than any machine this runs on could use


LISTING = {
    "grid": "run many (method, task, seed) cells: resumable, parallel",
}


def register(sub: argparse._SubParsersAction) -> None:
    grid = sub.add_parser(
        "grid",
        help=LISTING["grid"],
        description="Run LLAMBO and the baselines over datasets x models x seeds with a progress "
        "bar. Cells already done (manifest present) are skipped, so an interrupted grid "
        "resumes. Writes <out>/<method>/<dataset>/<model>/<seed>.csv.",
    )
    grid.add_argument(
        "--methods",
        type=csv_list,
        default="llambo,random,gp_ei,tpe",
        help="comma-separated, of: " + ", ".join(f"{name} ({label})" for name, label in method_labels()),
    )
    grid.add_argument("--datasets", type=csv_list, default="iris", help="comma-separated; crossed with --models")
    grid.add_argument("--models", type=csv_list, default="SVM", help="comma-separated; crossed with --datasets")
    grid.add_argument(
        "--tasks",
        type=task_list,
        default=None,
        metavar="DATASET/MODEL,...",
        help="comma-separated tasks, instead of crossing --datasets with --models",
    )
    grid.add_argument("--seeds", type=int_list, default="0", help="comma-separated")
    grid.add_argument("--jobs", type=at_least(1, MAX_JOBS), default=1, help=f"local worker processes (1–{MAX_JOBS})")
    grid.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run the cells on an existing Dask distributed cluster instead",
    )
    add_shared_run_flags(grid)
    grid.set_defaults(func=cmd_grid, out=Path("results/grid"))
