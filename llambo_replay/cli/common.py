"""From parsed flags to the objects the library takes (a run spec, a budget, a memo, initial points), and
the few lines every command prints alike. Imports no command module."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llambo_replay.cli.flags import at_least
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.presets import PACKAGED, PRESETS

if TYPE_CHECKING:
    from llambo_replay.bayesmark.memo import ObjectiveMemo
    from llambo_replay.experiments.runs.run_spec import RunSpec
    from llambo_replay.experiments.runs.runner import Budget
    from llambo_replay.llambo.estimate import Estimate
    from llambo_replay.llambo.warmstart import WarmstartSettings


def fill_from_preset(args: argparse.Namespace, presets: dict[str, dict[str, object]]) -> None:
    """Flags marked (preset) that were not given take the value of `--preset`'s entry."""
    for name, value in presets[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def chosen_task(args: argparse.Namespace) -> tuple[str, str]:
    """The task `add_task_flags` parsed: `--task`, or `--dataset`/`--model` over the command's default."""
    if args.task and (args.dataset or args.model):
        raise UsageError("give the task as --task DATASET/MODEL or as --dataset and --model, not both")
    dataset, model = args.task or (args.dataset or args.task_default[0], args.model or args.task_default[1])
    return dataset, model


def run_spec(args: argparse.Namespace) -> RunSpec:
    """RunSpec from the shared run/grid flags, with the preset filling what was not given."""
    from llambo_replay.experiments.results.replay_commands import spec_from_options

    fill_from_preset(args, PRESETS)
    dataset, model = chosen_task(args) if hasattr(args, "task_default") else ("iris", "SVM")
    return spec_from_options(
        vars(args),
        dataset,
        model,
        getattr(args, "seed", 0),
        paper_start(args.reference),
        read_initial_points(args.initial_points),
    )


def warmstart_settings(args: argparse.Namespace) -> WarmstartSettings:
    from llambo_replay.experiments.results.replay_commands import warmstart_settings as from_options

    return from_options(vars(args))


def read_initial_points(value: str | None) -> str | None:
    """`--initial-points`: a JSON list of configurations (the layout of the paper's configs/<model>/<seed>.json),
    in a file or, when it starts with `[`, given on the command line (as a manifest's replay command does)."""
    import json

    from llambo_replay.experiments.results.manifests import read_json_file
    from llambo_replay.experiments.runs.run_spec import given_points

    if value is None:
        return None
    if value.lstrip().startswith("["):
        try:
            return given_points(json.loads(value))
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"--initial-points is not a JSON list ({exc.__class__.__name__})") from None
    try:
        return given_points(read_json_file(Path(value), "--initial-points"))
    except ValueError as exc:
        raise UsageError(f"--initial-points {value} is not a list of points ({exc.__class__.__name__})") from None


def paper_start(value: str | None) -> str | None:
    """`--reference [DIR]` of run/grid: absent, the seeded generator draws the initial points; given,
    they are the paper's, from DIR or (with no DIR) the packaged copy."""
    from llambo_replay.bayesmark import reference

    if value is None:
        return None
    return str(reference.check_reference(None if value == PACKAGED else value))


def estimate_runs(specs: list[RunSpec]) -> int:
    from llambo_replay.experiments.runs.estimate_ratios import label
    from llambo_replay.experiments.runs.runner import estimate
    from llambo_replay.llambo.estimate import Estimate

    total = Estimate()
    for spec in specs:
        total = total + estimate(spec)
    model = specs[0].llm_model if specs else "?"
    measured = label(model, specs[0].settings.protocol) if specs else None
    return print_estimate(total, model, f"{len(specs)} LLAMBO run(s)", measured=measured)


def print_outputs(out: Path, tables: list[str], manifest: dict[str, Any], then: str = "") -> None:
    """An evaluation's Markdown tables, then one line: its LLM requests, the record mode and where it wrote."""
    for name in tables:
        print((out / name).read_text())
    print(f"{manifest['llm_requests']} LLM requests ({manifest['mode']}); outputs in {out}{then}")


