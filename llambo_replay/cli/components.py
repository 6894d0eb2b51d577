"""`llambo-replay components`: LLAMBO's surrogate and sampler evaluated alone."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from llambo_replay.cli.common import fill_from_preset, open_memo, print_estimate, print_outputs
from llambo_replay.cli.flags import (
    REFERENCE_HELP,
    add_llm_flags,
    add_memo_flags,
    at_least,
    csv_list,
    int_list,
    whole_numbers,
)
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.presets import COMPONENT_DEFAULTS, COMPONENT_PRESETS

if TYPE_CHECKING:
    from llambo_replay.experiments.evaluations.component_run import ComponentSpec


def cmd_components(args: argparse.Namespace) -> int:
    from llambo_replay.bayesmark import reference
    from llambo_replay.experiments.evaluations.component_run import run_components
    from llambo_replay.replay import parse_mode

    if args.design == "official":
        raise UsageError(
            "components --design official is gone: the paper's component evaluations are "
            "`llambo-replay surrogate-eval --preset paper` and `llambo-replay sampler-eval --preset paper` "
            "(each over breast, wine, digits and diabetes; --datasets names others)"
        )
    spec = component_spec(args)
    if args.dry_run:
        from llambo_replay.experiments.evaluations.component_run import estimate_components
        from llambo_replay.experiments.runs.runner import honours_n

        return print_estimate(
            estimate_components(spec, honours_n(spec.llm_model)),
            spec.llm_model,
            f"the component evaluations of {len(spec.datasets) * len(spec.seeds)} dataset-seed set(s)",
        )
    memo = open_memo(args)
    manifest = run_components(
        spec,
        parse_mode(args.mode),
        args.out,
        args.cassettes,
        args.base_url,
        reference.check_reference(args.reference),
        memo,
        args.timeout,
    )
    print_outputs(args.out, ["surrogate.md", "sampler.md"], manifest)
    return 0


def component_spec(args: argparse.Namespace) -> ComponentSpec:
    """The evaluations the flags ask for, the preset filling what was not given."""
    from llambo_replay.experiments.evaluations.component_run import ComponentSpec

    fill_from_preset(args, COMPONENT_PRESETS)
    return ComponentSpec(
        tuple(args.datasets),
        args.model,
        tuple(args.seeds),
        tuple(args.n_observed),
        args.n_test,
        args.llm_model,
        args.protocol,
        args.n_gens,
        args.n_candidates,
        args.n_templates,
        args.alpha,
        args.sampler_policy,
    )


MAX_COMPONENT_POINTS = 10_000  # configurations in one observed or held-out set; far past any prompt's context


LISTING = {
    "components": "evaluate LLAMBO's surrogate and candidate sampler alone",
}

EXAMPLES = {
    "components": ("llambo-replay components",),
}


def _listed(values: object) -> str:
    return ",".join(map(str, values))  # type: ignore[call-overload]


def register(sub: argparse._SubParsersAction) -> None:
    from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES

    comp = sub.add_parser(
        "components",
        help=LISTING["components"],
        description="The paper's component evaluations: the discriminative surrogate vs a GP and a "
        "random forest (NRMSE, R2, log predictive density, 68% coverage, sharpness, "
        "regret of the EI pick), and the candidate sampler vs TPE and random search "
        "(average/best regret normalised by global_perf.json, generalised variance, "
        "KDE log-likelihood), on the same observed sets.",
    )
    comp.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    comp.add_argument(
        "--preset",
        default="demo",
        choices=list(COMPONENT_PRESETS),
        help="defaults for the flags marked 'preset': demo = the committed evaluations' settings; paper = "
        "this design at the official settings (the official evaluations themselves are surrogate-eval "
        "and sampler-eval)",
    )
    comp.add_argument(
        "--design",
        default="own",
        choices=["own", "official"],
        help="own: this package's evaluation (random observed and held-out sets, a GP and a forest, TPE and "
        "random search); official: gone, see surrogate-eval and sampler-eval",
    )
    comp.add_argument("--datasets", type=csv_list, default=None, help="comma-separated (preset)")
    comp.add_argument("--model", default=COMPONENT_DEFAULTS["model"], help="the model whose hyperparameters are tuned")
    comp.add_argument("--seeds", type=int_list, default=_listed(COMPONENT_DEFAULTS["seeds"]), help="comma-separated")
    comp.add_argument(
        "--n-observed",
        type=whole_numbers(2, MAX_COMPONENT_POINTS, "observed-set sizes"),
        default=_listed(COMPONENT_DEFAULTS["n_observed"]),
        help=f"observed-set sizes (2–{MAX_COMPONENT_POINTS})",
    )
    comp.add_argument(
        "--n-test",
        type=at_least(2, MAX_COMPONENT_POINTS),
        default=None,
        help=f"held-out configurations per set (2–{MAX_COMPONENT_POINTS}; preset)",
    )
    comp.add_argument(
        "--n-templates",
        type=at_least(1),
        default=None,
        help="prompt templates of the surrogate and the sampler (preset)",
    )
    comp.add_argument(
        "--n-gens", type=at_least(1), default=None, help="surrogate samples per candidate and template (preset)"
    )
    comp.add_argument(
        "--n-candidates", type=at_least(1), default=None, help="candidates each sampler proposes (preset)"
    )
    comp.add_argument("--alpha", type=float, default=None, help="the sampler's target: best ± alpha·range (preset)")
    comp.add_argument(
        "--sampler-policy", default=None, choices=list(SAMPLER_POLICIES), help="see `run --help` (preset)"
    )
    add_llm_flags(comp)
    comp.add_argument(
        "--out",
        type=Path,
        default=Path("results/runs/components"),
        help="output folder (default: results/runs/components; the committed results/components is "
        "written only when named)",
    )
    comp.add_argument(
        "--dry-run",
        action="store_true",
        help="print how many requests, tokens and dollars recording would take, and call nothing",
    )
    add_memo_flags(comp)
    comp.set_defaults(func=cmd_components)
