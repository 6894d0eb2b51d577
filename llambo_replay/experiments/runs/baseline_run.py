"""A baseline optimiser's run on one Bayesmark task, beside LLAMBO's: the same task, seed, initial points and
budget; its evaluations and (where numerics could move them) its proposals recorded; the same outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay import namespaces
from llambo_replay.bayesmark.evaluations import RecordedObjective
from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.bayesmark.numerics import environment, pinned_threads
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.experiments.results.manifests import store_field
from llambo_replay.experiments.runs.baselines.environments import environment as worker_environment
from llambo_replay.experiments.runs.baselines.worker_client import run_worker
from llambo_replay.experiments.runs.reproduction import RECORDED_PROPOSALS
from llambo_replay.experiments.runs.run_spec import RunSpec
from llambo_replay.experiments.runs.runner import (
    check_writable,
    evaluation_keys,
    history_csv,
    manifest_head,
    open_journal,
    versions,
    write_run,
)
from llambo_replay.llambo.loop import history_frame
from llambo_replay.replay import CassetteStore, RecordMode
from llambo_replay.replay.calls import RecordedCalls


def run_baseline(
    method: str,
    spec: RunSpec,
    out: Path,
    cassettes: Path,
    mode: RecordMode = RecordMode.REPLAY,
    memo: ObjectiveMemo | None = None,
    objective_mode: str = "recorded",
    initial_points_source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A baseline on the same task, seed, initial points and budget as `spec`; writes CSV + manifest.

    Its proposals and evaluations go through the cassettes like LLAMBO's answers: in replay mode one
    that is not recorded is a miss, never computed (a replay computes nothing it claims to replay).
    `initial_points_source` says where given initial points came from (`experiments.evaluations.warmstart_eval`); the
    manifest keeps it, with the cassette keys it names beside the run's own.
    """
    from llambo_replay.experiments.runs.baselines import baseline

    method_info = baseline(method)  # its optimiser is imported only when proposals must be computed
    task = load_task(spec.dataset, spec.model)
    rng = np.random.default_rng(spec.seed)
    s = spec.settings
    initial = spec.initial(task.space) or task.space.sample(rng, s.n_initial)  # as LLAMBO's run of this seed
    store = CassetteStore(cassettes)
    objective = RecordedObjective(task, store, mode, objective_mode, memo, protocol=spec.objective_protocol)
    paths = spec.outputs(out)
    check_writable(paths["history"].parent)

    env = worker_environment(method_info.environment) if method_info.environment else None
    proposals = namespaces.proposals(method, spec.dataset, spec.model, spec.seed)
    journal = open_journal(store, mode, paths["manifest"], [objective.namespace, proposals])
    about_worker: dict[str, Any] = {}

    def optimise_here() -> pd.DataFrame:
        if env is not None:
            ran = run_worker(
                env.python, method_info.target, task.space, objective, initial, s.n_trials, spec.seed,
                task.lower_is_better,
            )  # fmt: skip
            about_worker.update(environment=env.describe(), versions=ran.versions, seconds=ran.seconds)
            return history_frame(task.space, ran.configs, ran.results)
        with pinned_threads():
            return method_info.optimise()(task.space, objective, initial, s.n_trials, rng, task.lower_is_better)

    if method in RECORDED_PROPOSALS:
        computed: list[pd.DataFrame] = []

        def propose() -> tuple[list[dict[str, float]], dict[str, Any]]:
            computed.append(optimise_here())
            proposals = computed[0][task.space.names].to_dict("records")[len(initial) :]
            return proposals, {"computed_on": environment(), **about_worker}

        answer, proposal_keys = recorded_proposals(method, spec, initial, store, mode, propose)
        if computed:  # each configuration evaluated once, whichever way the proposals came
            history = computed[0]
        else:
            configs = [task.space.typed(c) for c in [*initial, *answer]]
            history = history_frame(task.space, configs, [objective(c) for c in configs])
        keys = {**evaluation_keys(objective), **proposal_keys}
    else:
        history = optimise_here()
        keys = evaluation_keys(objective)
    text = history_csv(history)
    source = dict(initial_points_source or {})
    for namespace, used in source.pop("cassettes", {}).items():
        keys[namespace] = {**keys.get(namespace, {}), **used}
    manifest = {
        **manifest_head(method, spec, task, text, objective, source or None),
        "budget": {"n_initial": s.n_initial, "n_trials": s.n_trials},
        "versions": versions(),
        "cassettes": keys,
        **store_field(cassettes),
    }
    if env is not None:  # which environment proposed: its lock hash is in the proposals' key too
        manifest["environment"] = env.describe()
    write_run(paths, text, manifest, store, journal)
    return manifest


def recorded_proposals(
    method: str, spec: RunSpec, initial: list[dict[str, float]], store: CassetteStore, mode: RecordMode, compute: Any
) -> tuple[list[dict[str, float]], dict[str, dict[str, int]]]:
    """A baseline optimiser's proposals after the initial points, from the cassettes (or computed by
    `compute` and recorded when `mode` records), and the cassette keys used. See
    `policies.RECORDED_PROPOSALS` for why they are recorded."""
    from llambo_replay.experiments.runs.baselines import library_version

    task = load_task(spec.dataset, spec.model)
    calls = RecordedCalls(
        store,
        namespaces.proposals(method, spec.dataset, spec.model, spec.seed),
        mode,
        miss_hint="record it with --mode auto (a baseline's proposals are recorded)",
    )
    arguments = {
        "method": method,
        "dataset": spec.dataset,
        "model": spec.model,
        "seed": spec.seed,
        "initial": [task.space.typed(c) for c in initial],
        "n_trials": spec.settings.n_trials,
        "library": library_version(method),
    }
    answer = calls.call(f"{method}/proposals", arguments, compute)
    return answer.result, {calls.namespace: calls.used_keys()}
