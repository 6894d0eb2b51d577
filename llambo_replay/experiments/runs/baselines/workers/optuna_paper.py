"""The paper's Optuna baseline, as `exp_baselines/bo_models/bo_optuna.py` runs it on Optuna 3.3.0: a study
that minimises the loss with `TPESampler(multivariate=True, seed=<repetition>, n_startup_trials=<initial
points>, n_ei_candidates=20)`, the initial points added at once as finished trials before the first
proposal, and each proposal suggested hyperparameter by hyperparameter in ConfigSpace's (sorted) order,
floats on a log scale where the range is log-scaled, integers always on a linear one (as the official
distributions are built). An initial point outside the box (the shared points sometimes are, by
rounding) is clipped into it: Optuna refuses a finished trial outside its distribution, where the official
script would have stopped.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import FloatDistribution, IntDistribution

DISTRIBUTIONS = ("optuna", "numpy", "scipy")
N_EI_CANDIDATES = 20


class PaperOptuna:
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space = sorted(space, key=lambda p: p["name"])
        self.distributions = {
            p["name"]: IntDistribution(p["low"], p["high"])
            if p["type"] == "int"
            else FloatDistribution(p["low"], p["high"], log=p["log"])
            for p in self.space
        }
        self.seed = seed
        self.initial: list[tuple[dict[str, Any], float]] = []
        self.study: optuna.Study | None = None
        self.trial: optuna.Trial | None = None

    def tell(self, config: dict[str, Any], loss: float) -> None:
        if self.study is None:
            self.initial.append((config, loss))
        else:
            self.study.tell(self.trial, loss)

    def _start(self) -> optuna.Study:
        sampler = optuna.samplers.TPESampler(
            multivariate=True, seed=self.seed, n_startup_trials=len(self.initial), n_ei_candidates=N_EI_CANDIDATES
        )
        study = optuna.create_study(sampler=sampler)
        study.add_trials(
            [
                optuna.create_trial(
                    params={n: min(max(config[n], d.low), d.high) for n, d in self.distributions.items()},
                    distributions=self.distributions,
                    value=loss,
                )
                for config, loss in self.initial
            ]
        )
        return study

    def ask(self) -> dict[str, Any]:
        if self.study is None:
            self.study = self._start()
        self.trial = self.study.ask()
        return {
            p["name"]: self.trial.suggest_int(p["name"], p["low"], p["high"])
            if p["type"] == "int"
            else self.trial.suggest_float(p["name"], p["low"], p["high"], log=p["log"])
            for p in self.space
        }


FACTORY = PaperOptuna
