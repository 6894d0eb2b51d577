"""`llambo-replay surrogate-eval` and `sampler-eval`: the official evaluations of the surrogate and of the
candidate sampler, each alone, as the official scripts run them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from llambo_replay.cli.common import chosen_task, fill_from_preset, print_outputs
from llambo_replay.cli.flags import add_llm_flags, add_observed_set_flags, add_task_flags, at_least
from llambo_replay.experiments.results.presets import (
    SAMPLER_EVAL_DEFAULTS,
    SAMPLER_EVAL_PRESETS,
    SURROGATE_EVAL_DEFAULTS,
    SURROGATE_EVAL_PRESETS,
)

if TYPE_CHECKING:
    from llambo_replay.experiments.evaluations.sampler_eval_run import SamplerEvalSpec
    from llambo_replay.experiments.evaluations.surrogate_eval_run import SurrogateEvalSpec


def cmd_surrogate_eval(args: argparse.Namespace) -> int:
    from llambo_replay.experiments.evaluations.surrogate_eval_run import run_surrogate_eval
    from llambo_replay.replay import parse_mode

    spec = surrogate_eval_spec(args)
    manifest = run_surrogate_eval(spec, parse_mode(args.mode), args.out, args.cassettes, args.base_url, args.timeout)
    print_outputs(args.out, ["surrogate_eval.md"], manifest)
    return 0


def surrogate_eval_spec(args: argparse.Namespace) -> SurrogateEvalSpec:
    """The evaluation the flags ask for, the preset filling what was not given."""
    from llambo_replay.experiments.evaluations.surrogate_eval_run import SurrogateEvalSpec

    fill_from_preset(args, SURROGATE_EVAL_PRESETS)
    dataset, model = chosen_task(args)
    return SurrogateEvalSpec(
        dataset,
        model,
        tuple(args.n_observed),
        tuple(args.seeds),
        args.llm_model,
        args.protocol,
        args.n_gens,
        args.sm,
        args.prompts,
    )


SURROGATE_LISTING = {
    "surrogate-eval": "the official surrogate evaluations: the discriminative surrogate against SMAC's GP and "
    "random forest, the generative one against TPE, or the prompt ablation",
}


def _register_surrogate_eval(sub: argparse._SubParsersAction) -> None:
    default_task = tuple(SURROGATE_EVAL_DEFAULTS["task"])
    ev = sub.add_parser(
        "surrogate-eval",
        help=SURROGATE_LISTING["surrogate-eval"],
        description="As the official exp_evaluate_sm/evaluate_dis_sm.py: five Optuna TPE studies "
        "(seeds 42-46, 100 trials, each configuration fitted with random_state=42 and "
        "scored on the test split) make a pool; for each observed-set size and seed, "
        "that many configurations are drawn from it (and 10 candidates, seed 42), and "
        "LLAMBO's discriminative surrogate (5 templates; 1, the 'vanilla' row), SMAC's "
        "GP and SMAC's random forest predict the candidates, scored by NRMSE, R2, log "
        "predictive density, MACE, sharpness, 68% coverage and the regret of the EI "
        "pick. The pool, SMAC's predictions and the LLM answers are recorded.",
    )
    add_task_flags(ev, default_task)  # type: ignore[arg-type]
    ev.add_argument(
        "--sm",
        default="discriminative",
        choices=["discriminative", "generative"],
        help="whose official evaluation: discriminative (evaluate_dis_sm.py) or generative "
        "(evaluate_gen_sm.py: LLAMBO's classifier, 6 samples over 2 templates with the top 20%% as "
        "'good', against independent and multivariate TPE; correlation and regret)",
    )
    ev.add_argument(
        "--preset",
        default="demo",
        choices=list(SURROGATE_EVAL_PRESETS),
        help="defaults for the flags marked 'preset': demo = the committed evaluation's; paper = the "
        "official one's (observed sets of 5, 10, 20 and 30, 5 seeds, 10 samples per template, "
        "gpt-3.5-turbo, the paper's format)",
    )
    add_observed_set_flags(ev)
    ev.add_argument(
        "--prompts",
        default="full",
        choices=["full", "uninformed"],
        help="full: the paper's prompts; uninformed: the official prompt ablation (ablate_sm.py: no task "
        "context, hyperparameters named X1..Xn; LLAMBO with 5 templates, its one row)",
    )
    ev.add_argument(
        "--n-gens",
        type=at_least(1),
        default=None,
        help="the discriminative surrogate's LLM samples per candidate and template (preset)",
    )
    add_llm_flags(ev)
    ev.add_argument(
        "--out",
        type=Path,
        default=Path("results/runs/surrogate-eval"),
        help="output folder (the committed results/surrogate-eval/<evaluation> is written only when named)",
    )
    ev.set_defaults(func=cmd_surrogate_eval)


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


SAMPLER_LISTING = {
    "sampler-eval": "the official sampler evaluation: LLAMBO's candidates against independent and multivariate "
    "TPE and random search",
}


def _register_sampler_eval(sub: argparse._SubParsersAction) -> None:
    from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES

    default_task = tuple(SAMPLER_EVAL_DEFAULTS["task"])
    ev = sub.add_parser(
        "sampler-eval",
        help=SAMPLER_LISTING["sampler-eval"],
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


LISTING = {**SURROGATE_LISTING, **SAMPLER_LISTING}


def register(sub: argparse._SubParsersAction) -> None:
    _register_surrogate_eval(sub)
    _register_sampler_eval(sub)
