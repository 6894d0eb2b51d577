"""SMAC 1.4 (`SMAC4HPO`: random-forest surrogate, EI, local and random search), as the official
`exp_baselines/bo_models/bo_smac.py` runs it: no initial design of its own, the shared initial points
as its initial configurations, a run-count limit of initial points + trials, seeded from the run's
generator; cost is the score, negated where higher is better. One difference: the official code gives
all but the last initial point as initial configurations and makes the last the space's default,
which SMAC 1.4 then does not always evaluate (seen: wine/AdaBoost seed 0 with 2 trials); here every
initial point is an initial configuration, so SMAC starts from the same points as every method. Needs
the `baselines` extra (`smac==1.4.0`, whose `pyrfr` compiles with the `swig` wheel)."""

from __future__ import annotations

import logging
import tempfile
import warnings

import ConfigSpace as CS  # the optional libraries load with this module, so that a missing one is named at once
import numpy as np
import pandas as pd
from smac.facade.smac_hpo_facade import SMAC4HPO
from smac.scenario.scenario import Scenario

from llambo_replay.experiments.runs.baselines import Objective
from llambo_replay.llambo.loop import history_frame
from llambo_replay.llambo.space import SearchSpace


def _config_space(space: SearchSpace, default: dict, seed: int) -> CS.ConfigurationSpace:
    cs = CS.ConfigurationSpace(seed=seed)
    for p in space.params:
        value = min(max(default[p.name], p.low), p.high)
        if p.type == "int":
            cs.add_hyperparameter(
                CS.UniformIntegerHyperparameter(p.name, int(p.low), int(p.high), default_value=int(value))
            )
        else:
            cs.add_hyperparameter(
                CS.UniformFloatHyperparameter(
                    p.name, p.low, p.high, log=p.transform == "log", default_value=float(value)
                )
            )
    return cs


def optimise(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    seed = int(rng.integers(2**31 - 1))
    start = [space.typed(c) for c in initial]
    cs = _config_space(space, start[-1], seed)
    inside = [{p.name: min(max(c[p.name], p.low), p.high) for p in space.params} for c in start]
    sign = 1.0 if lower_is_better else -1.0
    configs, results = [], []
    # SMAC asks for the points it is given clipped into the box and after a round trip through its unit cube
    # and its default value (rounded to 10 decimals), which move their last digits; the shared
    # initial points are evaluated as they are.
    given = list(zip(inside, start))

    def original(values: dict) -> dict:
        for i, (clipped, point) in enumerate(given):
            if all(np.isclose(values[name], clipped[name], rtol=1e-6, atol=1e-10) for name in clipped):
                del given[i]
                return point
        return space.typed(values)

    def cost(config: object) -> float:
        chosen = original(config.get_dictionary())
        result = objective(chosen)
        configs.append(chosen)
        results.append(result)
        return sign * result["score"]

    logging.getLogger("smac").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="llambo-replay-smac-") as scratch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario = Scenario(
            {
                "run_obj": "quality",
                "runcount-limit": len(start) + n_trials,
                "cs": cs,
                "deterministic": True,
                "output_dir": scratch,
            }
        )
        smac = SMAC4HPO(
            scenario=scenario,
            rng=np.random.RandomState(seed),
            tae_runner=cost,
            initial_configurations=[CS.Configuration(cs, values=c) for c in inside],
            initial_design=None,
        )
        smac.optimize()
    # SMAC runs its initial configurations in an order of its own; the history lists them first, in the shared
    # order, as every method's history does (then SMAC's own proposals, in the order it made them).
    first = [configs.index(c) for c in start if c in configs]
    order = first + [i for i in range(len(configs)) if i not in first]
    return history_frame(space, [configs[i] for i in order], [results[i] for i in order])
