"""`llambo-replay surrogate-eval` and `sampler-eval`: the official evaluations of the surrogate and of the
candidate sampler, each alone, as the official scripts run them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from llambo_replay.cli.common import chosen_task, fill_from_preset, print_outputs
from llambo_replay.cli.flags import add_llm_flags, add_observed_set_flags, add_task_flags, at_least, csv_list
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.presets import (
    EVALUATION_DATASETS,
    SAMPLER_EVAL_DEFAULTS,
    SAMPLER_EVAL_PRESETS,
    SURROGATE_EVAL_DEFAULTS,
    SURROGATE_EVAL_PRESETS,
)

if TYPE_CHECKING:
    from llambo_replay.experiments.evaluations.sampler_eval_run import SamplerEvalSpec
    from llambo_replay.experiments.evaluations.surrogate_eval_run import SurrogateEvalSpec


def add_datasets_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--datasets",
        type=csv_list,
        default=None,
        help="comma-separated: evaluate each (with --model), each into OUT/<dataset>-<model>/ as a result of "
        "its own (default with --preset paper and no task: " + ", ".join(EVALUATION_DATASETS["paper"]) + ", as "
        "the official run scripts)",
    )


def evaluated_tasks(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The tasks to evaluate: `--datasets` (each with `--model`), else one task (`--task`, `--dataset`),
    else the preset's data sets (the official run scripts loop over theirs), else the command's default."""
    if args.datasets and (args.task or args.dataset):
        raise UsageError("give --datasets (with --model) or one task (--task, or --dataset), not both")
    model = args.model or args.task_default[1]
    datasets = args.datasets or ([] if args.task or args.dataset else EVALUATION_DATASETS.get(args.preset, []))
    return [(dataset, model) for dataset in datasets] or [chosen_task(args)]


def _run_each(args: argparse.Namespace, spec_of: Callable, run: Callable, refuse: Callable, table: str) -> int:
    """The evaluation on each task the flags name: every task refused before any work, then each into
    `--out` (one task) or `--out/<dataset>-<model>/` (several), each a result of its own."""
    from llambo_replay.bayesmark.tasks import load_task
    from llambo_replay.replay import parse_mode

    specs = [spec_of(args, task) for task in evaluated_tasks(args)]
    for spec in specs:
        refuse(load_task(spec.dataset, spec.model))
    several = len(specs) > 1
    for spec in specs:
        out = args.out / f"{spec.dataset}-{spec.model}" if several else args.out
        manifest = run(spec, parse_mode(args.mode), out, args.cassettes, args.base_url, args.timeout)
        print_outputs(out, [table], manifest, f"; replays with {manifest['replay_command']}\n" if several else "")
    return 0


def cmd_surrogate_eval(args: argparse.Namespace) -> int:
    from llambo_replay.experiments.evaluations.surrogate_eval import pool_estimator
    from llambo_replay.experiments.evaluations.surrogate_eval_run import run_surrogate_eval

    return _run_each(
        args, surrogate_eval_spec, run_surrogate_eval, lambda task: pool_estimator(task, {}), "surrogate_eval.md"
    )


def surrogate_eval_spec(args: argparse.Namespace, task: tuple[str, str] | None = None) -> SurrogateEvalSpec:
    """The evaluation the flags ask for (of `task`, else the one task they name), the preset filling what
    was not given."""
    from llambo_replay.experiments.evaluations.surrogate_eval_run import SurrogateEvalSpec

    fill_from_preset(args, SURROGATE_EVAL_PRESETS)
    dataset, model = task or chosen_task(args)
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
    add_datasets_flag(ev)
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
    from llambo_replay.experiments.evaluations.sampler_eval_run import global_scores, run_sampler_eval

    return _run_each(args, sampler_eval_spec, run_sampler_eval, global_scores, "sampler_eval.md")


def sampler_eval_spec(args: argparse.Namespace, task: tuple[str, str] | None = None) -> SamplerEvalSpec:
    """The evaluation the flags ask for (of `task`, else the one task they name), the preset filling what
    was not given."""
    from llambo_replay.experiments.evaluations.sampler_eval_run import SamplerEvalSpec

    fill_from_preset(args, SAMPLER_EVAL_PRESETS)
    dataset, model = task or chosen_task(args)
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
    add_datasets_flag(ev)
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

EXAMPLES = {
    "surrogate-eval": ("llambo-replay surrogate-eval",),
    "sampler-eval": ("llambo-replay sampler-eval", "llambo-replay tables --evaluations"),
}


def register(sub: argparse._SubParsersAction) -> None:
    _register_surrogate_eval(sub)
    _register_sampler_eval(sub)
