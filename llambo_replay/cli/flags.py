"""The flags commands share: their types (one-line errors for bad values), the help formatter, and the
flag groups `run`, `grid` and the evaluations offer alike, each defined once. Imports no command module."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from llambo_replay.experiments.results.presets import (
    DEFAULT_STORE,
    PACKAGED,
    PAPER_GENERATIVE_MODEL,
    PRESETS,
    RUN_DEFAULTS,
)

if TYPE_CHECKING:
    pass


REFERENCE_HELP = "folder laid out like the paper's official repository (default: the copy shipped with the package)"


DEFAULT_OUT = Path("results/runs")


class Help(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, but not the uninformative None/False ones; an epilog of examples keeps its lines."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False) or "(default:" in (action.help or ""):  # none, or said in words
            return action.help or ""
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a user mistake is one line, not a usage block, and help shows the defaults (`Help`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", Help)
        kwargs.setdefault("allow_abbrev", False)  # `--trial 5` is a mistake to name, not `--trials` guessed
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


def add_warmstart_flags(parser: argparse.ArgumentParser, policy: str | None) -> None:
    from llambo_replay.llambo.reading_policies import WARMSTART_POLICY_NAMES as WARMSTART_POLICIES

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


def add_endpoint_flags(parser: argparse.ArgumentParser) -> None:
    """Where a command's LLM calls go and are recorded: record mode, endpoint, cassette folder."""
    parser.add_argument(
        "--mode", default=None, help="record | replay | auto | live (default: $LLAMBO_REPLAY_MODE, else replay)"
    )
    parser.add_argument("--cassettes", type=Path, default=DEFAULT_STORE, help="cassette folder")
    parser.add_argument(
        "--base-url",
        default=None,
        help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, else http://127.0.0.1:8080/v1); "
        "the key comes from $OPENAI_API_KEY and is never stored",
    )


def add_llm_flags(parser: argparse.ArgumentParser) -> None:
    """The LLM an evaluation asks, and how: model name and answer format (preset), endpoint, timeout."""
    from llambo_replay.llambo.answer_format import ANSWER_FORMATS

    parser.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    parser.add_argument("--protocol", default=None, choices=list(ANSWER_FORMATS), help="answer format (preset)")
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
    from llambo_replay.bayesmark.objective_protocols import OBJECTIVE_PROTOCOLS
    from llambo_replay.llambo.answer_format import ANSWER_FORMATS
    from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES

    add_endpoint_flags(parser)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for <dataset>/<model>/<seed>.csv and manifest"
    )
    parser.add_argument(
        "--preset",
        default="demo",
        choices=list(PRESETS),
        help="defaults for the flags below marked 'preset': "
        + "; ".join(f"{name} = " + ", ".join(f"{k} {v}" for k, v in PRESETS[name].items()) for name in PRESETS)
        + " (paper and official are the paper's code's settings, paper-text its appendix D.4's)",
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
        choices=list(ANSWER_FORMATS),
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
    parser.add_argument("--n-candidates", type=at_least(1), default=None, help="candidates sampled per trial (preset)")
    parser.add_argument(
        "--n-templates", type=at_least(1), default=RUN_DEFAULTS["n_templates"], help="prompt templates (example orders)"
    )
    parser.add_argument(
        "--n-gens", type=at_least(1), default=None, help="surrogate samples per candidate and template (preset)"
    )
    parser.add_argument(
        "--alpha", type=float, default=None, help="target = best ± alpha·range of observed scores (preset)"
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
