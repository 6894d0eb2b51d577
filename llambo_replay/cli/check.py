"""`llambo-replay check` and `migrate`: reproduce committed results; upgrade format-1 runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from llambo_replay.cli.flags import DEFAULT_STORE, REFERENCE_HELP
from llambo_replay.errors import CheckFailed


def cmd_check(args: argparse.Namespace) -> int:
    import tempfile
    from types import SimpleNamespace

    from llambo_replay.experiments.results import committed_index
    from llambo_replay.experiments.results.check import check_run, run_manifests

    reference = str(args.reference) if args.reference else None  # None: the packaged copy
    everything = args.results == [Path(folder) for folder in COMMITTED_RESULTS]
    if args.tables is None and everything:
        args.tables = Path("tables")  # everything committed: the tables too
    unbound = check_committed_index() if everything else []  # and every committed file, by its sha256
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="llambo-check-") as scratch:
        for path in [p for folder in args.results for p in run_manifests(folder, components=True)]:
            checked = check_run(path, args.cassettes, Path(scratch), reference)
            outcomes.append((path, checked))
            label = {"identical": "ok  ", "drift": "ok~ ", "different": "DIFF"}[checked.status]
            print(f"{label} {checked.reproduction:10} {path}: {checked.detail}")
    tables = [] if args.tables is None else check_committed_tables(args.tables, reference)
    failed = [(path, c) for path, c in outcomes if not c.ok] + [(t.manifest, t) for t in tables if not t.ok]
    failed += [(committed_index.INDEX, SimpleNamespace(detail=line)) for line in unbound]
    outcomes_ok = [(path, c) for path, c in outcomes if c.ok]
    counts = {status: sum(c.status == status for _, c in outcomes) for status in ("identical", "drift")}
    replayed = sum(c.reproduction == "replayed" and c.ok for _, c in outcomes)
    if tables:
        print(f"{sum(t.ok for t in tables)}/{len(tables)} committed tables match their outputs and inputs")
    committed = [Path(folder).resolve() for folder in COMMITTED_RESULTS]
    ours = all(any(path.resolve().is_relative_to(folder) for folder in committed) for path, _ in outcomes)
    which = "committed results" if ours else "results"  # a run of one's own is not called committed
    print(
        f"{len(outcomes_ok)}/{len(outcomes)} {which} reproduce: {replayed} replayed byte for "
        f"byte, {len(outcomes_ok) - replayed} recomputed ({counts['identical'] - replayed} "
        f"byte-identical, {counts['drift']} within the numerical-drift tolerance)"
    )
    if failed:
        # Repeated last, so that a failure is not lost among a thousand `ok` lines.
        print(f"{len(failed)} did not reproduce:")
        for path, checked in failed:
            print(f"  {path}: {checked.detail}")
        raise CheckFailed(f"{len(failed)} committed result(s), table(s) or file(s) are not as committed (listed above)")
    return 0


def check_committed_index() -> list[str]:
    """Every committed file against `results/INDEX.sha256`, printed like a result; the lines that differ."""
    from llambo_replay.experiments.results import committed_index

    problems = committed_index.differences()
    if problems:
        for line in problems:
            print(f"DIFF {'index':10} {line}")
    else:
        print(f"ok   {'index':10} {committed_index.INDEX}: {len(committed_index.read())} committed files as indexed")
    return problems


def check_committed_tables(folder: Path, reference: str | None) -> list:
    """Each tables manifest under `folder`, checked and printed like a result."""
    from llambo_replay.experiments.results.tables_check import check_tables, tables_manifests

    checked = [check_tables(path, reference) for path in tables_manifests(folder)]
    for t in checked:
        print(f"{'ok  ' if t.ok else 'DIFF'} {'tables':10} {t.manifest}: {t.detail}")
    return checked


def cmd_migrate(args: argparse.Namespace) -> int:
    import tempfile

    from llambo_replay.experiments.results.check import run_manifests
    from llambo_replay.experiments.results.migration import migrate_run, to_current_protocol

    reference = str(args.reference) if args.reference else None
    step = to_current_protocol if args.to_current_protocol else migrate_run
    with tempfile.TemporaryDirectory(prefix="llambo-migrate-") as scratch:
        for path in run_manifests(args.results, components=args.to_current_protocol):
            print(step(path, args.cassettes, Path(scratch), reference))
    return 0


COMMITTED_RESULTS = ("results/recorded", "results/components", "results/surrogate-eval", "results/sampler-eval")

LISTING = {
    "check": "replay every committed run offline and compare with its manifest",
    "migrate": "upgrade format-1 runs (recorded before evaluations were) to format 2",
}

EXAMPLES = {
    "check": (
        "llambo-replay check",
        "llambo-replay check --results results/recorded/demo/iris/SVM/0.csv",
    ),
    "migrate": ("llambo-replay migrate --results results/recorded/demo",),
}


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check",
        help=LISTING["check"],
        description="Replay every run under --results from the cassettes (never touching the "
        "network) and check each history's sha256 against its manifest.",
    )
    check.add_argument(
        "--results",
        type=Path,
        nargs="+",
        default=[Path(folder) for folder in COMMITTED_RESULTS],
        help="folders searched for run manifests and the recomputed evaluations' (components, "
        "surrogate-eval, sampler-eval), or single *.manifest.json files (default: the committed "
        + ", ".join(COMMITTED_RESULTS)
        + ")",
    )
    check.add_argument(
        "--cassettes",
        type=Path,
        help="cassette folder (default: the one each manifest was recorded into, else cassettes)",
    )
    check.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    check.add_argument(
        "--tables",
        type=Path,
        default=None,
        help="also check every tables manifest under this folder: each output as committed, and each run "
        "history, evaluation or published history it was made from still as it was (default: tables/ "
        "when --results is not given)",
    )
    check.set_defaults(func=cmd_check)

    migrate = sub.add_parser(
        "migrate",
        help=LISTING["migrate"],
        description="For every format-1 run manifest under --results: record the evaluations "
        "its history holds into the cassettes, replay it offline to prove the same "
        "history comes out, and rewrite the manifest as format 2. Histories are never "
        "changed; runs already in format 2 are left alone.",
    )
    migrate.add_argument("--results", type=Path, required=True, help="folder of runs")
    migrate.add_argument(
        "--to-current-protocol",
        action="store_true",
        help="instead: move format-2 results recorded under an older objective protocol to the "
        "current one, each only if its history (or component outputs) stays byte-identical; "
        "its configurations are evaluated here and recorded",
    )
    migrate.add_argument("--cassettes", type=Path, default=DEFAULT_STORE, help="cassette folder")
    migrate.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    migrate.set_defaults(func=cmd_migrate)
