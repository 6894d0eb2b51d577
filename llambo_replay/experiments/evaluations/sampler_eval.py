"""The official evaluation of the candidate sampler (`exp_evaluate_sampling/evaluate_sampling.py`).

From the pool (as `surrogate_eval.pool`, but with the sampler script's own suggestion scales) an observed
set is drawn by seed; independent TPE, multivariate TPE, random search and LLAMBO's sampler each propose
20 candidates; every candidate is fitted (`random_state=42`) and scored on the test split, and
`sampler_metrics` scores each set as the official `evaluate_proposals` does: average and best regret,
normalised by the paper's global best and worst scores, the candidates' score spread, their Mahalanobis
distance from the observed set, their generalised variance and their log-likelihood under a KDE of it.

The official helpers are followed where they are odd, since the published numbers come from them: an
integer hyperparameter is never log-scaled there (`transform == ['log']` compares a string with a list),
integer values are truncated (`int(value)`) before fitting, and a candidate matrix takes its column
order from the candidates' own keys.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.experiments.runs.optuna_space import optuna_distributions
from llambo_replay.llambo.sampler import SamplerSettings
from llambo_replay.llambo.space import SearchSpace

N_CANDIDATES = 20
TPE_SEED = 42
TPE_TOP_PCT = 0.3  # the official custom_gamma: min(ceil(0.3 n), 25)
RANDOM_SEED = 42  # the random sampler of seed s uses 42 + s
KDE_BANDWIDTH = "scott"
GEN_VAR_JITTER = 1e-12
# LLAMBO's sampler as the script builds it: LLM_ACQ(n_candidates=20, n_templates=5), asked at alpha -0.2.
LLAMBO_SAMPLER = {"n_candidates": N_CANDIDATES, "n_templates": 5, "alpha": -0.2}
METRICS = ("av_regret", "best_regret", "score_spread", "ml_dist", "gen_var", "ll")


def llambo_settings(policy: str) -> SamplerSettings:
    return SamplerSettings(**LLAMBO_SAMPLER, policy=policy)  # type: ignore[arg-type]


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def tpe_proposals(
    space: SearchSpace,
    observed: pd.DataFrame,
    scores: np.ndarray,
    multivariate: bool,
    lower_is_better: bool,
    n: int = N_CANDIDATES,
) -> list[dict[str, Any]]:
    """`n` asks of a TPE told the observed set (no startup trials, endpoints considered, one EI candidate,
    gamma min(ceil(0.3 n), 25), seed 42); the asked trials are never told, so each ask sees the same set."""
    import optuna

    _quiet_optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate is "experimental"
        sampler = optuna.samplers.TPESampler(
            multivariate=multivariate,
            consider_endpoints=True,
            n_startup_trials=0,
            gamma=lambda k: min(int(math.ceil(TPE_TOP_PCT * k)), 25),
            n_ei_candidates=1,
            seed=TPE_SEED,
        )
        distributions = optuna_distributions(space)
        study = optuna.create_study(direction="minimize" if lower_is_better else "maximize", sampler=sampler)
        for i in range(len(observed)):
            study.add_trial(
                optuna.trial.create_trial(
                    params=observed[space.names].iloc[i].to_dict(), distributions=distributions, value=float(scores[i])
                )
            )
        return [dict(study.ask(distributions).params) for _ in range(n)]


def random_proposals(space: SearchSpace, seed: int, n: int = N_CANDIDATES) -> list[dict[str, Any]]:
    """`n` asks of Optuna's random sampler, seeded 42 + `seed`."""
    import optuna

    _quiet_optuna()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=RANDOM_SEED + seed))
    distributions = optuna_distributions(space)
    return [dict(study.ask(distributions).params) for _ in range(n)]


def as_evaluated(space: SearchSpace, candidate: dict[str, Any]) -> dict[str, Any]:
    """A candidate as `evaluate_proposals` fits it, and then measures it: integers truncated by `int()`."""
    ints = {p.name for p in space.params if p.type == "int"}
    return {name: int(value) if name in ints else value for name, value in candidate.items()}


def _unit_scaled(space: SearchSpace, matrix: np.ndarray) -> np.ndarray:
    low = np.array([p.low for p in space.params], float)
    high = np.array([p.high for p in space.params], float)
    return (matrix - low) / (high - low)


def _candidate_matrix(candidates: list[dict[str, Any]]) -> np.ndarray:
    """As `pd.DataFrame(candidates).to_numpy()`: columns in the order the keys first appear."""
    return pd.DataFrame(candidates).to_numpy(float)


def mahalanobis_distance(space: SearchSpace, candidates: list[dict[str, Any]], observed: np.ndarray) -> float:
    """The mean Mahalanobis distance of the candidates from the observed set, both min-max scaled by the
    search space's bounds (`calculate_mahalanobis_dist`; a pseudo-inverse when the covariance is singular)."""
    seen, proposed = _unit_scaled(space, observed), _unit_scaled(space, _candidate_matrix(candidates))
    cov = np.cov(seen, rowvar=False)
    inverse = np.linalg.pinv(cov) if np.linalg.matrix_rank(cov) < cov.shape[0] else np.linalg.inv(cov)
    diff = proposed - seen.mean(axis=0)
    return float(np.mean([np.sqrt(d @ inverse @ d) for d in diff]))


def generalised_variance(candidates: list[dict[str, Any]], observed: np.ndarray) -> float:
    """The determinant of the covariance of the distinct candidates, standardised by the observed set's
    mean and standard deviation (`calculate_gen_var`)."""
    proposed = (_candidate_matrix(candidates) - observed.mean(axis=0)) / observed.std(axis=0)
    cov = np.cov(np.unique(proposed, axis=0), rowvar=False)
    return float(np.linalg.det(cov + GEN_VAR_JITTER * np.eye(cov.shape[0])))


def log_likelihood(candidates: list[dict[str, Any]], observed: np.ndarray) -> float:
    """The candidates' mean log density under a Gaussian KDE (Scott's bandwidth) of the observed set, both
    standardised by the observed set (`calculate_loglikelihood`)."""
    from sklearn.neighbors import KernelDensity

    mean, std = observed.mean(axis=0), observed.std(axis=0)
    kde = KernelDensity(kernel="gaussian", bandwidth=KDE_BANDWIDTH).fit((observed - mean) / std)
    return float(kde.score_samples((_candidate_matrix(candidates) - mean) / std).mean())


def sampler_metrics(
    space: SearchSpace,
    candidates: list[dict[str, Any]],
    scores: np.ndarray,
    observed: pd.DataFrame,
    global_best: float,
    global_worst: float,
    lower_is_better: bool,
) -> dict[str, float]:
    """The official `evaluate_proposals`, metric by metric, for candidates `as_evaluated` and their
    test-split scores (MSE for regression)."""
    if list(observed.columns) != space.names:
        raise UsageError("the observed set's columns must be the search space's, in its order")
    scores = np.asarray(scores, float)
    span = abs(global_worst - global_best)
    gaps = (scores - global_best) if lower_is_better else (global_best - scores)
    best_gap = max((scores.min() - global_best) if lower_is_better else (global_best - scores.max()), 0.0)
    seen = observed.to_numpy(float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "av_regret": float(np.mean(gaps) / span),
            "best_regret": float(best_gap / span),
            "score_spread": float(np.std(scores)),
            "ml_dist": mahalanobis_distance(space, candidates, seen),
            "gen_var": generalised_variance(candidates, seen),
            "ll": log_likelihood(candidates, seen),
        }
