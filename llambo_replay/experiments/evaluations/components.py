"""The paper's component evaluations: LLAMBO's surrogate and candidate sampler, each alone.

Surrogate: for observed sets of size n, predict held-out configurations with the LLAMBO
discriminative surrogate, a GP and a random forest; score NRMSE, R², log predictive density,
68 % coverage, sharpness and the regret of the EI pick. Sampler: from the same observed sets,
propose candidates with LLAMBO, TPE and random search; score their average and best regret
(normalised with the paper's global_perf.json), generalised variance (as log10 of the covariance's
determinant, with the covariance's rank: a rank-deficient set has no meaningful variance) and
log-likelihood under a Gaussian KDE of the observed points. All randomness comes from one seeded
Generator. TPE's proposals come through the `propose_tpe` the caller gives (recorded by the driver:
Optuna's Parzen estimators round differently on another CPU, and a proposal decides what is evaluated).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde, norm

from llambo_replay.experiments.runs.optuna_space import optuna_distributions
from llambo_replay.llambo.answer_format import PaperFormat
from llambo_replay.llambo.engine import Engine
from llambo_replay.llambo.prompts import PromptSettings, TaskContext
from llambo_replay.llambo.sampler import CandidateSampler, SamplerSettings
from llambo_replay.llambo.space import SearchSpace
from llambo_replay.llambo.surrogate import DiscriminativeSurrogate, SurrogateSettings, expected_improvement

Objective = Callable[[dict[str, float]], Mapping[str, float]]
# (observed configurations, their scores, how many, lower is better, seed) -> proposals
ProposeTPE = Callable[[pd.DataFrame, np.ndarray, int, bool, int], pd.DataFrame]


def unit_cube(space: SearchSpace, frame: pd.DataFrame) -> np.ndarray:
    """Each hyperparameter on [0, 1] in its own scale (log10 for log ones), for GP, RF and KDE."""
    columns = []
    for p in space.params:
        values = frame[p.name].to_numpy(float)
        low, high = p.low, p.high
        if p.transform == "log":
            values, low, high = np.log10(values), np.log10(low), np.log10(high)
        columns.append((values - low) / ((high - low) or 1.0))
    return np.column_stack(columns)


def prediction_metrics(
    y: np.ndarray, mean: np.ndarray, std: np.ndarray, best_observed: float, lower_is_better: bool
) -> dict[str, float]:
    y, mean, std = (np.asarray(a, float) for a in (y, mean, std))
    span = float(y.max() - y.min()) or 1.0
    residual = y - mean
    total = float(((y - y.mean()) ** 2).sum()) or 1.0
    ei = expected_improvement(mean, std, best_observed, lower_is_better)
    best_test = y.min() if lower_is_better else y.max()
    return {
        "nrmse": float(np.sqrt(np.mean(residual**2)) / span),
        "r2": float(1.0 - (residual**2).sum() / total),
        "log_predictive_density": float(np.mean(norm.logpdf(y, mean, std))),
        "coverage_68": float(np.mean(np.abs(residual) <= std)),
        "sharpness": float(np.mean(std)),
        "ei_pick_regret": float(abs(best_test - y[int(np.argmax(ei))]) / span),
    }


def gp_predict(x: np.ndarray, y: np.ndarray, x_new: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel() * Matern(nu=2.5, length_scale=np.ones(x.shape[1])) + WhiteKernel(1e-3)
    model = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y)
        mean, std = model.predict(x_new, return_std=True)
    return mean, np.maximum(std, 1e-9)


def rf_predict(x: np.ndarray, y: np.ndarray, x_new: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=100, random_state=seed).fit(x, y)
    per_tree = np.stack([tree.predict(x_new) for tree in model.estimators_])
    return per_tree.mean(axis=0), np.maximum(per_tree.std(axis=0), 1e-9)


@dataclass
class ObservedSets:
    """A pool of evaluated random configurations: the first n are 'observed', the last n_test held out."""

    configs: pd.DataFrame
    results: pd.DataFrame

    @classmethod
    def draw(
        cls, space: SearchSpace, objective: Objective, largest: int, n_test: int, rng: np.random.Generator
    ) -> ObservedSets:
        configs = space.frame(space.sample(rng, largest + n_test))
        results = pd.DataFrame([dict(objective(space.typed(c))) for c in configs.to_dict("records")])
        return cls(configs, results)

    def observed(self, n: int) -> tuple[pd.DataFrame, np.ndarray]:
        return self.configs.iloc[:n].reset_index(drop=True), self.results["score"].to_numpy(float)[:n]

    def held_out(self, n_test: int) -> tuple[pd.DataFrame, np.ndarray]:
        return self.configs.iloc[-n_test:].reset_index(drop=True), self.results["score"].to_numpy(float)[-n_test:]


def evaluate_surrogates(
    space: SearchSpace,
    context: TaskContext,
    sets: ObservedSets,
    n_observed: list[int],
    n_test: int,
    engine: Engine,
    protocol: PaperFormat,
    settings: SurrogateSettings,
    seed: int,
) -> list[dict]:
    rows = []
    llm = DiscriminativeSurrogate(engine, space, context, protocol, PromptSettings(), settings)
    test, y_test = sets.held_out(n_test)
    for n in n_observed:
        observed, scores = sets.observed(n)
        best = float(scores.min() if context.lower_is_better else scores.max())
        mean, std, _, _ = llm.predict(observed, scores, test)
        x, x_new = unit_cube(space, observed), unit_cube(space, test)
        predictions = {
            "LLAMBO (discriminative)": (mean, std),
            "GP (Matern 5/2)": gp_predict(x, scores, x_new, seed),
            "Random forest": rf_predict(x, scores, x_new, seed),
        }
        for name, (m, s) in predictions.items():
            rows.append(
                {"n_observed": n, "surrogate": name, **prediction_metrics(y_test, m, s, best, context.lower_is_better)}
            )
    return rows


def tpe_proposals(
    space: SearchSpace, observed: pd.DataFrame, scores: np.ndarray, n: int, lower_is_better: bool, seed: int
) -> pd.DataFrame:
    """`n` asks of Optuna's univariate TPE told the observed set (computed: record it before it decides anything)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = optuna_distributions(space)
    study = optuna.create_study(
        direction="minimize" if lower_is_better else "maximize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=0),
    )
    for config, value in zip(observed.to_dict("records"), scores):
        study.add_trial(
            optuna.trial.create_trial(
                params={
                    k: (int(v) if isinstance(distributions[k], optuna.distributions.IntDistribution) else float(v))
                    for k, v in config.items()
                },
                distributions=distributions,
                value=float(value),
            )
        )
    proposals = []
    for _ in range(n):
        trial = study.ask(distributions)
        proposals.append(trial.params)
    return pd.DataFrame(proposals, columns=space.names)


