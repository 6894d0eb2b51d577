"""`llambo-replay warmstart`: the paper's warm-starting evaluation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from llambo_replay.cli.common import chosen_task, fill_from_preset, open_memo, print_estimate, warmstart_settings
from llambo_replay.cli.flags import (
    add_endpoint_flags,
    add_memo_flags,
    add_task_flags,
    add_timeout_flag,
    add_warmstart_flags,
    at_least,
    csv_list,
    int_list,
)
from llambo_replay.experiments.results.presets import WARMSTART_PRESETS

if TYPE_CHECKING:
    from llambo_replay.experiments.evaluations.warmstart_eval import WarmstartEvalSpec


def cmd_warmstart(args: argparse.Namespace) -> int:
    from llambo_replay.experiments.evaluations.warmstart_eval import run_warmstart_eval, summary
    from llambo_replay.replay import parse_mode

    spec = warmstart_spec(args)
    dataset, model = spec.dataset, spec.model
    if args.dry_run:
        from llambo_replay.experiments.evaluations.warmstart_eval import estimate_eval
        from llambo_replay.experiments.results.presets import DESIGNS
        from llambo_replay.experiments.runs.runner import honours_n

        contexts = sum(i not in DESIGNS for i in spec.initialisers)
        return print_estimate(
            estimate_eval(spec, honours_n(spec.llm_model)),
            spec.llm_model,
            f"the warm-starting requests of {contexts} context level(s) on {dataset}/{model}",
            capped=False,
        )
    manifests = run_warmstart_eval(
        spec, parse_mode(args.mode), args.out, args.cassettes, args.base_url, open_memo(args), args.timeout
    )
    print("\n".join(summary(manifests, args.out)))
    print(
        f"{len(manifests)} runs under {args.out}; tables: llambo-replay tables --results {args.out} --no-paper "
        "--out tables-out/warmstart (tables/warmstart/ is the committed one)"
    )
    return 0


def warmstart_spec(args: argparse.Namespace) -> WarmstartEvalSpec:
    """The evaluation the flags ask for, the preset filling what was not given."""
    from llambo_replay.experiments.evaluations.warmstart_eval import WarmstartEvalSpec

    fill_from_preset(args, WARMSTART_PRESETS)
    dataset, model = chosen_task(args)
    return WarmstartEvalSpec(
        dataset,
        model,
        tuple(args.seeds),
        tuple(args.initialisers),
        tuple(args.optimisers),
        args.init,
        args.trials,
        args.llm_model,
        args.protocol,
        warmstart_settings(args),
    )


LISTING = {
    "warmstart": "the paper's warm-starting evaluation: LLM vs random/Sobol/LHS initial points feeding TPE and "
    "GP-EI (default: replay the committed one)",
}

EXAMPLES = {"warmstart": ("llambo-replay warmstart", "llambo-replay warmstart --task breast/RandomForest")}


def register(sub: argparse._SubParsersAction) -> None:
    from llambo_replay.llambo.answer_format import ANSWER_FORMATS

    ws = sub.add_parser(
        "warmstart",
        help=LISTING["warmstart"],
        description="For one task and each seed, take initial points from each initialiser -- random, "
        "Sobol, LHS (scikit-optimize's generators, as the official code uses them) or the LLM at "
        "one of three context levels (one request of --warmstart-answers answers per "
        "level, shared by every seed: seed k takes the k-th usable answer) -- and run TPE "
        "and GP-EI from them. Writes <out>/<optimiser>-<initialiser>/<dataset>/<model>/"
        "<seed>.csv with manifests, which `tables` renders and `check` replays.",
    )
    add_task_flags(ws, ("wine", "SVM"))
    ws.add_argument(
        "--preset",
        default="demo",
        choices=list(WARMSTART_PRESETS),
        help="defaults for the flags marked 'preset': demo = the committed evaluation's settings; "
        "paper = the official experiment's (10 seeds, 25 trials, gpt-3.5-turbo, the official "
        "prompt format and reading)",
    )
    ws.add_argument("--seeds", type=int_list, default=None, help="comma-separated (preset)")
    ws.add_argument(
        "--initialisers",
        type=csv_list,
        default="random,sobol,lhs,no_context,partial_context,full_context",
        help="comma-separated",
    )
    ws.add_argument("--optimisers", type=csv_list, default="tpe,gp_ei", help="comma-separated: tpe, gp_ei")
    ws.add_argument("--init", type=at_least(1), default=5, help="initial points")
    ws.add_argument("--trials", type=at_least(0), default=None, help="optimiser trials after them (preset)")
    ws.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    ws.add_argument(
        "--protocol",
        default=None,
        choices=list(ANSWER_FORMATS),
        help="paper: the official template's list of Python dicts; json: the same prompt asking for "
        "a JSON object, enforced by a schema (what small local models need) (preset)",
    )
    add_warmstart_flags(ws, policy=None)
    add_endpoint_flags(ws)
    ws.add_argument("--out", type=Path, default=Path("results/warmstart"), help="output folder")
    ws.add_argument(
        "--dry-run",
        action="store_true",
        help="print how many requests, tokens and dollars recording would take, and call nothing",
    )
    add_timeout_flag(ws)
    add_memo_flags(ws)
    ws.set_defaults(func=cmd_warmstart)
