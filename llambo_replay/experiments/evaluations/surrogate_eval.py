"""The official surrogate evaluation (`exp_evaluate_sm/evaluate_dis_sm.py`), protocol by protocol.

The pool: five Optuna TPE studies (seeds 42–46) of 100 trials each, every configuration fitted on the
training split with `random_state=42` and scored on the test split. From it, `sample_configurations`
draws the observed set (by seed) and ten candidates (always seed 42), as the official code does: one
configuration per distinct score per round, duplicates dropped, until there are enough. Each
surrogate predicts the candidates; `posterior_metrics` scores the prediction as `evaluate_posterior`
does (NRMSE, R², log predictive density of the values under 100, 68 % coverage, MACE, sharpness, the
normalised regret of the EI pick).

Where the official code is random without a seed (the 68 % interval's z from a million unseeded
normal draws), this takes the value that draw estimates (`COVERAGE_Z`). No global RNG is seeded: the
official `np.random.seed(seed); np.random.shuffle(...)` is the same draw from a `RandomState(seed)`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from llambo_replay.bayesmark.tasks import Task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.runs.optuna_space import optuna_distributions
from llambo_replay.llambo.space import SearchSpace

POOL_STUDIES = 5
POOL_TRIALS = 100
POOL_SEED = 42  # the first study's sampler seed; study i uses 42 + i
FIT_SEED = 42  # the random_state every pool configuration is fitted with
CANDIDATES = 10
CANDIDATE_SEED = 42
COVERAGE = 0.68
COVERAGE_Z = float(norm.ppf(0.5 + COVERAGE / 2))  # what the official 1e6 unseeded draws estimate (~0.9945)
NLL_CUTOFF = 100.0  # values at or above are left out of the mean, as "explosive"
STD_FLOOR = 1e-12
MACE_BINS = 100  # uncertainty-toolbox's default


def pool_estimator(task: Task, config: dict[str, Any]) -> Any:
    """The task's estimator with the official evaluation's `random_state=42` (it overrides the
    benchmark's own 0); SVR takes no random_state, so the official code cannot evaluate it."""
    if "random_state" not in task.estimator_class().get_params():
        raise UsageError(
            f"the official surrogate evaluation cannot run {task.model} on a regression task: "
            f"{task.estimator_class.__name__} takes no random_state, which it passes"
        )
    return task.estimator(config, overrides={"random_state": FIT_SEED})


def test_score(task: Task, config: dict[str, Any]) -> float:
    """A pool configuration's score: fitted on the training split, scored on the test split (the
    scorer's sign: negative MSE for regression, as the official study sees it)."""
    from sklearn.metrics import get_scorer

    from llambo_replay.bayesmark.numerics import pinned_threads

    with warnings.catch_warnings(), pinned_threads():
        warnings.simplefilter("ignore")
        model = pool_estimator(task, config).fit(task.X, task.y)
        return float(get_scorer(task.metric)(model, task.X_test, task.y_test))


SURROGATE_POOL_LOG = ("log", "logit")  # evaluate_dis_sm.py suggests these transforms on a log scale
SAMPLER_POOL_LOG = ("log",)  # evaluate_sampling.py's copy of the pool suggests logit ones linearly


def pool(
    task: Task,
    space: SearchSpace,
    score: Callable[[dict[str, Any]], float],
    log_scaled: tuple[str, ...] = SURROGATE_POOL_LOG,
) -> pd.DataFrame:
    """The official pool: configurations in suggestion order, then `score`. For regression the official
    study *minimises* the negative MSE it is given (so it seeks poor configurations) and stores the MSE.
    The two official scripts suggest differently (`log_scaled`), so their pools differ."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = []
    for study_index in range(POOL_STUDIES):

        def objective(trial: Any) -> float:
            config = {}
            for p in space.params:
                log = p.transform in log_scaled
                suggest = trial.suggest_int if p.type == "int" else trial.suggest_float
                config[p.name] = suggest(
                    p.name,
                    p.low if p.type != "int" else int(p.low),
                    p.high if p.type != "int" else int(p.high),
                    log=log,
                )
            return score(config)

        direction = "minimize" if task.lower_is_better else "maximize"
        study = optuna.create_study(
            sampler=optuna.samplers.TPESampler(seed=POOL_SEED + study_index), direction=direction
        )
        study.optimize(objective, n_trials=POOL_TRIALS)
        for trial in study.trials:
            value = -trial.value if task.metric == "neg_mean_squared_error" else trial.value
            rows.append({**trial.params, "score": float(value)})
    return pd.DataFrame(rows)


def sample_configurations(
    configs: pd.DataFrame, scores: pd.Series, n: int, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """`n` configurations as the official `sample_n_configurations` draws them: each round takes one
    configuration per distinct score (pandas' `sample(1, random_state=seed + round)`, the distinct scores
    ranked by a `RandomState(seed)` shuffle), then drops configurations already taken."""
    unique = scores.unique()
    np.random.RandomState(seed).shuffle(unique)
    rank = {value: position for position, value in enumerate(unique)}
    ranks = scores.map(rank)
    taken_configs, taken_scores = pd.DataFrame(), pd.Series(dtype=float)
    round_ = 0
    while len(taken_configs) < n:
        before = len(taken_configs)
        picked = [
            group.sample(1, random_state=seed + round_).index[0]
            for _, group in scores.to_frame("score").assign(rank=ranks).groupby("rank")
        ]
        taken_configs = pd.concat([taken_configs, configs.iloc[picked]]).reset_index(drop=True)
        taken_scores = pd.concat([taken_scores, scores.iloc[picked]]).reset_index(drop=True)
        keep = ~taken_configs.duplicated()
        taken_configs, taken_scores = (
            taken_configs[keep].reset_index(drop=True),
            taken_scores[keep].reset_index(drop=True),
        )
        round_ += 1
        if round_ > 1 and len(taken_configs) == before and len(taken_configs) >= configs.drop_duplicates().shape[0]:
            raise UsageError(
                f"the pool holds {len(taken_configs)} distinct configurations; an observed set of {n} "
                "cannot be drawn from it"
            )
    return taken_configs.head(n), taken_scores.head(n)


def mean_absolute_calibration_error(mean: np.ndarray, std: np.ndarray, y: np.ndarray, bins: int = MACE_BINS) -> float:
    """uncertainty-toolbox's `mean_absolute_calibration_error` (its defaults: interval proportions at
    `bins` levels from 0 to 1): the mean gap between each central interval's nominal coverage and the
    share of standardised residuals inside it."""
    expected = np.linspace(0, 1, bins)
    residuals = ((mean - y) / std)[None, :]
    lower, upper = norm.ppf(0.5 - expected / 2)[:, None], norm.ppf(0.5 + expected / 2)[:, None]
    observed = np.mean((residuals >= lower) & (residuals <= upper), axis=1)
    return float(np.mean(np.abs(expected - observed)))


def posterior_metrics(
    mean: np.ndarray, std: np.ndarray, y: np.ndarray, observed: np.ndarray, lower_is_better: bool
) -> dict[str, float]:
    """The official `evaluate_posterior`, metric by metric."""
    mean, y, observed = (np.asarray(a, float).ravel() for a in (mean, y, observed))
    std = np.maximum(np.asarray(std, float).ravel(), STD_FLOOR)
    residual = y - mean
    span = abs(y.max() - y.min())
    nll = 0.5 * np.log(2 * np.pi * std**2) + 0.5 * (residual / std) ** 2
    kept = nll[nll < NLL_CUTOFF]
    best = observed.min() if lower_is_better else observed.max()
    delta = (best - mean) if lower_is_better else (mean - best)
    z = delta / std
    ei = delta * norm.cdf(z) + std * norm.pdf(z)
    pick = int(np.argmax(ei))
    regret = (y[pick] - y.min()) if lower_is_better else (y.max() - y[pick])
    union = abs(max(y.max(), observed.max()) - min(y.min(), observed.min()))
    total = float(((y - y.mean()) ** 2).sum())
    return {
        "nrmse": float(np.sqrt(np.mean(residual**2)) / span) if span else float("nan"),
        "r2": float(1 - (residual**2).sum() / total) if total else float("nan"),
        "nll": float(kept.mean()) if kept.size else float("nan"),
        "mace": mean_absolute_calibration_error(mean, std, y),
        "sharpness": float(np.sqrt(np.mean(std**2))),
        "coverage": float(np.mean(np.abs(residual) <= COVERAGE_Z * std)),
        "regret": float(regret / union) if union else 0.0,
    }


# -- the generative surrogate's evaluation (`exp_evaluate_sm/evaluate_gen_sm.py`) ---------------------
GENERATIVE = {"n_gens": 6, "top_pct": 0.2, "n_templates": 2}  # LLM_GEN_SM as that script builds it
TPE_TOP_PCT = 0.5  # the comparators' "good" fraction: gamma(n) = min(ceil(0.5 n), 25)
TPE_SEED = 69


def tpe_scores(
    space: SearchSpace,
    observed: pd.DataFrame,
    scores: np.ndarray,
    candidates: pd.DataFrame,
    multivariate: bool,
    lower_is_better: bool,
) -> np.ndarray:
    """Each candidate's TPE acquisition, log l(x) - log g(x), from Optuna's TPE told the observed set, as
    the official `fit_and_predict_with_TPE` sets it up (no startup trials, prior on, endpoints not
    considered, gamma min(ceil(0.5 n), 25), seed 69; an integer hyperparameter is never log-scaled there).
    The official code calls TPESampler methods public Optuna does not have (`evaluate_independent`,
    `_evaluate_relative`); this asks Optuna's own Parzen estimators: the joint one (multivariate) or one
    per hyperparameter, their log-ratios summed (independent)."""
    import math

    import optuna
    from optuna.samplers._tpe.sampler import _split_trials

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate is "experimental"
        sampler = optuna.samplers.TPESampler(
            multivariate=multivariate,
            consider_prior=True,
            consider_endpoints=False,
            n_startup_trials=0,
            n_ei_candidates=1,
            seed=TPE_SEED,
            gamma=lambda n: min(int(math.ceil(TPE_TOP_PCT * n)), 25),
        )
    distributions = optuna_distributions(space)
    study = optuna.create_study(direction="minimize" if lower_is_better else "maximize", sampler=sampler)
    for config, value in zip(observed[space.names].to_dict("records"), scores):
        study.add_trial(optuna.trial.create_trial(params=config, distributions=distributions, value=float(value)))
    trials = study.get_trials(deepcopy=False)
    below, above = _split_trials(study, trials, min(int(math.ceil(TPE_TOP_PCT * len(trials))), 25))
    samples = {
        name: np.array([dist.to_internal_repr(v) for v in candidates[name]], float)
        for name, dist in distributions.items()
    }
    groups = [distributions] if multivariate else [{name: dist} for name, dist in distributions.items()]
    total = np.zeros(len(candidates))
    for group in groups:
        low = sampler._build_parzen_estimator(study, group, below, handle_below=True)
        high = sampler._build_parzen_estimator(study, group, above, handle_below=False)
        total += sampler._compute_acquisition_func({k: samples[k] for k in group}, low, high)
    return total


def score_metrics(predicted: np.ndarray, y: np.ndarray, lower_is_better: bool) -> dict[str, float]:
    """The official `evaluate_score`: the correlation of the predicted scores with the candidates' (sign
    flipped for lower-is-better), and the regret of the highest-scored candidate, divided, as there, by
    |max - min |y||."""
    y = np.asarray(y, float).ravel()
    if lower_is_better:
        y = -y
    predicted = np.asarray(predicted, float).ravel()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corr = float(np.corrcoef(predicted, y)[0, 1])
    pick = int(np.argmax(predicted))
    regret = (y[pick] - y.min()) if lower_is_better else (y.max() - y[pick])
    scale = abs(y.max() - np.abs(y).min())
    return {"corr": corr, "regret": float(regret / scale) if scale else float("nan")}
