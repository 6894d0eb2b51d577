"""Baselines on the same initial points and budget as LLAMBO: random search, GP-EI, TPE.

Each is deterministic for a seed and returns a history in the same shape as a LLAMBO run
(hyperparameters, score, generalization_score).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from llambo_replay.llambo.loop import history_frame
from llambo_replay.llambo.space import SearchSpace

Objective = Callable[[dict[str, float]], Mapping[str, float]]


def random_search(space: SearchSpace, objective: Objective, initial: list[dict], n_trials: int,
                  rng: np.random.Generator, lower_is_better: bool) -> pd.DataFrame:
    configs = [space.typed(c) for c in initial] + [space.typed(c) for c in space.sample(rng, n_trials)]
    return history_frame(space, configs, [objective(c) for c in configs])


def gp_ei(space: SearchSpace, objective: Objective, initial: list[dict], n_trials: int,
          rng: np.random.Generator, lower_is_better: bool) -> pd.DataFrame:
    """scikit-optimize's GP with expected improvement, told the shared initial points first."""
    from skopt import Optimizer
    from skopt.space import Integer, Real

    dims = [Integer(int(p.low), int(p.high), name=p.name) if p.type == "int" else
            Real(p.low, p.high, prior="log-uniform" if p.transform == "log" else "uniform", name=p.name)
            for p in space.params]
    optimizer = Optimizer(dims, base_estimator="GP", acq_func="EI", n_initial_points=0,
                          random_state=int(rng.integers(2**31 - 1)))
    configs = [space.typed(c) for c in initial]
    results = [objective(c) for c in configs]
    sign = 1.0 if lower_is_better else -1.0

    def point(c: dict) -> list:
        return [min(max(c[d.name], d.low), d.high) for d in dims]  # the paper's initial points may stray outside

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer.tell([point(c) for c in configs], [sign * r["score"] for r in results])
        for _ in range(n_trials):
            config = space.typed(dict(zip(space.names, optimizer.ask())))
            result = objective(config)
            optimizer.tell(point(config), sign * result["score"])
            configs.append(config)
            results.append(result)
    return history_frame(space, configs, results)


def tpe(space: SearchSpace, objective: Objective, initial: list[dict], n_trials: int,
        rng: np.random.Generator, lower_is_better: bool) -> pd.DataFrame:
    """Optuna's TPE, with the shared initial points enqueued as its first trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=int(rng.integers(2**31 - 1)), n_startup_trials=len(initial))
    study = optuna.create_study(direction="minimize" if lower_is_better else "maximize", sampler=sampler)
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


BASELINES: dict[str, Callable[..., pd.DataFrame]] = {"random": random_search, "gp_ei": gp_ei, "tpe": tpe}
LIBRARIES = {"random": "numpy", "gp_ei": "scikit-optimize", "tpe": "optuna"}


def library_version(method: str) -> str:
    """'<library> <version>' of the baseline's optimiser: part of a recorded proposal's key."""
    from importlib.metadata import version

    return f"{LIBRARIES[method]} {version(LIBRARIES[method])}"
