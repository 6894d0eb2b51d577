"""scikit-optimize's Gaussian process with expected improvement, two ways.

`gp_ei` drives `skopt.Optimizer` by ask/tell (this package's first GP baseline); `gp_minimize_ei` calls
`gp_minimize` as the official `exp_baselines/bo_models/bo_skopt.py` does (the initial points given as
`x0`/`y0`, `n_initial_points=0`, EI optimised by L-BFGS), seeded from the run's generator.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay.experiments.runs.baselines import Objective, finite_losses
from llambo_replay.llambo.loop import history_frame
from llambo_replay.llambo.space import SearchSpace


def _dimensions(space: SearchSpace) -> list[Any]:
    from skopt.space import Integer, Real

    return [
        Integer(int(p.low), int(p.high), name=p.name)
        if p.type == "int"
        else Real(p.low, p.high, prior="log-uniform" if p.transform == "log" else "uniform", name=p.name)
        for p in space.params
    ]


def _inside(dims: list[Any], config: dict) -> list:
    """The paper's initial points may stray outside the box; skopt refuses such points, so they are clipped."""
    return [min(max(config[d.name], d.low), d.high) for d in dims]


def gp_ei(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    from skopt import Optimizer

    dims = _dimensions(space)
    optimizer = Optimizer(
        dims, base_estimator="GP", acq_func="EI", n_initial_points=0, random_state=int(rng.integers(2**31 - 1))
    )
    configs = [space.typed(c) for c in initial]
    results = [objective(c) for c in configs]
    sign = 1.0 if lower_is_better else -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        told = finite_losses([sign * r["score"] for r in results])
        optimizer.tell([_inside(dims, c) for c in configs], told)
        for _ in range(n_trials):
            config = space.typed(dict(zip(space.names, optimizer.ask())))
            result = objective(config)
            told = finite_losses([*told, sign * result["score"]])
            optimizer.tell(_inside(dims, config), told[-1])
            configs.append(config)
            results.append(result)
    return history_frame(space, configs, results)


def gp_minimize_ei(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    from skopt import gp_minimize

    dims = _dimensions(space)
    configs = [space.typed(c) for c in initial]
    results = [objective(c) for c in configs]
    sign = 1.0 if lower_is_better else -1.0
    told = finite_losses([sign * r["score"] for r in results])

    def loss(point: list) -> float:
        config = space.typed(dict(zip(space.names, point)))
        result = objective(config)
        configs.append(config)
        results.append(result)
        told[:] = finite_losses([*told, sign * result["score"]])
        return told[-1]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n_trials:
            gp_minimize(
                loss,
                dims,
                x0=[_inside(dims, c) for c in configs],
                y0=list(told),
                n_calls=n_trials,
                n_initial_points=0,
                random_state=int(rng.integers(2**31 - 1)),
                acq_func="EI",
                acq_optimizer="lbfgs",
            )
    return history_frame(space, configs, results)
