"""The component evaluations, recorded against the loopback server and replayed offline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from llm_responder import llambo_responder

from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.experiments.evaluations import components
from llambo_replay.experiments.evaluations.component_run import ComponentSpec, run_components
from llambo_replay.llambo.space import SearchSpace
from llambo_replay.replay import RecordMode
from llambo_replay.replay.loopback import LoopbackServer


def test_prediction_metrics_on_a_known_case():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    perfect = components.prediction_metrics(y, y, np.full(4, 0.5), best_observed=0.0, lower_is_better=False)
    assert perfect["nrmse"] == 0.0 and perfect["r2"] == 1.0 and perfect["coverage_68"] == 1.0
    assert perfect["ei_pick_regret"] == 0.0 and perfect["sharpness"] == 0.5
    off = components.prediction_metrics(y, y + 1.0, np.full(4, 0.5), best_observed=0.0, lower_is_better=False)
    assert off["nrmse"] == pytest.approx(1 / 3) and off["coverage_68"] == 0.0


def test_sampler_metrics_normalise_with_global_performance():
    space = SearchSpace.from_spec({"a": ["float", "linear", [0, 1]], "b": ["float", "log", [1e-3, 1]]})
    rng = np.random.default_rng(0)
    observed = pd.DataFrame(space.sample(rng, 12))
    proposals = pd.DataFrame(space.sample(rng, 5))
    m = components.sampler_metrics(space, observed, proposals, np.array([0.9, 0.8, 1.0, 0.5, 0.7]), 1.0, 0.5)
    assert m["best_regret"] == 0.0 and m["average_regret"] == pytest.approx(0.44)  # (0.2 + 0.4 + 0 + 1 + 0.6) / 5
    assert (
        m["covariance_rank"] == 2 and np.isfinite(m["log10_generalised_variance"]) and np.isfinite(m["log_likelihood"])
    )


@pytest.mark.slow
def test_components_record_then_replay_identically(tmp_path, reference_dir):
    spec = ComponentSpec(
        datasets=("wine",),
        seeds=(0,),
        n_observed=(5, 8),
        n_test=4,
        llm_model="loopback",
        protocol="paper",
        n_gens=2,
        n_candidates=4,
    )
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        # through the objective memo, as the CLI runs it
        recorded = run_components(
            spec,
            RecordMode.RECORD,
            tmp_path / "a",
            tmp_path / "c",
            server.base_url,
            reference_dir,
            ObjectiveMemo(tmp_path / "memo"),
        )
    replayed = run_components(
        spec, RecordMode.REPLAY, tmp_path / "b", tmp_path / "c", "http://replay.invalid/v1", reference_dir, None
    )
    assert recorded["outputs"] == replayed["outputs"]
    surrogate = pd.read_csv(tmp_path / "b/surrogate.csv")
    assert set(surrogate["surrogate"]) == {"LLAMBO (discriminative)", "GP (Matern 5/2)", "Random forest"}
    assert list(surrogate["n_observed"].unique()) == [5, 8]
    sampler = pd.read_csv(tmp_path / "b/sampler.csv")
    assert set(sampler["sampler"]) == {"LLAMBO sampler", "TPE (Optuna)", "Random search"}
    assert (sampler["best_regret"] <= sampler["average_regret"]).all()
    assert "| n_observed | surrogate |" in (tmp_path / "b/surrogate.md").read_text()
