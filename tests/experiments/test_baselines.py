"""Every baseline that runs in process: from the shared initial points, seeded by the run's generator alone,
its proposals recorded, and its run replayed byte for byte without running the optimiser again (the
worker baselines: test_worker_baselines.py)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.objective import evaluate
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.check import check_run
from llambo_replay.experiments.runs.baseline_run import run_baseline
from llambo_replay.experiments.runs.baselines import REGISTRY, baseline, library_version
from llambo_replay.replay import RecordMode

IN_PROCESS = {name: b for name, b in REGISTRY.items() if b.environment is None}
INSTALLED = {
    name: importlib.util.find_spec(b.library.replace("scikit-optimize", "skopt")) is not None
    for name, b in IN_PROCESS.items()
}
NEEDS_EXTRA = {
    name: pytest.mark.skipif(not INSTALLED[name], reason=f"needs the [{b.extra}] extra")
    for name, b in IN_PROCESS.items()
}
METHODS = [pytest.param(name, marks=NEEDS_EXTRA[name]) for name in IN_PROCESS]


@pytest.mark.parametrize("method", METHODS)
def test_a_baseline_starts_from_the_shared_points_and_is_deterministic_for_a_seed(method):
    task = load_task("rosenbrock", "SVM")  # a synthetic task: every family runs the same way
    initial = reference.initial_points(None, "SVM", 1, 5)
    evaluated: list[dict] = []

    def objective(config: dict) -> dict:
        evaluated.append(dict(config))
        return evaluate(task, config)

    optimise = baseline(method).optimise()
    first = optimise(task.space, objective, initial, 3, np.random.default_rng(1), task.lower_is_better)
    again = optimise(
        task.space, lambda c: evaluate(task, c), initial, 3, np.random.default_rng(1), task.lower_is_better
    )
    assert len(first) == 8 and first.equals(again)
    assert first[task.space.names].head(5).to_dict("records") == [task.space.typed(c) for c in initial]
    assert len(evaluated) == 8, "each configuration is evaluated once"
    assert all(task.space.typed(c) == c for c in first[task.space.names].tail(3).to_dict("records"))


@pytest.mark.parametrize("method", METHODS)
def test_a_baseline_survives_evaluations_that_fail_with_nan(method):
    """Seen: scikit-optimize on diabetes/MLP_SGD, seed 4, where a diverged MLP scores NaN: its GP refused it."""
    task = load_task("rosenbrock", "SVM")
    initial = reference.initial_points(None, "SVM", 1, 5)
    calls = []

    def sometimes_nan(config: dict) -> dict:
        calls.append(config)
        result = evaluate(task, config)
        return {**result, "score": float("nan")} if len(calls) in (2, 7) else result

    history = baseline(method).optimise()(
        task.space, sometimes_nan, initial, 4, np.random.default_rng(1), task.lower_is_better
    )
    assert len(history) == 9 and history["score"].isna().sum() == 2, "the history keeps the real (failed) scores"


@pytest.mark.slow
@pytest.mark.parametrize(
    "method", [pytest.param(name, marks=NEEDS_EXTRA[name]) for name, b in IN_PROCESS.items() if b.recorded]
)
def test_a_recorded_baseline_replays_without_its_optimiser(method, tmp_path, monkeypatch, short_wine_spec):
    manifest = run_baseline(
        method, short_wine_spec, tmp_path / "results" / method, tmp_path / "cassettes", RecordMode.AUTO
    )
    assert any(ns.startswith(f"proposals/{method}/") for ns in manifest["cassettes"])
    assert manifest["task"]["objective_protocol"] == "bayesmark-paper-3"

    def no_optimiser(self):
        raise AssertionError("a replay must not run the optimiser")

    monkeypatch.setattr(type(baseline(method)), "optimise", no_optimiser)
    path = tmp_path / "results" / method / "wine/AdaBoost/0.manifest.json"
    checked = check_run(path, tmp_path / "cassettes", tmp_path / "scratch", None)
    assert (checked.status, checked.detail) == ("identical", "history byte-identical")


def test_an_optional_library_that_is_missing_is_named_with_its_extra(monkeypatch):
    import sys

    for name in [n for n in sys.modules if n == "smac" or n.startswith("smac.")] + ["smac"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed: importing it raises ImportError
    monkeypatch.delitem(sys.modules, "llambo_replay.experiments.runs.baselines.smac_rf", raising=False)
    with pytest.raises(UsageError, match=r"method 'smac' needs smac.*pip install -e '\.\[baselines\]'"):
        baseline("smac").optimise()


def test_a_missing_optional_library_keys_its_proposals_by_the_version_its_extra_pins(monkeypatch):
    import importlib.metadata as metadata

    real = metadata.version

    def missing(name):
        if name == "smac":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert library_version("smac") == "smac 1.4.0"


def test_a_worker_baselines_proposals_are_keyed_by_its_environments_lock():
    from llambo_replay.experiments.runs.baselines.environments import environment
    from llambo_replay.experiments.runs.baselines.worker_client import worker_source_hash

    lock = environment("botorch").lock_hash
    assert library_version("gp_botorch") == f"environment botorch {lock} worker {worker_source_hash('botorch_gp')}"
    assert len(lock) == 16 and lock != environment("tpe").lock_hash


def test_the_registry_names_the_papers_baselines_and_the_grid_offers_each():
    from llambo_replay.experiments.runs.grid import METHODS as GRID_METHODS

    paper = {b.paper for b in REGISTRY.values() if b.paper}
    assert {"bo_random", "bo_skopt", "bo_optuna", "bo_smac", "bo_gp"} <= paper
    assert set(GRID_METHODS) == {"llambo", *REGISTRY}
    assert len({b.label for b in REGISTRY.values()}) == len(REGISTRY), "labels tell methods apart"
