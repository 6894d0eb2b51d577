"""`llambo-replay sampler-eval`: the official evaluation of the candidate sampler."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from llambo_replay.cli.common import (
    add_llm_flags,
    add_observed_set_flags,
    add_task_flags,
    chosen_task,
    fill_from_preset,
    print_outputs,
)
from llambo_replay.experiments.results.presets import SAMPLER_EVAL_DEFAULTS, SAMPLER_EVAL_PRESETS

if TYPE_CHECKING:
    from llambo_replay.experiments.evaluations.sampler_eval_run import SamplerEvalSpec


def cmd_sampler_eval(args: argparse.Namespace) -> int:
    from llambo_replay.experiments.evaluations.sampler_eval_run import run_sampler_eval
    from llambo_replay.replay import parse_mode

    spec = sampler_eval_spec(args)
    manifest = run_sampler_eval(spec, parse_mode(args.mode), args.out, args.cassettes, args.base_url, args.timeout)
    print_outputs(args.out, ["sampler_eval.md"], manifest)
    return 0


def sampler_eval_spec(args: argparse.Namespace) -> SamplerEvalSpec:
    """The evaluation the flags ask for, the preset filling what was not given."""
    from llambo_replay.experiments.evaluations.sampler_eval_run import SamplerEvalSpec

    fill_from_preset(args, SAMPLER_EVAL_PRESETS)
    dataset, model = chosen_task(args)
    return SamplerEvalSpec(
        dataset, model, tuple(args.n_observed), tuple(args.seeds), args.llm_model, args.protocol, args.sampler_policy
    )


LISTING = {
    "sampler-eval": "the official sampler evaluation: LLAMBO's candidates against independent and multivariate "
    "TPE and random search",
}


def register(sub: argparse._SubParsersAction) -> None:
    from llambo_replay.llambo.policies import SAMPLER_POLICIES

    default_task = tuple(SAMPLER_EVAL_DEFAULTS["task"])
    ev = sub.add_parser(
        "sampler-eval",
        help=LISTING["sampler-eval"],
        description="As the official exp_evaluate_sampling/evaluate_sampling.py: five Optuna TPE "
        "studies (seeds 42-46, 100 trials, each configuration fitted with "
        "random_state=42 and scored on the test split) make a pool; for each "
        "observed-set size and seed, that many configurations are drawn from it, and "
        "independent TPE, multivariate TPE, random search and LLAMBO's sampler (5 "
        "templates, alpha -0.2) each propose 20 candidates, which are fitted and scored "
        "on the test split: average and best regret (normalised by the paper's "
        "global_perf.json: breast, digits, wine, diabetes), score spread, Mahalanobis "
        "distance from the observed set, generalised variance and log-likelihood under "
        "a KDE of it. The pool, the Optuna proposals, the scores and the LLM answers "
        "are recorded.",
    )
    add_task_flags(ev, default_task)  # type: ignore[arg-type]
    ev.add_argument(
        "--preset",
        default="demo",
        choices=list(SAMPLER_EVAL_PRESETS),
        help="defaults for the flags marked 'preset': demo = the committed evaluation's; paper = the "
        "official run script's (observed sets of 5, 10, 20 and 30, one seed, gpt-3.5-turbo, the "
        "paper's format, the official sampler)",
    )
    add_observed_set_flags(ev)
    ev.add_argument(
        "--sampler-policy",
        default=None,
        choices=list(SAMPLER_POLICIES),
        help="official: up to 4 rounds, strict `## ... ##` reading, fail when the model gives too "
        "little; robust: up to 6 rounds, lenient reading, random top-ups (preset)",
    )
    add_llm_flags(ev)
    ev.add_argument(
        "--out",
        type=Path,
        default=Path("results/runs/sampler-eval"),
        help="output folder (the committed results/sampler-eval is written only when named)",
    )
    ev.set_defaults(func=cmd_sampler_eval)
