"""What every command shares: presets, flag types, shared flag groups, the run spec built from flags.

Command modules import from here; this module imports no command module. It is longer than the others
because the flags `run` and `grid` share (LLAMBO's settings, the presets, recording budgets) are one
group defined once, so that both commands offer exactly the same flags.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.presets import PACKAGED, PAPER_GENERATIVE_MODEL, PRESETS, RUN_DEFAULTS

if TYPE_CHECKING:
    from llambo_replay.bayesmark.memo import ObjectiveMemo
    from llambo_replay.experiments.runs.run_spec import RunSpec
    from llambo_replay.experiments.runs.runner import Budget
    from llambo_replay.llambo.estimate import Estimate
    from llambo_replay.llambo.warmstart import WarmstartSettings

DEFAULT_CASSETTES = Path("cassettes")
REFERENCE_HELP = "folder laid out like the paper's official repository (default: the copy shipped with the package)"
DEFAULT_OUT = Path("results/runs")


class Help(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, but not the uninformative None/False ones."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False):
            return action.help or ""
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a user mistake is one line, not a usage block, and help shows the defaults (`Help`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", Help)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def at_least(minimum: int, most: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be {most} or less, got {value}")
        return value

    return parse


def method_labels() -> list[tuple[str, str]]:
    from llambo_replay.experiments.runs.baselines import REGISTRY

    return [("llambo", "LLAMBO"), *((name, b.label) for name, b in REGISTRY.items())]


def csv_list(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:  # `--tasks ,` must not quietly mean the default
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return parts


def task_list(text: str) -> list[tuple[str, str]]:
    tasks = []
    for part in csv_list(text):
        dataset, slash, model = part.partition("/")
        if not (slash and dataset and model):
            raise argparse.ArgumentTypeError(f"expected DATASET/MODEL pairs such as iris/SVM, got {part!r}")
        tasks.append((dataset, model))
    return tasks


def one_task(text: str) -> tuple[str, str]:
    tasks = task_list(text)
    if len(tasks) != 1:
        raise argparse.ArgumentTypeError(f"expected one DATASET/MODEL such as wine/SVM, got {text!r}")
    return tasks[0]


def whole_numbers(minimum: int, most: int, what: str) -> Callable[[str], list[int]]:
    """A comma-separated list of whole numbers in [minimum, most]."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(part) for part in csv_list(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
        if any(not minimum <= v <= most for v in values):
            raise argparse.ArgumentTypeError(f"{what} must be {minimum}–{most}")
        return values

    return parse


MAX_SEED = 2**32 - 1  # numpy's seed sequences take more, but no run needs it and folder names stay short
int_list = whole_numbers(0, MAX_SEED, "seeds")


