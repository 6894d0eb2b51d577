"""`llambo-replay surrogate-eval`: the official evaluation of the discriminative surrogate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from llambo_replay.cli.common import (
    add_llm_flags,
    add_observed_set_flags,
    add_task_flags,
    at_least,
    chosen_task,
    fill_from_preset,
    print_outputs,
)
from llambo_replay.experiments.results.presets import SURROGATE_EVAL_DEFAULTS, SURROGATE_EVAL_PRESETS

if TYPE_CHECKING:
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


LISTING = {
    "surrogate-eval": "the official surrogate evaluations: the discriminative surrogate against SMAC's GP and "
    "random forest, the generative one against TPE, or the prompt ablation",
}


def register(sub: argparse._SubParsersAction) -> None:
    default_task = tuple(SURROGATE_EVAL_DEFAULTS["task"])
    ev = sub.add_parser(
        "surrogate-eval",
        help=LISTING["surrogate-eval"],
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
