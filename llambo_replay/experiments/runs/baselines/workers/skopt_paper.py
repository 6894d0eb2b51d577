"""The paper's SKOPT baseline, as `exp_baselines/bo_models/bo_skopt.py` runs it on scikit-optimize 0.9.0:
`gp_minimize` itself (expected improvement optimised by L-BFGS, no initial design of its own,
`random_state=<repetition>`), given the initial points as `x0` and their losses as `y0`, over the space
`exp_warmstarting/sampler.py`'s `obtain_space` builds (its order; log-uniform priors for log-scaled floats
and integers). `gp_minimize` is a closed loop that calls its objective, so it runs in a thread whose
objective hands each proposal to `ask` and waits for `tell`; it is asked for `options["n_trials"]` calls, as
the official script asks for its number of runs. An initial point outside the box (the shared points
sometimes are, by rounding) is clipped into it: scikit-optimize refuses one, where the official script
would have stopped.
"""

from __future__ import annotations

import queue
import threading
import warnings
from typing import Any

import numpy as np

DISTRIBUTIONS = ("scikit-optimize", "scikit-learn", "numpy", "scipy")
np.int = np.int32  # what bo_skopt.py sets before calling scikit-optimize  # type: ignore[attr-defined]
np.float = np.float64  # type: ignore[attr-defined]

from skopt import gp_minimize  # noqa: E402 (after the aliases the official script sets)
from skopt.space import Integer, Real  # noqa: E402


class PaperSKOPT:
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        prior = {True: "log-uniform", False: "uniform"}
        self.dimensions = [
            (Integer if p["type"] == "int" else Real)(
                p["low"], p["high"], prior=prior[p["log"]], name=p["name"], transform="identity"
            )
            for p in space
        ]
        self.seed, self.n_calls = seed, int(options["n_trials"])
        self.x0: list[list[Any]] = []
        self.y0: list[float] = []
        self.proposals: queue.Queue = queue.Queue()
        self.losses: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None

    def tell(self, config: dict[str, Any], loss: float) -> None:
        if self.thread is None:
            self.x0.append([min(max(config[d.name], d.low), d.high) for d in self.dimensions])
            self.y0.append(loss)
        else:
            self.losses.put(loss)

    def _objective(self, point: list[Any]) -> float:
        self.proposals.put(point)
        return self.losses.get()

    def _run(self) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gp_minimize(
                    self._objective, self.dimensions, x0=self.x0, y0=self.y0, n_calls=self.n_calls,
                    n_initial_points=0, random_state=self.seed, acq_func="EI", acq_optimizer="lbfgs",
                )  # fmt: skip
        except BaseException as exc:  # handed to the asking side, which reports it as one line
            self.proposals.put(exc)

    def ask(self) -> dict[str, Any]:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        point = self.proposals.get()
        if isinstance(point, BaseException):
            raise point
        return {
            d.name: int(value) if isinstance(d, Integer) else float(value) for d, value in zip(self.dimensions, point)
        }


FACTORY = PaperSKOPT
