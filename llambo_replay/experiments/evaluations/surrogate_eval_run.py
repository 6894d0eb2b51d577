"""Run the official surrogate evaluation (`surrogate_eval`) with every black box recorded.

Recorded: the pool (five TPE studies and their 500 test-split scores, one entry per task), the
comparators' predictions (SMAC's GP and random forest, one entry per observed set: SMAC is an optional
extra, and a replay needs neither it nor its numerics) and every LLM answer. The metrics are
recomputed from those, so `check` compares them within a tolerance where the numerical environment
differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay import namespaces
from llambo_replay.bayesmark.numerics import environment, pinned_threads
from llambo_replay.bayesmark.tasks import Task, load_task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.evaluations import evaluation_table
from llambo_replay.experiments.evaluations import surrogate_eval as official
from llambo_replay.experiments.results.kinds import KINDS
from llambo_replay.experiments.runs.run_spec import model_slug
from llambo_replay.experiments.runs.runner import check_writable
from llambo_replay.llambo import Engine
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.prompts import PromptSettings
from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES
from llambo_replay.llambo.surrogate import DiscriminativeSurrogate, GenerativeSurrogate, SurrogateSettings
from llambo_replay.progress import progress_bar
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.calls import RecordedCalls
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S

MANIFEST = KINDS["surrogate-eval"].manifest_file
FLOAT = "%.4g"  # as the component metrics: recomputed numbers, four significant digits
POOL_FUNCTION = "surrogate-eval/pool/1"
COMPARATOR_FUNCTION = "surrogate-eval/smac-model/1"
TPE_FUNCTION = "surrogate-eval/tpe-acquisition/1"
# The rows of the official tables. Discriminative: LLAMBO with five templates ("calibrated") and with one
# ("vanilla"), against SMAC's models; generative: LLAMBO against independent and multivariate TPE.
LLAMBO_ROWS = {"LLAMBO": 5, "LLAMBO (vanilla, 1 template)": 1}
COMPARATORS = {"GP (SMAC)": "gp", "RF (SMAC)": "rf"}
TPE_ROWS = {"TPE (independent)": False, "TPE (multivariate)": True}
EVALUATIONS = ("discriminative", "generative")
# The prompts the discriminative rows are asked with: the paper's (full context, named hyperparameters), or
# those of the official ablation, "LLAMBO_Uninf" (use_context=False, use_feature_semantics=False: no task
# description, hyperparameters named X1..Xn, the metric called "a metric"), 5 templates, its one row.
PROMPTS = {"full": PromptSettings(), "uninformed": PromptSettings(context="no_context", feature_semantics=False)}
UNINFORMED_ROW = "LLAMBO (uninformed: no context, anonymised)"


@dataclass(frozen=True)
class SurrogateEvalSpec:
    dataset: str = "breast"
    model: str = "RandomForest"
    n_observed: tuple[int, ...] = (5, 10, 20, 30)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    llm_model: str = "gpt-3.5-turbo"
    protocol: str = "paper"
    n_gens: int = 10  # the discriminative surrogate's; the generative one's are the official script's (GENERATIVE)
    sm: str = "discriminative"  # which surrogate's official evaluation
    prompts: str = "full"  # "uninformed": the official prompt ablation (ablate_sm.py), discriminative only

    def __post_init__(self) -> None:
        if self.sm not in EVALUATIONS:
            raise UsageError(f"unknown surrogate {self.sm!r}; choose one of: {', '.join(EVALUATIONS)}")
        if self.prompts not in PROMPTS:
            raise UsageError(f"unknown prompts {self.prompts!r}; choose one of: {', '.join(PROMPTS)}")
        if self.prompts != "full" and self.sm != "discriminative":
            raise UsageError(
                "--prompts uninformed is the discriminative surrogate's ablation (ablate_sm.py); drop --sm generative"
            )

    def namespace(self) -> str:
        kind = "surrogate-eval" if self.sm == "discriminative" else f"surrogate-eval-{self.sm}"
        kind += "" if self.prompts == "full" else f"-{self.prompts}"
        return namespaces.official_evaluation_llm(
            model_slug(self.llm_model), kind, self.protocol, self.dataset, self.model
        )


def task_calls(store: CassetteStore, dataset: str, model: str, mode: RecordMode) -> RecordedCalls:
    """The recorded black boxes of the official evaluations of one task (the surrogate and the sampler
    evaluations share one namespace, so they share the pool)."""
    return RecordedCalls(
        store,
        namespaces.official_evaluation(dataset, model),
        mode,
        miss_hint="record it with --mode auto (the pool, the comparators' predictions or proposals "
        "and the candidates' scores are recorded)",
    )


def recorded_pool(
    task: Task, calls: RecordedCalls, log_scaled: tuple[str, ...] = official.SURROGATE_POOL_LOG
) -> pd.DataFrame:
    """The official pool of 5 x 100 TPE configurations and their test-split scores, one recorded entry."""
    import optuna
    import sklearn

    arguments = {
        "dataset": task.dataset,
        "model": task.model,
        "studies": official.POOL_STUDIES,
        "trials": official.POOL_TRIALS,
        "sampler_seed": official.POOL_SEED,
        "fit_seed": official.FIT_SEED,
        "optuna": optuna.__version__,
        "scikit-learn": sklearn.__version__,
    }
    if log_scaled != official.SURROGATE_POOL_LOG:  # the surrogate evaluation's pool keeps the key it was recorded by
        arguments["log_scaled"] = list(log_scaled)

    def compute() -> tuple[Any, dict[str, Any]]:
        frame = official.pool(task, task.space, lambda config: official.test_score(task, config), log_scaled)
        return frame.to_dict("records"), {"computed_on": environment()}

    rows = calls.call(POOL_FUNCTION, arguments, compute).result
    return pd.DataFrame(rows)


def recorded_prediction(
    name: str, space: Any, observed: pd.DataFrame, scores: np.ndarray, candidates: pd.DataFrame, calls: RecordedCalls
) -> tuple[np.ndarray, np.ndarray]:
    from llambo_replay.experiments.evaluations.smac_models import library_version, predict

    arguments = {
        "model": name,
        "observed": observed.to_dict("records"),
        "scores": [float(s) for s in scores],
        "candidates": candidates.to_dict("records"),
        "smac": library_version(),
    }

    def compute() -> tuple[Any, dict[str, Any]]:
        mean, std = predict(name, space, observed, scores, candidates)
        return {"mean": [float(v) for v in mean], "std": [float(v) for v in std]}, {"computed_on": environment()}

    result = calls.call(COMPARATOR_FUNCTION, arguments, compute).result
    return np.array(result["mean"], float), np.array(result["std"], float)


def run_surrogate_eval(
    spec: SurrogateEvalSpec,
    mode: RecordMode,
    out: Path,
    cassettes: Path,
    base_url: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    task = load_task(spec.dataset, spec.model)
    official.pool_estimator(task, {})  # refuses what the official code cannot run, before any work
    check_writable(out)  # and an output folder it cannot write
    store = CassetteStore(cassettes)
    calls = task_calls(store, spec.dataset, spec.model, mode)
    pool = recorded_pool(task, calls)
    configs, scores = pool[task.space.names], pool["score"]
    transport = make_transport(store, spec.namespace(), mode, base_url, timeout_s=timeout_s)
    engine = Engine(open_async_client(transport), spec.llm_model, max_concurrency=1)
    llm_protocol = get_answer_format(spec.protocol)
    candidates, truth = official.sample_configurations(
        configs, scores.copy(), official.CANDIDATES, official.CANDIDATE_SEED
    )
    rows = []
    cells = [(n, seed) for n in spec.n_observed for seed in spec.seeds]
    evaluate = _discriminative_rows if spec.sm == "discriminative" else _generative_rows
    try:
        for n, seed in progress_bar(cells, desc=f"surrogate-eval {spec.dataset}/{spec.model}", unit="set"):
            observed, seen = official.sample_configurations(configs, scores.copy(), n, seed)
            for name, metrics in evaluate(
                spec,
                task,
                engine,
                llm_protocol,
                calls,
                observed,
                seen.to_numpy(float),
                candidates,
                truth.to_numpy(float),
            ):
                rows.append({"n_observed": n, "seed": seed, "surrogate": name, **metrics})
    finally:
        engine.close()
    frame = pd.DataFrame(rows)
    files = {
        "surrogate_eval.csv": frame.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
        "surrogate_eval.md": summary(frame, spec),
    }
    keys = {transport.namespace: transport.used_keys(), calls.namespace: calls.used_keys()}
    return evaluation_table.write_outputs(out, MANIFEST, "surrogate-eval", spec, files, mode, keys, transport.namespace)


def _discriminative_rows(
    spec: SurrogateEvalSpec,
    task: Any,
    engine: Engine,
    llm_protocol: Any,
    calls: RecordedCalls,
    observed: pd.DataFrame,
    seen: np.ndarray,
    candidates: pd.DataFrame,
    truth: np.ndarray,
) -> list[tuple[str, dict[str, float]]]:
    """`evaluate_dis_sm.py`'s rows: each surrogate's posterior at the candidates, scored by `evaluate_posterior`."""
    predictions = {}
    rows = LLAMBO_ROWS if spec.prompts == "full" else {UNINFORMED_ROW: LLAMBO_ROWS["LLAMBO"]}
    for name, templates in rows.items():
        llm = DiscriminativeSurrogate(
            engine,
            task.space,
            task.context,
            llm_protocol,
            PROMPTS[spec.prompts],
            SurrogateSettings(n_templates=templates, n_gens=spec.n_gens),
            SAMPLER_POLICIES["official"].surrogate_min_samples,  # the official evaluation's surrogate class
        )
        mean, std, _, _ = llm.predict(observed, seen, candidates)
        predictions[name] = (mean, std)
    for name, kind in COMPARATORS.items() if spec.prompts == "full" else ():
        predictions[name] = recorded_prediction(kind, task.space, observed, seen, candidates, calls)
    with pinned_threads():
        return [
            (name, official.posterior_metrics(mean, std, truth, seen, task.lower_is_better))
            for name, (mean, std) in predictions.items()
        ]


def _generative_rows(
    spec: SurrogateEvalSpec,
    task: Any,
    engine: Engine,
    llm_protocol: Any,
    calls: RecordedCalls,
    observed: pd.DataFrame,
    seen: np.ndarray,
    candidates: pd.DataFrame,
    truth: np.ndarray,
) -> list[tuple[str, dict[str, float]]]:
    """`evaluate_gen_sm.py`'s rows: TPE's acquisition (recorded: Optuna's numerics) and LLAMBO's P(top)
    at the candidates, scored by `evaluate_score`."""
    g = official.GENERATIVE
    llm = GenerativeSurrogate(
        engine,
        task.space,
        task.context,
        settings=SurrogateSettings(n_templates=g["n_templates"], n_gens=g["n_gens"], top_pct=g["top_pct"]),
    )
    predicted = {
        name: recorded_tpe(multivariate, task, observed, seen, candidates, calls)
        for name, multivariate in TPE_ROWS.items()
    }
    predicted["LLAMBO (generative)"] = llm.select(observed, seen, candidates).scores
    return [(name, official.score_metrics(values, truth, task.lower_is_better)) for name, values in predicted.items()]


def recorded_tpe(
    multivariate: bool,
    task: Any,
    observed: pd.DataFrame,
    scores: np.ndarray,
    candidates: pd.DataFrame,
    calls: RecordedCalls,
) -> np.ndarray:
    import optuna

    arguments = {
        "multivariate": multivariate,
        "observed": observed.to_dict("records"),
        "scores": [float(s) for s in scores],
        "candidates": candidates.to_dict("records"),
        "lower_is_better": task.lower_is_better,
        "optuna": optuna.__version__,
    }

    def compute() -> tuple[Any, dict[str, Any]]:
        values = official.tpe_scores(task.space, observed, scores, candidates, multivariate, task.lower_is_better)
        return [float(v) for v in values], {"computed_on": environment()}

    return np.array(calls.call(TPE_FUNCTION, arguments, compute).result, float)


def caption(spec: SurrogateEvalSpec) -> str:
    samples = (
        f"{spec.n_gens} samples per template"
        if spec.sm == "discriminative"
        else f"{official.GENERATIVE['n_gens']} samples over {official.GENERATIVE['n_templates']} templates, "
        f"top {official.GENERATIVE['top_pct']:g} as 'good'"
    )
    what = {
        ("discriminative", "full"): "Surrogate models",
        ("generative", "full"): "Generative surrogate models",
        ("discriminative", "uninformed"): "The prompt ablation (ablate_sm.py)",
    }[(spec.sm, spec.prompts)]
    seeds = len(set(spec.seeds))
    return (
        f"{what} on {spec.dataset}/{spec.model}, the official evaluation (a pool of 5 x 100 TPE configurations "
        f"scored on the test split; 10 candidates); mean over {seeds} seed(s)"
        + (" ± standard error" if seeds > 1 else "")
        + f"; {spec.llm_model} ({spec.protocol} protocol), {samples}."
    )


def summary(frame: pd.DataFrame, spec: SurrogateEvalSpec) -> str:
    """Mean and standard error over seeds, per observed-set size and surrogate (the official table)."""
    return evaluation_table.markdown(
        frame, "surrogate", evaluation_table.metric_columns(frame, "surrogate"), caption(spec)
    )


def caption_of(manifest: dict[str, Any]) -> str:
    return caption(spec_from_manifest(manifest))


def name_of(manifest: dict[str, Any]) -> str:
    """An evaluation's file name in `tables --evaluations`."""
    s = spec_from_manifest(manifest)
    return "-".join(["surrogate", s.sm, *([s.prompts] if s.prompts != "full" else []), s.dataset, s.model])


def spec_from_manifest(manifest: dict[str, Any]) -> SurrogateEvalSpec:
    return evaluation_table.read_spec(SurrogateEvalSpec, manifest, "surrogate-eval")
