"""The paper's TPE: the sampler of the official code's vendored `exp_baselines/tpe_single` (a snapshot of
nabenabe0928/tpe that no release matches), written again from reading it, on the release of its kernels it
was written against (`parzen_estimator` 0.5.8, ConfigSpace 0.7.1).

Settings as `exp_baselines/bo_models/bo_tpe.py` passes them: 20 EI candidates drawn dimension by dimension
from the good group's estimator, the good group the best ceil(0.15 n) observations (at most 25), its kernels
weighted by expected improvement over the best of the rest (the rest weighted uniformly), a prior kernel in
both, magic clip with exponent 2, hyperopt's bandwidth heuristic, minimum bandwidth factor 0.03, the
candidate with the largest log density ratio proposed. Its random state is `RandomState(seed)` with the
repetition index as seed, as the official loop passes it; the initial points are told, never sampled.
"""

from __future__ import annotations

import math
from typing import Any

import ConfigSpace as CS
import numpy as np
from parzen_estimator import (
    MultiVariateParzenEstimator,
    build_categorical_parzen_estimator,
    build_numerical_parzen_estimator,
)

DISTRIBUTIONS = ("parzen_estimator", "ConfigSpace", "numpy", "scipy", "torch")

N_CANDIDATES = 20
QUANTILE_ALPHA, MAX_GOOD = 0.15, 25
MIN_BANDWIDTH_FACTOR = 0.03
MAGIC_CLIP_EXPONENT = 2.0
HEURISTIC = "hyperopt"
TINY_WEIGHT = 1e-12


def config_space(space: list[dict[str, Any]]) -> CS.ConfigurationSpace:
    """The official `get_config_space`: floats and ints, log-scaled for 'log' and 'logit' ranges."""
    kinds = {"float": CS.UniformFloatHyperparameter, "int": CS.UniformIntegerHyperparameter}
    cs = CS.ConfigurationSpace()
    for p in space:
        if p["type"] not in kinds:
            raise ValueError(f"hyperparameter {p['name']!r} has type {p['type']!r}; this TPE takes float and int")
        cs.add_hyperparameters([kinds[p["type"]](name=p["name"], lower=p["low"], upper=p["high"], log=p["log"])])
    return cs


class PaperTPE:
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        self.cs = config_space(space)
        self.names = list(self.cs.get_hyperparameter_names())  # ConfigSpace's order: it decides the draws
        self.rng = np.random.RandomState(seed)
        self.losses: list[float] = []
        self.configs: list[dict[str, Any]] = []

    def tell(self, config: dict[str, Any], loss: float) -> None:
        self.configs.append({name: config[name] for name in self.names})
        self.losses.append(loss)

    def _groups(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Observation indices sorted by loss (ties in the order told), the good group's size."""
        order = np.argsort(np.asarray(self.losses), kind="stable")
        return order, np.asarray(self.losses)[order], min(math.ceil(QUANTILE_ALPHA * len(self.losses)), MAX_GOOD)

    @staticmethod
    def _weights(sorted_losses: np.ndarray, n_good: int) -> tuple[np.ndarray, np.ndarray]:
        """Kernel weights, the prior's last: EI over the threshold for the good group, uniform for the rest."""
        good, rest = sorted_losses[:n_good], sorted_losses[n_good:]
        if rest.size == 0:
            good_weights = np.full(good.size + 1, 1.0 / (good.size + 1))
        else:
            improvement = np.maximum(TINY_WEIGHT, rest[0] - good)
            good_weights = np.append(improvement, np.mean(improvement))
            good_weights = good_weights / np.sum(good_weights)
        return good_weights, np.full(rest.size + 1, 1.0 / (rest.size + 1))

    def _estimators(self) -> tuple[MultiVariateParzenEstimator, MultiVariateParzenEstimator]:
        order, sorted_losses, n_good = self._groups()
        good_weights, rest_weights = self._weights(sorted_losses, n_good)
        good, rest = {}, {}
        for name in self.names:
            hp = self.cs.get_hyperparameter(name)
            dtype = int if isinstance(hp, CS.UniformIntegerHyperparameter) else float
            values = np.array([self.configs[i][name] for i in order]).astype(dtype)
            if isinstance(hp, CS.CategoricalHyperparameter):  # not in Bayesmark's spaces; kept for the record
                good[name] = build_categorical_parzen_estimator(config=hp, vals=values[:n_good], weights=good_weights)
                rest[name] = build_categorical_parzen_estimator(config=hp, vals=values[n_good:], weights=rest_weights)
                continue
            shared = dict(
                config=hp,
                dtype=dtype,
                is_ordinal=False,
                prior=True,
                default_min_bandwidth_factor=MIN_BANDWIDTH_FACTOR,
                default_min_bandwidth_factor_for_discrete=None,
                magic_clip=True,
                magic_clip_exponent=MAGIC_CLIP_EXPONENT,
                heuristic=HEURISTIC,
                space_dim=len(self.names),
            )
            good[name] = build_numerical_parzen_estimator(vals=values[:n_good], weights=good_weights, **shared)
            rest[name] = build_numerical_parzen_estimator(vals=values[n_good:], weights=rest_weights, **shared)
        return MultiVariateParzenEstimator(good), MultiVariateParzenEstimator(rest)

    def ask(self) -> dict[str, Any]:
        good, rest = self._estimators()
        candidates = good.sample(n_samples=N_CANDIDATES, rng=self.rng, dim_independent=True, return_dict=True)
        best = int(np.argmax(good.log_pdf(candidates) - rest.log_pdf(candidates)))
        return {name: self._value(name, candidates[name][best]) for name in self.names}

    def _value(self, name: str, sampled: float) -> float | int:
        """A candidate back on the hyperparameter's own scale: exp of a log-scaled one, ints rounded."""
        hp = self.cs.get_hyperparameter(name)
        value = np.exp(sampled) if hp.log else sampled
        if isinstance(hp, CS.UniformIntegerHyperparameter):
            value = np.round(value - hp.lower) + hp.lower
            if not hp.lower <= value <= hp.upper:
                raise ValueError(f"the sampled {name} = {value} is outside [{hp.lower}, {hp.upper}]")
            return int(value)
        if not hp.lower <= value <= hp.upper:
            raise ValueError(f"the sampled {name} = {value} is outside [{hp.lower}, {hp.upper}]")
        return float(value)


FACTORY = PaperTPE
