"""The paper's HEBO baseline, as `exp_baselines/bo_models/bo_hebo.py` runs HEBO 0.3.5.

The space as its `extract_space` builds it from the ConfigSpace (hyperparameters in ConfigSpace's sorted
order): a log-scaled float is 'pow' with base 10, a float 'num', an integer 'int' (linear even where the
range is log-scaled, as there). `HEBO(space, rand_sample=0)`; the initial points and their losses are
observed at once before the first suggestion, then one suggestion at a time is observed with its loss.
HEBO draws from numpy's and torch's global generators, seeded once with the run's seed when the worker
starts (the official script seeded them once, with 0, for its whole process).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from hebo.design_space.design_space import DesignSpace
from hebo.optimizers.hebo import HEBO

DISTRIBUTIONS = ("HEBO", "numpy", "scipy", "torch", "gpytorch", "pandas", "pymoo", "GPy")


def design_space(space: list[dict[str, Any]]) -> DesignSpace:
    parameters = []
    for p in sorted(space, key=lambda p: p["name"]):  # ConfigSpace's order
        if p["type"] == "int":
            parameters.append({"name": p["name"], "type": "int", "lb": p["low"], "ub": p["high"]})
        elif p["log"]:
            parameters.append({"name": p["name"], "type": "pow", "lb": p["low"], "ub": p["high"], "base": 10})
        else:
            parameters.append({"name": p["name"], "type": "num", "lb": p["low"], "ub": p["high"]})
    return DesignSpace().parse(parameters)


class PaperHEBO:
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        np.random.seed(seed)
        torch.manual_seed(seed)
        self.names = sorted(p["name"] for p in space)
        self.integer = {p["name"] for p in space if p["type"] == "int"}
        self.hebo = HEBO(design_space(space), rand_sample=0)
        self.pending: list[tuple[dict[str, Any], float]] = []  # told but not yet observed

    def tell(self, config: dict[str, Any], loss: float) -> None:
        self.pending.append(({name: config[name] for name in self.names}, loss))

    def ask(self) -> dict[str, Any]:
        configs = pd.DataFrame([config for config, _ in self.pending], columns=self.names)
        self.hebo.observe(configs, np.asarray([loss for _, loss in self.pending]).reshape(-1, 1))
        self.pending = []
        suggestion = self.hebo.suggest(n_suggestions=1)
        return {
            name: int(suggestion[name].iloc[0]) if name in self.integer else float(suggestion[name].iloc[0])
            for name in self.names
        }


FACTORY = PaperHEBO
