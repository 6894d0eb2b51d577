"""`llambo-replay run`: one LLAMBO run on one Bayesmark task."""

from __future__ import annotations

import argparse

from llambo_replay.cli.common import add_spending_flags, estimate_runs, open_memo, run_budget, run_spec
from llambo_replay.cli.flags import add_shared_run_flags, add_task_flags, at_least
from llambo_replay.errors import CheckFailed


def cmd_run(args: argparse.Namespace) -> int:
    from llambo_replay.bayesmark.numerics import describe, environment
    from llambo_replay.experiments.runs.runner import run, summary_lines
    from llambo_replay.replay import parse_mode
    from llambo_replay.replay.http.rate_limit import process_pace

    mode = parse_mode(args.mode)
    spec = run_spec(args)
    if args.dry_run:
        return estimate_runs([spec])
    outcome = run(
        spec,
        mode,
        args.out,
        args.cassettes,
        args.base_url,
        open_memo(args),
        args.concurrency,
        objective_mode=args.objective,
        timeout_s=args.timeout,
        budget=run_budget(args),
        rate_limit=process_pace(args.requests_per_minute, args.tokens_per_minute),
    )
    print("\n".join(summary_lines(outcome, spec, mode)))
    if args.objective != "verify":
        return 0
    drift = outcome.objective.drift
    for item in drift:
        print(f"  drift          {item.line()}")
    from llambo_replay.bayesmark.objective_protocols import PROTOCOL_VERSION

    under = (
        ""
        if spec.objective_protocol == PROTOCOL_VERSION
        else f", under the current objective protocol {PROTOCOL_VERSION} (recorded under {spec.objective_protocol})"
    )
    print(
        f"  verify         {outcome.objective.verified} recorded evaluation(s) re-evaluated here "
        f"({describe(environment())}{under}): "
        f"{len({repr(d.config) for d in drift})} drift, {sum(d.fragile for d in drift)} of {len(drift)} "
        "drifting value(s) numerically fragile"
    )
    if drift and args.fail_on_drift:
        raise CheckFailed(
            f"objective drift: {len(drift)} recorded value(s) are computed differently here (--fail-on-drift)"
        )
    return 0


LISTING = {
    "run": "run LLAMBO on one Bayesmark task (default: replay the committed demo)",
}

EXAMPLES = {
    "run": (
        "llambo-replay run",
        "llambo-replay run --mode record --cassettes my-cassettes --out results/runs/mine",
    ),
}


def register(sub: argparse._SubParsersAction) -> None:
    from llambo_replay.bayesmark.objective_modes import OBJECTIVE_MODES

    run = sub.add_parser(
        "run",
        help=LISTING["run"],
        description="Run LLAMBO on one Bayesmark task. Every LLM call goes through the cassettes: "
        "replay needs no endpoint and no network.",
    )
    add_task_flags(run, ("iris", "SVM"))
    run.add_argument("--seed", type=at_least(0), default=0, help="run seed: initial points and any fallback draws")
    add_shared_run_flags(run)
    add_spending_flags(run)
    run.add_argument(
        "--objective",
        default="recorded",
        choices=list(OBJECTIVE_MODES),
        help="; ".join(f"{name}: {p.summary}" for name, p in OBJECTIVE_MODES.items()),
    )
    run.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="with --objective verify: exit non-zero when any recorded evaluation drifts here",
    )
    run.set_defaults(func=cmd_run)
