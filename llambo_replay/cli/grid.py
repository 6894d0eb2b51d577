"""`llambo-replay grid` (many (method, task, seed) cells, resumable and parallel) and `llambo-replay baselines`
(the environments the paper's baselines are recorded in)."""

from __future__ import annotations

import argparse
from pathlib import Path

from llambo_replay.cli.common import add_spending_flags, estimate_runs, run_budget, run_spec
from llambo_replay.cli.flags import (
    Parser,
    add_shared_run_flags,
    at_least,
    csv_list,
    int_list,
    method_labels,
    task_list,
)
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
        (args.requests_per_minute, args.tokens_per_minute),
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


def cmd_baselines(args: argparse.Namespace) -> int:
    from llambo_replay.experiments.runs.baselines import REGISTRY
    from llambo_replay.experiments.runs.baselines.environments import environment, install, names

    if args.action == "list":
        for name, b in REGISTRY.items():
            where = "in process" if b.environment is None else f"environment {b.environment}"
            state = "" if b.environment is None else (
                " (installed)" if environment(b.environment).installed else " (not installed)"
            )  # fmt: skip
            print(f"{name:12} {b.label:34} {where}{state}")
        return 0
    wanted = names() if args.names == ["all"] else [_environment_of(name) for name in args.names]
    for name in dict.fromkeys(wanted):
        install(environment(name))
    return 0


def _environment_of(name: str) -> str:
    """An environment's name, or the environment a baseline's name runs in."""
    from llambo_replay.errors import UsageError
    from llambo_replay.experiments.runs.baselines import REGISTRY
    from llambo_replay.experiments.runs.baselines.environments import names

    if name in names():
        return name
    if name in REGISTRY and REGISTRY[name].environment:
        return REGISTRY[name].environment
    if name in REGISTRY:
        raise UsageError(f"baseline {name!r} runs in process and needs no environment")
    raise UsageError(f"unknown baseline or environment {name!r}; environments: {', '.join(names())}, or all")


LISTING = {
    "grid": "run many (method, task, seed) cells: resumable, parallel",
    "baselines": "list the baselines, or install the pinned environments they are recorded in",
}

EXAMPLES = {
    "grid": (
        "llambo-replay grid --tasks iris/SVM,wine/RandomForest --seeds 0,1 --reference --trials 5 --n-candidates 6 "
        "--n-gens 3 --out results/grid --jobs 2",
        "llambo-replay grid --methods random,skopt,optuna,smac,tpe --tasks rosenbrock/SVM,wine/AdaBoost --seeds 0 "
        "--preset paper --reference --out results/paper-grid-replay",
    ),
    "baselines": (
        "llambo-replay baselines list",
        "llambo-replay baselines install paper_tpe",
    ),
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
    add_spending_flags(grid)
    grid.set_defaults(func=cmd_grid, out=Path("results/grid"))

    baselines = sub.add_parser(
        "baselines",
        help=LISTING["baselines"],
        description="The paper's baselines that run in a worker are recorded inside a virtual environment "
        "pinned to the versions the official code used (made by uv from a lock shipped with the package, "
        "under $LLAMBO_REPLAY_ENVS, default ~/.cache/llambo-replay/envs). Replaying needs none.",
    )
    actions = baselines.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)
    actions.add_parser("list", help="each baseline, where it runs, and whether its environment is installed")
    install = actions.add_parser(
        "install",
        help="make environments (uv's progress on stderr); one that is complete is left as it is",
        description="Make the named environments, or those the named baselines run in, or all.",
    )
    install.add_argument("names", nargs="+", metavar="NAME", help="an environment, a baseline, or all")
    baselines.set_defaults(func=cmd_baselines)