def fill_from_preset(args: argparse.Namespace, presets: dict[str, dict[str, object]]) -> None:
    """Flags marked (preset) that were not given take the value of `--preset`'s entry."""
    for name, value in presets[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def add_task_flags(parser: argparse.ArgumentParser, default: tuple[str, str]) -> None:
    """One vocabulary for one task, in every command that takes one: `--task DATASET/MODEL`, or
    `--dataset` and `--model` (`grid` and `components` take their plurals, `--tasks`, `--datasets`)."""
    parser.add_argument(
        "--task",
        type=one_task,
        default=None,
        metavar="DATASET/MODEL",
        help=f"the Bayesmark task, such as wine/SVM (default: {'/'.join(default)}); or:",
    )
    parser.add_argument(
        "--dataset",
        default=None,
        help=f"breast, digits, iris, wine, diabetes (public) or griewank, "
        f"ktablet, rosenbrock (the paper's synthetic regression tasks; default: {default[0]})",
    )
    parser.add_argument(
        "--model", default=None, help=f"RandomForest, DecisionTree, SVM, AdaBoost or MLP_SGD (default: {default[1]})"
    )
    parser.set_defaults(task_default=default)


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


def add_warmstart_flags(parser: argparse.ArgumentParser, policy: str | None) -> None:
    from llambo_replay.llambo.policies import WARMSTART_POLICY_NAMES as WARMSTART_POLICIES

    parser.add_argument(
        "--warmstart-answers",
        type=at_least(1),
        default=RUN_DEFAULTS["warmstart_answers"],
        metavar="N",
        help="answers asked in the warm-starting request (the official n)",
    )
    parser.add_argument(
        "--warmstart-max-tokens",
        type=at_least(1),
        default=None,
        metavar="N",
        help="limit each warm-starting answer (the official request sends no limit)",
    )
    parser.add_argument(
        "--warmstart-policy",
        default=policy,
        choices=list(WARMSTART_POLICIES),
        help="official: keep an answer only if it is a list of at least --init configurations, all "
        "valid, and stop when seed k finds no k-th such answer; robust: keep every valid "
        "configuration of an answer and top up with random points" + (" (preset)" if policy is None else ""),
    )
    parser.add_argument(
        "--warmstart-statistics",
        action="store_true",
        help="fill the full_context template's dataset statistics (skewness, kurtosis, strong "
        "correlations), which the official code leaves as literal [SLOTS]",
    )


def read_initial_points(value: str | None) -> str | None:
    """`--initial-points`: a JSON list of configurations (the layout of the paper's configs/<model>/<seed>.json),
    in a file or, when it starts with `[`, given on the command line (as a manifest's replay command does)."""
    import json

    from llambo_replay.experiments.runs.run_spec import given_points

    if value is None:
        return None
    if value.lstrip().startswith("["):
        try:
            return given_points(json.loads(value))
        except ValueError as exc:
            raise UsageError(f"--initial-points is not a JSON list ({exc.__class__.__name__})") from None
    try:
        return given_points(json.loads(Path(value).read_text()))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--initial-points {value} is not a readable JSON file ({exc.__class__.__name__})") from None


def paper_start(value: str | None) -> str | None:
    """`--reference [DIR]` of run/grid: absent, the seeded generator draws the initial points; given,
    they are the paper's, from DIR or (with no DIR) the packaged copy."""
    from llambo_replay.bayesmark import reference

    if value is None:
        return None
    return str(reference.check_reference(None if value == PACKAGED else value))


def estimate_runs(specs: list[RunSpec]) -> int:
    from llambo_replay.experiments.runs.runner import estimate
    from llambo_replay.llambo.estimate import Estimate

    total = Estimate()
    for spec in specs:
        total = total + estimate(spec)
    return print_estimate(total, specs[0].llm_model if specs else "?", f"{len(specs)} LLAMBO run(s)")


def print_outputs(out: Path, tables: list[str], manifest: dict[str, Any], then: str = "") -> None:
    """An evaluation's Markdown tables, then one line: its LLM requests, the record mode and where it wrote."""
    for name in tables:
        print((out / name).read_text())
    print(f"{manifest['llm_requests']} LLM requests ({manifest['mode']}); outputs in {out}{then}")


def print_estimate(total: Estimate, model: str, what: str, capped: bool = True) -> int:
    """`--dry-run`: what recording would ask for, without asking anything."""
    from llambo_replay.experiments.runs.runner import honours_n
    from llambo_replay.replay.pricing import CHARS_PER_TOKEN

    priced = honours_n(model)  # the pricing table lists cloud models, whose endpoints honour n
    n_note = (
        "the endpoint answers n samples in one request"
        if priced
        else "the endpoint ignores n, as local servers do: one request per sample"
    )
    print(f"dry run: {what} with {model}; nothing was called")
    print(f"  requests       about {total.requests:,} (assumes every answer parses; {n_note})")
    print(
        f"  prompt tokens  about {total.prompt_tokens:,} (characters / {CHARS_PER_TOKEN}, as LLAMBO's prompts tokenize)"
    )
    print(f"  completion     about {total.completion_tokens:,} tokens")
    print(
        f"  cost           about ${total.cost(model):.4f}"
        + ("" if priced else f" ({model} is not in genai-prices' table)")
    )
    print(
        "  what the cassettes already hold is replayed for free"
        + ("; --max-requests/--max-cost cap the rest" if capped else "")
    )
    return 0


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


def add_timeout_flag(parser: argparse.ArgumentParser) -> None:
    # = replay.transport.DEFAULT_TIMEOUT_S, written out so that building the parser imports nothing heavy
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="per request attempt, when recording; a request is tried 6 times before the run stops",
    )