def sampler_metrics(
    space: SearchSpace,
    observed: pd.DataFrame,
    proposals: pd.DataFrame,
    scores: np.ndarray,
    global_best: float,
    global_worst: float,
) -> dict[str, float]:
    span = abs(global_best - global_worst) or 1.0
    regret = np.abs(global_best - scores) / span
    points, reference = unit_cube(space, proposals), unit_cube(space, observed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loglik = float(np.mean(gaussian_kde(reference.T).logpdf(points.T)))
        except (np.linalg.LinAlgError, ValueError):
            loglik = float("nan")  # fewer observed points than dimensions: the KDE is singular
        rank, log_variance = generalised_variance(points)
    return {
        "average_regret": float(regret.mean()),
        "best_regret": float(regret.min()),
        "log10_generalised_variance": log_variance,
        "covariance_rank": rank,
        "log_likelihood": loglik,
        "n_proposals": len(proposals),
    }


def generalised_variance(points: np.ndarray) -> tuple[int, float]:
    """(rank of the covariance, log10 of its determinant). A determinant near zero is rounding noise
    of either sign (±1e-40 for coinciding proposals), so a rank-deficient covariance gets NaN."""
    if len(points) < 2:
        return 0, float("nan")
    cov = np.atleast_2d(np.cov(points.T))
    rank = int(np.linalg.matrix_rank(cov))
    sign, log_det = np.linalg.slogdet(cov)
    full = rank == cov.shape[0] and sign > 0
    return rank, float(log_det / np.log(10)) if full else float("nan")


def evaluate_samplers(
    space: SearchSpace,
    context: TaskContext,
    sets: ObservedSets,
    n_observed: list[int],
    objective: Objective,
    engine: Engine,
    protocol: PaperFormat,
    settings: SamplerSettings,
    global_perf: Mapping[str, float],
    rng: np.random.Generator,
    seed: int,
    propose_tpe: ProposeTPE,
) -> list[dict]:
    rows = []
    sampler = CandidateSampler(engine, space, context, protocol, PromptSettings(), settings)
    best, worst = (
        (global_perf["global_min"], global_perf["global_max"])
        if context.lower_is_better
        else (global_perf["global_max"], global_perf["global_min"])
    )
    for n in n_observed:
        observed, scores = sets.observed(n)
        proposal = sampler.propose(observed, scores, rng)
        methods = {
            "LLAMBO sampler": proposal.candidates,
            "TPE (Optuna)": propose_tpe(observed, scores, settings.n_candidates, context.lower_is_better, seed + n),
            "Random search": pd.DataFrame(space.sample(rng, settings.n_candidates), columns=space.names),
        }
        for name, proposals in methods.items():
            values = np.array([objective(space.typed(c))["score"] for c in proposals.to_dict("records")])
            rows.append(
                {"n_observed": n, "sampler": name, **sampler_metrics(space, observed, proposals, values, best, worst)}
            )
    return rows
