"""The official surrogate evaluation (issue 27, item 7): its sampling, metrics and refusals, and its replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli as cli

from llambo_replay.experiments.evaluations import surrogate_eval as se

REPO = Path(__file__).resolve().parents[2]


def official_sampling(configs: pd.DataFrame, scores: pd.DataFrame, n: int, seed: int):
    """The steps of the official `sample_n_configurations`, written as it writes them (global RNG
    excepted: `np.random.seed(seed); np.random.shuffle(x)` is the same draw as `RandomState(seed).shuffle(x)`)."""
    scores = scores.copy()
    unique = scores["score"].unique()
    np.random.RandomState(seed).shuffle(unique)
    scores["score_rank"] = scores["score"].apply(lambda x: np.where(unique == x)[0][0])
    taken_c, taken_s, round_ = pd.DataFrame(), pd.DataFrame(), 0
    while len(taken_c) < n:
        index = (
            scores.groupby("score_rank")
            .apply(lambda x, state=seed + round_: x.sample(1, random_state=state))
            .index.get_level_values(1)
        )
        taken_c = pd.concat([taken_c, configs.iloc[index]], axis=0).reset_index(drop=True)
        taken_s = pd.concat([taken_s, scores[["score"]].iloc[index]], axis=0).reset_index(drop=True)
        duplicates = taken_c[taken_c.duplicated()].index
        taken_c = taken_c.drop(duplicates).reset_index(drop=True)
        taken_s = taken_s.drop(duplicates).reset_index(drop=True)
        round_ += 1
    return taken_c.head(n), taken_s.head(n)


@pytest.mark.filterwarnings("ignore:DataFrameGroupBy.apply operated on the grouping columns")  # the official idiom
@pytest.mark.parametrize("n, seed", [(5, 0), (10, 3), (30, 42), (45, 1)])
def test_sampling_draws_what_the_official_code_draws(n, seed):
    rng = np.random.default_rng(7)
    configs = pd.DataFrame({"a": rng.integers(0, 4, 120), "b": rng.integers(0, 20, 120).astype(float)})
    scores = pd.DataFrame({"score": rng.choice([0.5, 0.7, 0.9, 0.91, 0.95, 0.99], 120)})  # many ties, as accuracies
    ours_c, ours_s = se.sample_configurations(configs, scores["score"], n, seed)
    theirs_c, theirs_s = official_sampling(configs, scores, n, seed)
    pd.testing.assert_frame_equal(ours_c, theirs_c)
    assert ours_s.tolist() == theirs_s["score"].tolist()
    assert not ours_c.duplicated().any()


def test_an_observed_set_larger_than_the_pool_is_refused_not_looped_on():
    from llambo_replay.errors import UsageError

    configs = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3]})
    with pytest.raises(UsageError, match="the pool holds 3 distinct configurations"):
        se.sample_configurations(configs, pd.Series([0.1, 0.2, 0.3, 0.1, 0.2, 0.3]), 5, 0)


def test_mace_is_uncertainty_toolboxs():
    y = np.array([0.1, 0.5, 0.9])
    # A prediction equal to the truth lies inside every central interval, the zero-width one included.
    assert se.mean_absolute_calibration_error(y, np.ones(3), y) == pytest.approx(0.5)
    # Far outside every finite interval: observed coverage 0 at each of the 100 levels but the last (the
    # whole line), so the mean gap is the mean of i/99 over i = 0..98, over 100 levels: 0.49.
    assert se.mean_absolute_calibration_error(y + 100, np.full(3, 1e-3), y) == pytest.approx(0.49)


def test_posterior_metrics_follow_evaluate_posterior():
    y = np.array([0.90, 0.95, 0.80, 0.85])
    mean = np.array([0.91, 0.93, 0.82, 0.80])
    std = np.array([0.02, 0.0, 0.05, 0.01])  # a zero std is floored at 1e-12: its NLL explodes and is left out
    observed = np.array([0.70, 0.88])
    m = se.posterior_metrics(mean, std, y, observed, lower_is_better=False)
    floored = np.maximum(std, 1e-12)
    nll = 0.5 * np.log(2 * np.pi * floored**2) + 0.5 * ((y - mean) / floored) ** 2
    assert m["nll"] == pytest.approx(np.mean(nll[[0, 2, 3]]))
    assert m["nrmse"] == pytest.approx(np.sqrt(np.mean((y - mean) ** 2)) / 0.15)
    assert m["sharpness"] == pytest.approx(np.sqrt(np.mean(np.maximum(std, 1e-12) ** 2)))
    # EI picks the candidate predicted 0.93 with no uncertainty (best observed 0.88); its truth is the best,
    # so no regret; the regret is normalised by the range over the candidates and the observed set together.
    assert m["regret"] == 0.0
    worse = se.posterior_metrics(np.array([0.99, 0.5, 0.5, 0.5]), np.full(4, 0.01), y, observed, False)
    assert worse["regret"] == pytest.approx((0.95 - 0.90) / (0.95 - 0.70))
    assert se.COVERAGE_Z == pytest.approx(0.9945, abs=1e-4)


def test_the_official_refusal_of_svr_is_one_line():
    result = cli("surrogate-eval", "--task", "diabetes/SVM", "--out", "/nonexistent/never-made", cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the official surrogate evaluation cannot run SVM on a regression task: SVR takes no random_state, "
        "which it passes"
    ]


@pytest.mark.slow
def test_the_committed_evaluation_replays_offline(tmp_path):
    committed = REPO / "results/surrogate-eval/discriminative"
    manifest = json.loads((committed / "surrogate_eval.manifest.json").read_text())
    assert manifest["replay_command"] == "llambo-replay surrogate-eval"
    result = cli("surrogate-eval", "--out", str(tmp_path), "--base-url", "http://127.0.0.1:9/v1", cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "surrogate_eval.csv")
    assert set(table["surrogate"]) == {"LLAMBO", "LLAMBO (vanilla, 1 template)", "GP (SMAC)", "RF (SMAC)"}
    assert set(table["n_observed"]) == {5, 10}
    assert {"nrmse", "r2", "nll", "mace", "sharpness", "coverage", "regret"} <= set(table.columns)
    committed_table = pd.read_csv(committed / "surrogate_eval.csv")
    pd.testing.assert_frame_equal(table, committed_table, rtol=2e-3, atol=0)  # relative, as check judges drift


@pytest.mark.parametrize("folder", ["discriminative", "generative", "ablation"])
def test_the_docs_show_the_committed_tables(folder):
    table = (REPO / "results/surrogate-eval" / folder / "surrogate_eval.md").read_text().split("\n\n", 1)[1].strip()
    assert table in (REPO / "docs/evaluations.md").read_text()


def test_score_metrics_follow_evaluate_score():
    y = np.array([0.9, 0.95, 0.8])
    m = se.score_metrics(np.array([0.2, 0.1, 0.7]), y, lower_is_better=False)
    assert m["corr"] == pytest.approx(np.corrcoef([0.2, 0.1, 0.7], y)[0, 1])
    assert m["regret"] == pytest.approx((0.95 - 0.8) / abs(0.95 - 0.8))
    # lower is better: the scores are negated first, and the official normaliser is |max - min |y|| of them
    mse = np.array([2.0, 1.0, 3.0])
    m = se.score_metrics(np.array([0.0, 1.0, 0.0]), mse, lower_is_better=True)
    assert m["corr"] == pytest.approx(np.corrcoef([0.0, 1.0, 0.0], -mse)[0, 1])
    assert m["regret"] == pytest.approx((-1.0 - -3.0) / abs(-1.0 - 1.0))


def test_tpe_scores_rank_candidates_like_the_good_observations():
    """TPE's log l/g is highest where the good observations are: a check on how Optuna's estimators are asked."""
    from llambo_replay.llambo.space import SearchSpace

    space = SearchSpace.from_spec({"x": ["float", "linear", [0.0, 1.0]], "y": ["float", "linear", [0.0, 1.0]]})
    rng = np.random.default_rng(0)
    observed = pd.DataFrame({"x": rng.uniform(0, 1, 30), "y": rng.uniform(0, 1, 30)})
    scores = -((observed["x"] - 0.2) ** 2 + (observed["y"] - 0.8) ** 2).to_numpy()  # best near (0.2, 0.8)
    candidates = pd.DataFrame({"x": [0.2, 0.9], "y": [0.8, 0.1]})
    for multivariate in (False, True):
        values = se.tpe_scores(space, observed, scores, candidates, multivariate, lower_is_better=False)
        assert values[0] > values[1]