def add_memo_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memo",
        type=Path,
        default=None,
        help="objective memo folder (default: $LLAMBO_REPLAY_MEMO, else ~/.cache/llambo-replay/objective)",
    )
    parser.add_argument("--no-memo", action="store_true", help="always retrain; never read or write the memo")


def open_memo(args: argparse.Namespace) -> ObjectiveMemo | None:
    from llambo_replay.bayesmark.memo import ObjectiveMemo

    return None if args.no_memo else ObjectiveMemo(args.memo) if args.memo else ObjectiveMemo()


def add_endpoint_flags(parser: argparse.ArgumentParser) -> None:
    """Where a command's LLM calls go and are recorded: record mode, endpoint, cassette folder."""
    parser.add_argument(
        "--mode", default=None, help="record | replay | auto | live (default: $LLAMBO_REPLAY_MODE, else replay)"
    )
    parser.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    parser.add_argument(
        "--base-url",
        default=None,
        help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, else http://127.0.0.1:8080/v1); "
        "the key comes from $OPENAI_API_KEY and is never stored",
    )


def add_llm_flags(parser: argparse.ArgumentParser) -> None:
    """The LLM an evaluation asks, and how: model name and answer format (preset), endpoint, timeout."""
    from llambo_replay.llambo.protocol import PROTOCOLS

    parser.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    parser.add_argument("--protocol", default=None, choices=list(PROTOCOLS), help="answer format (preset)")
    add_endpoint_flags(parser)
    add_timeout_flag(parser)


def add_observed_set_flags(parser: argparse.ArgumentParser) -> None:
    """The official evaluations' observed sets: their sizes and seeds, in the official scripts' terms."""
    parser.add_argument(
        "--n-observed",
        type=whole_numbers(2, 500, "observed-set sizes"),
        default=None,
        help="observed-set sizes, comma-separated (the official script's --num_observed, one per call; preset)",
    )
    parser.add_argument(
        "--seeds",
        type=int_list,
        default=None,
        help="comma-separated (preset; the official --num_seeds N is seeds 0..N-1)",
    )


