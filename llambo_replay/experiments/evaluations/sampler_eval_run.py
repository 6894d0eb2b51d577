"""Run the official sampler evaluation (`sampler_eval`) with every black box recorded.

Recorded, in the namespace the surrogate evaluation keeps for the task: the pool (the sampler script's
own, one entry), the proposals of TPE and random search (Optuna's numerics, one entry per set), the
candidates' test-split scores (one entry per set) and every LLM answer. The metrics are recomputed from
those, so `check` compares them within a tolerance where the numerical environment differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay import namespaces
from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.numerics import environment, pinned_threads
from llambo_replay.bayesmark.tasks import Task, load_task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.evaluations import evaluation_table, surrogate_eval
from llambo_replay.experiments.evaluations import sampler_eval as official
from llambo_replay.experiments.evaluations.surrogate_eval_run import recorded_pool, task_calls
from llambo_replay.experiments.results.kinds import KINDS
from llambo_replay.experiments.runs.run_spec import model_slug
from llambo_replay.experiments.runs.runner import check_writable
from llambo_replay.llambo import Engine
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.prompts import PromptSettings
from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES
from llambo_replay.llambo.sampler import CandidateSampler
from llambo_replay.progress import progress_bar
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.calls import RecordedCalls
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S

MANIFEST = KINDS["sampler-eval"].manifest_file
FLOAT = "%.4g"  # as the other evaluations: recomputed numbers, four significant digits
PROPOSALS_FUNCTION = "sampler-eval/proposals/1"
SCORES_FUNCTION = "sampler-eval/test-scores/1"
# The official rows, in its order: the recomputed samplers by their recorded name, then LLAMBO's.
OPTUNA_SAMPLERS = {"TPE (independent)": "tpe-independent", "TPE (multivariate)": "tpe-multivariate", "Random": "random"}
LLAMBO_ROW = "LLAMBO"


@dataclass(frozen=True)
class SamplerEvalSpec:
    dataset: str = "breast"
    model: str = "RandomForest"
    n_observed: tuple[int, ...] = (5, 10, 20, 30)
    seeds: tuple[int, ...] = (0,)
    llm_model: str = "gpt-3.5-turbo"
    protocol: str = "paper"
    sampler_policy: str = "official"

    def __post_init__(self) -> None:
        if self.sampler_policy not in SAMPLER_POLICIES:
            raise UsageError(
                f"unknown sampler policy {self.sampler_policy!r}; choose one of: {', '.join(SAMPLER_POLICIES)}"
            )

    def namespace(self) -> str:
        return namespaces.official_evaluation_llm(
            model_slug(self.llm_model), "sampler-eval", self.protocol, self.dataset, self.model
        )


def global_scores(task: Task) -> tuple[float, float]:
    """The paper's best and worst known score of the data set (`global_perf.json`), which normalise regret."""
    perf = reference.global_perf(None)
    if task.dataset not in perf:
        raise UsageError(
            f"the official sampler evaluation normalises regret by global_perf.json, which has no "
            f"{task.dataset!r} (it has {', '.join(sorted(perf))})"
        )
    low, high = perf[task.dataset]["global_min"], perf[task.dataset]["global_max"]
    return (low, high) if task.lower_is_better else (high, low)


def recorded_proposals(
    sampler: str, arguments: dict[str, Any], compute: Callable[[], list[dict[str, Any]]], calls: RecordedCalls
) -> list[dict[str, Any]]:
    import optuna

    answer = calls.call(
        PROPOSALS_FUNCTION,
        {"sampler": sampler, **arguments, "n": official.N_CANDIDATES, "optuna": optuna.__version__},
        lambda: (compute(), {"computed_on": environment()}),
    )
    return [dict(c) for c in answer.result]


def optuna_proposals(
    name: str, task: Task, observed: pd.DataFrame, seen: np.ndarray, seed: int, calls: RecordedCalls
) -> list[dict[str, Any]]:
    """TPE's (told the observed set) or random search's (by seed) 20 proposals, recorded."""
    if name == "random":
        return recorded_proposals(name, {"seed": seed}, lambda: official.random_proposals(task.space, seed), calls)
    multivariate = name == "tpe-multivariate"
    arguments = {
        "observed": observed.to_dict("records"),
        "scores": [float(s) for s in seen],
        "lower_is_better": task.lower_is_better,
    }
    return recorded_proposals(
        name,
        arguments,
        lambda: official.tpe_proposals(task.space, observed, seen, multivariate, task.lower_is_better),
        calls,
    )


