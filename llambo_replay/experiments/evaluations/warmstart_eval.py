"""The paper's warm-starting evaluation: does BO start better from the LLM's initial points?

For one task, the initial points of each seed come from an *initialiser* — random, Sobol or Latin
hypercube (scikit-optimize's generators, as the official code calls them), or the LLM at one of three
context levels (`llambo.warmstart`) — and feed TPE and GP-EI (`experiments.runs.baselines`). Each
(initialiser, optimiser, seed) is a baseline run written as
``<out>/<optimiser>-<initialiser>/<dataset>/<model>/<seed>.csv`` with its manifest, so `tables` renders
them and `check` replays them. The manifest names where its initial points came from; `check`
derives them again from that recording.

Every number that could change between machines is recorded: the LLM's answers, the generators'
points (one recorded call per seed) and, as for every baseline, evaluations and proposals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from llambo_replay import namespaces
from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.presets import DESIGNS
from llambo_replay.experiments.runs.baseline_run import run_baseline
from llambo_replay.experiments.runs.run_spec import RunSpec, given_points, warmstart_namespace
from llambo_replay.llambo import Engine, LlamboSettings, SearchSpace
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.prompts import PromptSettings
from llambo_replay.llambo.warmstart import WarmstartSettings, ask_warmstart, choose
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.calls import RecordedCalls
from llambo_replay.replay.canonical import canonical_json, normalise_numbers
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S, OFFLINE_URL

if TYPE_CHECKING:
    from llambo_replay.llambo.estimate import Estimate

# initialiser -> how tables name it
INITIALISERS: dict[str, str] = {
    "random": "random",
    "sobol": "Sobol",
    "lhs": "LHS",
    "no_context": "LLM, no context",
    "partial_context": "LLM, partial context",
    "full_context": "LLM, full context",
}
OPTIMISERS = ("tpe", "gp_ei")

# The order of the official search spaces' dimensions (exp_baselines/bayesmark/sklearn_funcs.py), which
# decides which Sobol/LHS coordinate each hyperparameter gets; the shipped spaces list these two
# alphabetically.
OFFICIAL_ORDER: dict[str, tuple[str, ...]] = {
    "RandomForest": (
        "max_depth",
        "max_features",
        "min_samples_split",
        "min_samples_leaf",
        "min_weight_fraction_leaf",
        "min_impurity_decrease",
    ),
    "DecisionTree": (
        "max_depth",
        "min_samples_split",
        "min_samples_leaf",
        "min_weight_fraction_leaf",
        "max_features",
        "min_impurity_decrease",
    ),
}


@dataclass(frozen=True)
class WarmstartEvalSpec:
    dataset: str = "wine"
    model: str = "SVM"
    seeds: tuple[int, ...] = (0, 1, 2)
    initialisers: tuple[str, ...] = tuple(INITIALISERS)
    optimisers: tuple[str, ...] = OPTIMISERS
    n_initial: int = 5
    n_trials: int = 10
    llm_model: str = "smollm2-135m-instruct"
    protocol: str = "json"
    warmstart: WarmstartSettings = field(default_factory=WarmstartSettings)

    def __post_init__(self) -> None:
        for kind, given, valid in (
            ("initialiser", self.initialisers, INITIALISERS),
            ("optimiser", self.optimisers, OPTIMISERS),
        ):
            unknown = [name for name in given if name not in valid]
            if unknown or not given:
                raise UsageError(
                    f"unknown {kind} {', '.join(unknown) or '(none given)'}; choose from: {', '.join(valid)}"
                )
        if not self.seeds or min(self.seeds) < 0:
            raise UsageError("give one or more seeds, each 0 or more")
        get_answer_format(self.protocol)
        load_task(self.dataset, self.model)  # a clear error for an unknown dataset or model


# -- the generators ------------------------------------------------------------------------
def skopt_design(generator: str, space: SearchSpace, model: str, seed: int, n: int) -> list[dict[str, float]]:
    """`n` points of scikit-optimize's `generator` ("random", "sobol", "lhs"), drawn as the official code
    draws them: a `gp_minimize` of a constant whose every call is an initial point. (Its "random" is this
    too: the official ConfigSpace sampler is never reached, as `write_random_bayesmark` replaces a missing
    template with `RandomTemplate()`, whose generator name is None, scikit-optimize's random.)"""
    import warnings

    from skopt import gp_minimize
    from skopt.space import Integer, Real

    order = OFFICIAL_ORDER.get(model, tuple(space.names))
    params = {p.name: p for p in space.params}
    dims = []
    for name in order:
        p = params[name]
        prior = "log-uniform" if p.transform in ("log", "logit") and p.low > 0 else "uniform"
        dims.append(
            Integer(int(p.low), int(p.high), prior=prior, name=name, transform="identity")
            if p.type == "int"
            else Real(p.low, p.high, prior=prior, name=name, transform="identity")
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = gp_minimize(
            lambda x: 0.0, dims, n_initial_points=n, initial_point_generator=generator, n_calls=n, random_state=seed
        )
    return [
        {
            name: (int(x[order.index(name)]) if params[name].type == "int" else float(x[order.index(name)]))
            for name in space.names
        }
        for x in result.x_iters[:n]
    ]


def _design_version() -> str:
    from importlib.metadata import version

    return f"scikit-optimize {version('scikit-optimize')}"


def design_points(
    initialiser: str, dataset: str, model: str, seed: int, n: int, store: CassetteStore, mode: RecordMode
) -> tuple[list[dict[str, float]], dict[str, Any]]:
    """A generator's initial points for one seed, from the cassettes (or computed and recorded)."""
    space = load_task(dataset, model).space
    calls = RecordedCalls(
        store,
        namespaces.designs(initialiser, dataset, model, seed),
        mode,
        miss_hint="record it with `llambo-replay warmstart --mode auto` (initial designs are recorded)",
    )
    arguments = {
        "initialiser": initialiser,
        "dataset": dataset,
        "model": model,
        "seed": seed,
        "n": n,
        "library": _design_version(),
    }

    def compute() -> tuple[list[dict[str, float]], dict[str, Any]]:
        return normalise_numbers(skopt_design(initialiser, space, model, seed, n)), {}

    answer = calls.call(f"{initialiser}/points", arguments, compute)
    return answer.result, {"initialiser": initialiser, "seed": seed, "cassettes": {calls.namespace: calls.used_keys()}}


class LlmAnswers:
    """The warm-starting answers of one task and context, asked once and shared by every seed."""

    def __init__(
        self,
        spec: WarmstartEvalSpec,
        context: str,
        store: CassetteStore,
        mode: RecordMode,
        base_url: str | None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.spec, self.context = spec, context
        self.namespace = warmstart_namespace(spec.llm_model, spec.protocol, spec.dataset, spec.model, context)
        self.transport = make_transport(store, self.namespace, mode, base_url, timeout_s=timeout_s)
        task = load_task(spec.dataset, spec.model)
        engine = Engine(open_async_client(self.transport), spec.llm_model, max_concurrency=1)
        try:
            self.texts = ask_warmstart(
                engine,
                task.space,
                task.context,
                get_answer_format(spec.protocol),
                spec.n_initial,
                PromptSettings(context),
                spec.warmstart,
            )
        finally:
            engine.close()
        self.usage = engine.usage

    def points(self, seed: int) -> tuple[list[dict[str, float]], dict[str, Any]]:
        task = load_task(self.spec.dataset, self.spec.model)
        chosen = choose(
            self.texts,
            task.space,
            get_answer_format(self.spec.protocol),
            self.spec.n_initial,
            PromptSettings(self.context),
            self.spec.warmstart,
            seed,
            np.random.default_rng(seed),
        )
        source = {
            "initialiser": self.context,
            "seed": seed,
            "llm_model": self.spec.llm_model,
            "protocol": self.spec.protocol,
            "warmstart_settings": asdict(self.spec.warmstart),
            "kept_answers": chosen.kept_answers,
            "answers": chosen.answers,
            "fallback_points": chosen.fallback_points,
            "cassettes": {self.namespace: self.transport.used_keys()},
        }
        return chosen.configs, source


# -- the evaluation ------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    initialiser: str
    optimiser: str
    seed: int

    @property
    def folder(self) -> str:
        return f"{self.optimiser}-{self.initialiser}"


def cells(spec: WarmstartEvalSpec) -> Iterator[Cell]:
    for initialiser in spec.initialisers:
        for seed in spec.seeds:
            for optimiser in spec.optimisers:
                yield Cell(initialiser, optimiser, seed)


def run_warmstart_eval(
    spec: WarmstartEvalSpec,
    mode: RecordMode,
    out: Path,
    cassettes: Path,
    base_url: str | None = None,
    memo: ObjectiveMemo | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Every cell of `spec`; returns the run manifests. A cell whose LLM gave no usable answer for its
    seed under the official policy is reported by `llambo.warmstart.choose`'s error."""
    from llambo_replay.progress import progress_bar

    store = CassetteStore(cassettes)
    todo = list(cells(spec))
    answers: dict[str, LlmAnswers] = {}
    manifests = []
    settings = LlamboSettings(n_initial=spec.n_initial, n_trials=spec.n_trials)
    with progress_bar(
        total=len(todo), desc=f"warm-start {spec.dataset}/{spec.model}", unit="run", enabled=progress
    ) as bar:
        for cell in todo:
            if cell.initialiser in DESIGNS:
                points, source = design_points(
                    cell.initialiser, spec.dataset, spec.model, cell.seed, spec.n_initial, store, mode
                )
            else:
                if cell.initialiser not in answers:
                    bar.set_postfix_str(f"asking the LLM ({cell.initialiser})")
                    answers[cell.initialiser] = LlmAnswers(spec, cell.initialiser, store, mode, base_url, timeout_s)
                points, source = answers[cell.initialiser].points(cell.seed)
            bar.set_postfix_str(cell.folder)
            run_spec = RunSpec(
                spec.dataset, spec.model, cell.seed, settings=settings, given_points=given_points(points)
            )
            manifests.append(
                run_baseline(
                    cell.optimiser, run_spec, out / cell.folder, cassettes, mode, memo, initial_points_source=source
                )
            )
            bar.update(1)
    return manifests


def estimate_eval(spec: WarmstartEvalSpec, honours_n: bool) -> Estimate:
    """What recording `spec`'s LLM initialisers would ask (the generators and optimisers ask nothing)."""
    from llambo_replay.llambo.estimate import Estimate, estimate_warmstart

    task, total = load_task(spec.dataset, spec.model), Estimate()
    for context in (i for i in spec.initialisers if i not in DESIGNS):
        total = total + estimate_warmstart(
            task.context,
            task.space,
            spec.n_initial,
            PromptSettings(context),
            get_answer_format(spec.protocol),
            spec.warmstart,
            honours_n,
        )
    return total


def rederive(
    source: dict[str, Any], dataset: str, model: str, n: int, cassettes: Path
) -> tuple[list[dict[str, float]], dict[str, Any]]:
    """A manifest's initial points and their source, derived again offline from the recording it names."""

    store = CassetteStore(cassettes)
    initialiser, seed = source["initialiser"], source["seed"]
    if initialiser in DESIGNS:
        return design_points(initialiser, dataset, model, seed, n, store, RecordMode.REPLAY)
    spec = WarmstartEvalSpec(
        dataset,
        model,
        (seed,),
        (initialiser,),
        n_initial=n,
        llm_model=source["llm_model"],
        protocol=source["protocol"],
        warmstart=WarmstartSettings(**source["warmstart_settings"]),
    )
    return LlmAnswers(spec, initialiser, store, RecordMode.REPLAY, OFFLINE_URL).points(seed)


def same_points(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    return canonical_json(normalise_numbers(a)) == canonical_json(normalise_numbers(b))


def summary(manifests: list[dict[str, Any]], out: Path) -> list[str]:
    """Mean best score after the initial points and at the end, per optimiser and initialiser, and for
    the LLM how many of its answers the policy could use and how many random points filled gaps."""
    import pandas as pd

    rows = []
    for m in manifests:
        source, task = m["initial_points_source"], m["task"]
        history = pd.read_csv(
            out / f"{m['method']}-{source['initialiser']}" / task["dataset"] / task["model"] / f"{m['seed']}.csv"
        )
        best = history["score"].cummin() if task["lower_is_better"] else history["score"].cummax()
        n = m["budget"]["n_initial"]
        rows.append(
            {
                "optimiser": m["method"],
                "initial points": INITIALISERS[source["initialiser"]],
                "best initial": best.iloc[n - 1],
                "best final": best.iloc[-1],
                "usable answers": (f"{source['kept_answers']}/{source['answers']}" if "answers" in source else "-"),
                "random top-ups": source.get("fallback_points", 0),
            }
        )
    table = (
        pd.DataFrame(rows)
        .groupby(["optimiser", "initial points"], sort=False)
        .agg(
            runs=("best final", "size"),
            best_initial=("best initial", "mean"),
            best_final=("best final", "mean"),
            usable_answers=("usable answers", "first"),
            random_top_ups=("random top-ups", "sum"),
        )
    )
    return table.to_string(float_format=lambda v: f"{v:.4f}").splitlines()