def add_shared_run_flags(parser: argparse.ArgumentParser) -> None:
    """Flags shared by `run` and `grid`; those marked (preset) default to the --preset's values."""
    from llambo_replay.bayesmark.protocols import PROTOCOLS as OBJECTIVE_PROTOCOLS
    from llambo_replay.llambo.policies import SAMPLER_POLICIES
    from llambo_replay.llambo.protocol import PROTOCOLS

    add_endpoint_flags(parser)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for <dataset>/<model>/<seed>.csv and manifest"
    )
    parser.add_argument(
        "--preset",
        default="demo",
        choices=list(PRESETS),
        help="defaults for the flags below marked 'preset': demo = "
        + ", ".join(f"{k} {v}" for k, v in PRESETS["demo"].items())
        + "; paper = "
        + ", ".join(f"{k} {v}" for k, v in PRESETS["paper"].items()),
    )
    parser.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    parser.add_argument("--init", type=at_least(1), default=RUN_DEFAULTS["init"], help="initial points")
    parser.add_argument(
        "--trials", type=at_least(0), default=None, help="LLAMBO trials after the initial points (preset)"
    )
    parser.add_argument(
        "--reference",
        nargs="?",
        const=PACKAGED,
        default=None,
        metavar="DIR",
        help="start from the paper's shared initial points: those shipped with the package, or "
        "DIR's (a folder laid out like the paper's repository)",
    )
    parser.add_argument(
        "--reference-reader",
        default=RUN_DEFAULTS["reference_reader"],
        choices=["pandas", "json"],
        help="how --reference reads the initial points: pandas (pd.read_json, as the official code: "
        "about 15 significant digits, the values in the paper's histories) or json (the nearest "
        "doubles, what runs recorded before this option used)",
    )
    parser.add_argument(
        "--objective-protocol",
        default=OBJECTIVE_PROTOCOLS[-1],
        choices=OBJECTIVE_PROTOCOLS,
        help="whose recorded evaluations the run uses: the current protocol (recorded and computed) or "
        "an older one (replayed only; add --objective verify to see what the current one "
        "changes). docs/data.md, 'Objective protocols', says which committed runs used which",
    )
    parser.add_argument(
        "--initial-points",
        default=None,
        metavar="FILE",
        help="start from these configurations instead: a JSON list of {name: value} objects, the "
        "first --init of them, in FILE or given as the list itself (the manifest keeps them, "
        "so the run replays without the file)",
    )
    parser.add_argument(
        "--sm", default=RUN_DEFAULTS["sm"], choices=["discriminative", "generative"], help="surrogate model"
    )
    parser.add_argument(
        "--protocol",
        default=None,
        choices=list(PROTOCOLS),
        help="answer format: the paper's '## ... ##' text; json, asked for and enforced by a schema "
        "(what small local models need; its in-context examples keep the '## ... ##' form); "
        "json-examples, the same with JSON examples (preset)",
    )
    parser.add_argument(
        "--warmstart",
        default=None,
        choices=["no_context", "partial_context", "full_context"],
        help="ask the LLM for the initial points (zero-shot, the official templates) instead of "
        "drawing them; seed k takes the k-th usable answer",
    )
    add_warmstart_flags(parser, policy=None)
    parser.add_argument(
        "--context",
        default=RUN_DEFAULTS["context"],
        choices=["no_context", "partial_context", "full_context"],
        help="how much the prompts say about the task (the paper's context ablation)",
    )
    parser.add_argument(
        "--anonymise",
        action="store_true",
        help="name the hyperparameters X1..Xn in every prompt (the paper's feature-semantics ablation)",
    )
    parser.add_argument(
        "--shuffle-features",
        action="store_true",
        help="the discriminative surrogate shows each hyperparameter's name beside another one's "
        "value, by one fixed permutation, as the official code's shuffle_features does",
    )
    parser.add_argument(
        "--warping",
        action="store_true",
        help="show log-scaled hyperparameters as log10 values to the sampler and the discriminative "
        "surrogate (the paper's input-warping ablation; the generative surrogate always warps)",
    )
    parser.add_argument(
        "--n-candidates", type=at_least(1), default=RUN_DEFAULTS["n_candidates"], help="candidates sampled per trial"
    )
    parser.add_argument(
        "--n-templates", type=at_least(1), default=RUN_DEFAULTS["n_templates"], help="prompt templates (example orders)"
    )
    parser.add_argument(
        "--n-gens", type=at_least(1), default=None, help="surrogate samples per candidate and template (preset)"
    )
    parser.add_argument(
        "--alpha", type=float, default=RUN_DEFAULTS["alpha"], help="target = best ± alpha·range of observed scores"
    )
    parser.add_argument(
        "--sampler-policy",
        default=None,
        choices=list(SAMPLER_POLICIES),
        help="official: up to 4 rounds, strict `## ... ##` reading, fail when the model gives too "
        "little; robust: up to 6 rounds, lenient reading, random top-ups (preset)",
    )
    parser.add_argument(
        "--top-pct", type=float, default=RUN_DEFAULTS["top_pct"], help="generative surrogate: the 'good' fraction"
    )
    parser.add_argument(
        "--generative-model",
        default=None,
        metavar="NAME",
        help="the generative surrogate's completions model (default: --llm-model; with --preset "
        f"paper: {PAPER_GENERATIVE_MODEL}, as in the official code)",
    )
    add_timeout_flag(parser)
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
        "--dry-run",
        action="store_true",
        help="print how many requests, tokens and dollars recording would take, and call nothing",
    )
    parser.add_argument(
        "--concurrency",
        type=at_least(1),
        default=None,
        help="LLM requests in flight at once; 1 suits llama.cpp, whose prompt cache then hits (preset)",
    )
    add_memo_flags(parser)