def recorded_scores(task: Task, candidates: list[dict[str, Any]], calls: RecordedCalls) -> np.ndarray:
    """Each candidate fitted with random_state=42 and scored on the test split (MSE for regression)."""
    import sklearn

    sign = -1.0 if task.metric == "neg_mean_squared_error" else 1.0
    arguments = {
        "dataset": task.dataset,
        "model": task.model,
        "fit_seed": surrogate_eval.FIT_SEED,
        "candidates": candidates,
        "scikit-learn": sklearn.__version__,
    }

    def compute() -> tuple[Any, dict[str, Any]]:
        return ([sign * surrogate_eval.test_score(task, c) for c in candidates], {"computed_on": environment()})

    return np.array(calls.call(SCORES_FUNCTION, arguments, compute).result, float)


def run_sampler_eval(
    spec: SamplerEvalSpec,
    mode: RecordMode,
    out: Path,
    cassettes: Path,
    base_url: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    task = load_task(spec.dataset, spec.model)
    surrogate_eval.pool_estimator(task, {})  # refuses what the official code cannot run, before any work
    best, worst = global_scores(task)
    check_writable(out)
    store = CassetteStore(cassettes)
    calls = task_calls(store, spec.dataset, spec.model, mode)
    pool = recorded_pool(task, calls, surrogate_eval.SAMPLER_POOL_LOG)
    configs, scores = pool[task.space.names], pool["score"]
    transport = make_transport(store, spec.namespace(), mode, base_url, timeout_s=timeout_s)
    engine = Engine(open_async_client(transport), spec.llm_model, max_concurrency=1)
    llm = CandidateSampler(
        engine,
        task.space,
        task.context,
        get_answer_format(spec.protocol),
        PromptSettings(),
        official.llambo_settings(spec.sampler_policy),
    )
    rows, proposed = [], []
    cells = [(n, seed) for n in spec.n_observed for seed in spec.seeds]
    try:
        for n, seed in progress_bar(cells, desc=f"sampler-eval {spec.dataset}/{spec.model}", unit="set"):
            observed, seen = surrogate_eval.sample_configurations(configs, scores.copy(), n, seed)
            seen = seen.to_numpy(float)
            candidates = {
                name: optuna_proposals(kind, task, observed, seen, seed, calls)
                for name, kind in OPTUNA_SAMPLERS.items()
            }
            proposal = llm.propose(observed, seen, np.random.default_rng(seed))
            candidates[LLAMBO_ROW] = proposal.candidates.to_dict("records")
            for name, points in candidates.items():
                points = [official.as_evaluated(task.space, c) for c in points]
                values = recorded_scores(task, points, calls)
                with pinned_threads():
                    metrics = official.sampler_metrics(
                        task.space, points, values, observed, best, worst, task.lower_is_better
                    )
                rows.append({"n_observed": n, "seed": seed, "sampler": name, **metrics})
                proposed += [
                    {
                        "n_observed": n,
                        "seed": seed,
                        "sampler": name,
                        "candidate": i,
                        **{k: point[k] for k in task.space.names},
                        "score": value,
                    }
                    for i, (point, value) in enumerate(zip(points, values))
                ]
    finally:
        engine.close()
    frame = pd.DataFrame(rows)
    files = {
        "sampler_eval.csv": frame.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
        "sampler_eval.proposals.csv": pd.DataFrame(proposed).to_csv(index=False, lineterminator="\n"),
        "sampler_eval.md": summary(frame, spec),
    }
    keys = {transport.namespace: transport.used_keys(), calls.namespace: calls.used_keys()}
    return evaluation_table.write_outputs(out, MANIFEST, "sampler-eval", spec, files, mode, keys, transport.namespace)


def caption(spec: SamplerEvalSpec) -> str:
    s, seeds = official.LLAMBO_SAMPLER, len(set(spec.seeds))
    return (
        f"Candidate samplers on {spec.dataset}/{spec.model}, the official evaluation (observed sets drawn from a "
        f"pool of 5 x 100 TPE configurations; {official.N_CANDIDATES} candidates each, scored on the test "
        f"split; regret normalised by global_perf.json); mean over {seeds} seed(s)"
        + (" ± standard error" if seeds > 1 else "")
        + f"; LLAMBO: {spec.llm_model} ({spec.protocol} protocol), "
        f"{s['n_templates']} templates, alpha {s['alpha']:g}, {spec.sampler_policy} sampler policy."
    )


def summary(frame: pd.DataFrame, spec: SamplerEvalSpec) -> str:
    """Mean and standard error over seeds, per observed-set size and sampler (the official table)."""
    return evaluation_table.markdown(frame, "sampler", list(official.METRICS), caption(spec))


def caption_of(manifest: dict[str, Any]) -> str:
    return caption(spec_from_manifest(manifest))


def name_of(manifest: dict[str, Any]) -> str:
    """An evaluation's file name in `tables --evaluations`."""
    s = spec_from_manifest(manifest)
    return f"sampler-{s.dataset}-{s.model}"


def spec_from_manifest(manifest: dict[str, Any]) -> SamplerEvalSpec:
    return evaluation_table.read_spec(SamplerEvalSpec, manifest, "sampler-eval")
