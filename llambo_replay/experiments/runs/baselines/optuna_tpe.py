"""Optuna's TPE, two ways, both told the shared initial points first.

`univariate` is Optuna's default TPE with the initial points enqueued (this package's first TPE
baseline; not the paper's `tpe_single`). `multivariate` is the official
`exp_baselines/bo_models/bo_optuna.py`: `TPESampler(multivariate=True, n_ei_candidates=20,
n_startup_trials=n_init)`, the initial points added as finished trials with their scores.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from llambo_replay.experiments.runs.baselines import Objective
from llambo_replay.experiments.runs.optuna_space import optuna_distributions
from llambo_replay.llambo.loop import history_frame
from llambo_replay.llambo.space import SearchSpace


def _study(sampler: object, lower_is_better: bool) -> object:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize" if lower_is_better else "maximize", sampler=sampler)


def univariate(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    import optuna

    sampler = optuna.samplers.TPESampler(seed=int(rng.integers(2**31 - 1)), n_startup_trials=len(initial))
    study = _study(sampler, lower_is_better)
    for config in initial:
        study.enqueue_trial(space.typed(config), skip_if_exists=False)
    configs, results = [], []
    for _ in range(len(initial) + n_trials):
        trial = study.ask()
        config = {}
        for p in space.params:
            low, high = p.low, p.high
            if trial.number < len(initial):  # enqueued values may lie outside the box; widen it for them
                value = float(initial[trial.number][p.name])
                low, high = min(low, value), max(high, value)
            if p.type == "int":
                config[p.name] = trial.suggest_int(p.name, int(low), int(high))
            else:
                config[p.name] = trial.suggest_float(p.name, low, high, log=p.transform == "log" and low > 0)
        result = objective(space.typed(config))
        study.tell(trial, result["score"])
        configs.append(space.typed(config))
        results.append(result)
    return history_frame(space, configs, results)


def _told_trial(params: dict, distributions: dict, score: float) -> object:
    """A finished trial; a failed evaluation (NaN, inf) is a failed trial, as `study.tell` makes it."""
    import optuna

    if math.isfinite(score):
        return optuna.trial.create_trial(params=params, distributions=distributions, value=score)
    return optuna.trial.create_trial(params=params, distributions=distributions, state=optuna.trial.TrialState.FAIL)


def multivariate(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    import optuna

    distributions = optuna_distributions(space)
    sampler = optuna.samplers.TPESampler(
        multivariate=True, seed=int(rng.integers(2**31 - 1)), n_startup_trials=len(initial), n_ei_candidates=20
    )
    study = _study(sampler, lower_is_better)
    configs = [space.typed(c) for c in initial]
    results = [objective(c) for c in configs]

    def inside(config: dict) -> dict:  # a told trial must lie in its distributions: stray points are clipped
        return {name: min(max(config[name], d.low), d.high) for name, d in distributions.items()}

    study.add_trials([_told_trial(inside(c), distributions, r["score"]) for c, r in zip(configs, results)])
    for _ in range(n_trials):
        trial = study.ask(distributions)
        config = space.typed(trial.params)
        result = objective(config)
        study.tell(trial, result["score"])
        configs.append(config)
        results.append(result)
    return history_frame(space, configs, results)