def print_estimate(total: Estimate, model: str, what: str, capped: bool = True, measured: str | None = None) -> int:
    """`--dry-run`: what recording would ask for, without asking anything; for LLAMBO runs (`measured`
    names their model and protocol), the range the committed recordings of that model measured."""
    from llambo_replay.experiments.runs.estimate_ratios import shipped_ratios
    from llambo_replay.experiments.runs.runner import honours_n
    from llambo_replay.replay.pricing import CHARS_PER_TOKEN

    priced = honours_n(model)  # the pricing table lists cloud models, whose endpoints honour n
    n_note = (
        "the endpoint answers n samples in one request"
        if priced
        else "the endpoint ignores n, as local servers do: one request per sample"
    )
    ratios = shipped_ratios().get(measured) if measured else None

    def spread(value: int, measure: str) -> str:
        if ratios is None:
            return ""
        low, median, high = (round(value * r) for r in ratios[measure])
        return f"; measured: {low:,} to {high:,}, most likely {median:,}"

    print(f"dry run: {what} with {model}; nothing was called")
    print(f"  requests       about {total.requests:,} if every answer is usable{spread(total.requests, 'requests')}")
    print(
        f"  prompt tokens  about {total.prompt_tokens:,}{spread(total.prompt_tokens, 'prompt_tokens')} "
        f"(characters / {CHARS_PER_TOKEN}, as LLAMBO's prompts tokenize)"
    )
    print(f"  completion     about {total.completion_tokens:,} tokens")
    print(
        f"  cost           about ${total.cost(model):.4f}"
        + ("" if priced else f" ({model} is not in genai-prices' table)")
    )
    if ratios is not None:
        print(
            f"  measured       the {ratios['runs']} committed runs of {measured} asked "
            f"{ratios['requests'][0]:g} to {ratios['requests'][2]:g} times the requests estimated for them "
            f"(median {ratios['requests'][1]:g}): unusable answers make the sampler ask again, or leave fewer "
            "candidates to score"
        )
    elif measured:
        print(f"  not measured   no committed run of {measured}: a model that often answers unusably asks more")
    print(f"  endpoint       {n_note}")
    print(
        "  what the cassettes already hold is replayed for free"
        + ("; --max-requests/--max-cost cap the rest" if capped else "")
    )
    return 0


def add_spending_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-requests",
        type=at_least(1),
        default=None,
        metavar="N",
        help="stop a recording at the first trial boundary after N requests were sent (per run); "
        "running the same command again continues it",
    )
    parser.add_argument(
        "--max-cost",
        type=float,
        default=None,
        metavar="USD",
        help="the same for the recorded cost in dollars (per run), priced by genai-prices; refused "
        "for a model it cannot price",
    )
    parser.add_argument(
        "--allow-unpriced",
        action="store_true",
        help="let --max-cost run against a model genai-prices cannot price (its cost counts as $0)",
    )
    parser.add_argument(
        "--requests-per-minute",
        type=at_least(1),
        default=None,
        metavar="N",
        help="while recording, send at most N requests in any minute (each waits for its turn before it is "
        "sent; the official code's limiter: 720); per process, so with --jobs J give each its share",
    )
    parser.add_argument(
        "--tokens-per-minute",
        type=at_least(1),
        default=None,
        metavar="N",
        help="the same for tokens: prompt and allowed completion, estimated (the official code's: 100000)",
    )


def run_budget(args: argparse.Namespace) -> Budget | None:
    from llambo_replay.experiments.runs.runner import Budget
    from llambo_replay.replay.pricing import is_priced

    if args.max_cost is not None and not args.max_cost > 0:
        raise UsageError(f"--max-cost must be a positive number of dollars (got {args.max_cost})")
    if args.max_requests is None and args.max_cost is None:
        return None
    models = {args.llm_model, getattr(args, "generative_model", None) or args.llm_model}
    unpriced = sorted(m for m in models if not is_priced(m))
    if args.max_cost is not None and unpriced and not args.allow_unpriced:
        raise UsageError(
            f"--max-cost cannot stop a recording with {unpriced[0]}: genai-prices has no price for it, "
            "so its cost counts as $0; cap it with --max-requests, or pass --allow-unpriced"
        )
    return Budget(args.max_requests, args.max_cost)


def open_memo(args: argparse.Namespace) -> ObjectiveMemo | None:
    from llambo_replay.bayesmark.memo import ObjectiveMemo

    return None if args.no_memo else ObjectiveMemo(args.memo) if args.memo else ObjectiveMemo()
