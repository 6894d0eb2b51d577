"""SMAC's surrogate models as the official surrogate evaluation fits them (`evaluate_sm_utils.py`).

The official code calls SMAC 2's `GaussianProcess` and `RandomForest`; this package pins SMAC 1.4 (the
SMAC of the official baselines), whose `smac.epm` models are the same ones under their older names:
a GP with a constant x Matern-5/2 kernel (length scale 1) on standardised inputs, without y
normalisation, `20 * (n // 10)` optimiser restarts above ten points (else SMAC 2's default, 10); a
random forest of 10 trees (SMAC 2's defaults: `min_samples_split=2`, `min_samples_leaf=1`; 1 and 1 below
five points, as the official code asks) on raw inputs, its variance's square root as the std. Both
seeded 0. SMAC is the optional `baselines` extra; the evaluation records what these predict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.llambo.space import SearchSpace

LIBRARY = "smac"


def library_version() -> str:
    """SMAC's version, part of a recorded prediction's key; the extra's pin where SMAC is not installed
    (a replay reads recorded predictions and needs no SMAC)."""
    from llambo_replay.experiments.runs.baselines import library_version as baseline_library

    return baseline_library("smac")


def _config_space(space: SearchSpace) -> Any:
    import ConfigSpace as CS

    cs = CS.ConfigurationSpace(seed=42)
    for p in space.params:
        kind = CS.UniformIntegerHyperparameter if p.type == "int" else CS.UniformFloatHyperparameter
        low, high = (int(p.low), int(p.high)) if p.type == "int" else (p.low, p.high)
        cs.add_hyperparameter(kind(p.name, low, high, log=p.transform == "log"))
    return cs


def _gp_class(base: type) -> type:
    """SMAC 1.4's GP, but that the scikit-learn regressor it wraps is told 0 optimiser restarts instead of
    -1: scikit-learn >= 1.2 refuses -1, and the value is never used (SMAC passes `optimizer=None` and
    optimises the kernel itself)."""
    from sklearn.gaussian_process import GaussianProcessRegressor

    class GaussianProcess(base):  # type: ignore[misc, valid-type]
        def _get_gp(self) -> GaussianProcessRegressor:
            return GaussianProcessRegressor(
                kernel=self.kernel,
                normalize_y=False,
                optimizer=None,
                n_restarts_optimizer=0,
                alpha=0,
                random_state=self.rng,
            )

    return GaussianProcess


def predict(
    kind: str, space: SearchSpace, observed: pd.DataFrame, scores: np.ndarray, candidates: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of SMAC's `kind` ("gp" or "rf") at the candidates."""
    try:
        from smac.epm.gaussian_process import GaussianProcess
        from smac.epm.gaussian_process.kernels import ConstantKernel, Matern
        from smac.epm.random_forest.rf_with_instances import RandomForestWithInstances
        from smac.epm.utils import get_types
    except ImportError:
        raise UsageError(
            "SMAC's models are not recorded for this observed set, and SMAC is not installed: "
            "from a clone, pip install -e '.[baselines]' (docs/baselines.md)"
        ) from None
    cs = _config_space(space)
    types, bounds = get_types(cs)
    x, x_new, y = (
        observed[space.names].to_numpy(float),
        candidates[space.names].to_numpy(float),
        np.asarray(scores, float),
    )
    if kind == "gp":
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x)
        x, x_new = scaler.transform(x), scaler.transform(x_new)
        restarts = 20 * (len(x) // 10) if len(x) > 10 else 10
        model = _gp_class(GaussianProcess)(
            cs,
            types,
            bounds,
            seed=0,
            kernel=ConstantKernel() * Matern(length_scale=1.0, nu=2.5),
            normalize_y=False,
            n_opt_restarts=restarts,
        )
        model.train(x, y)
        mean, std = model.predict(x_new, cov_return_type="diagonal_std")
    elif kind == "rf":
        leaf, split = (1, 1) if len(x) < 5 else (1, 2)
        model = RandomForestWithInstances(cs, types, bounds, seed=0, min_samples_split=split, min_samples_leaf=leaf)
        model.train(x, y)
        mean, variance = model.predict(x_new, cov_return_type="diagonal_cov")
        std = np.sqrt(variance)
    else:
        raise ValueError(f"unknown SMAC model {kind!r}")
    return np.asarray(mean, float).ravel(), np.asarray(std, float).ravel()
