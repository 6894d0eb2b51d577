"""The paper's TuRBO baseline: TuRBO-1 as the official code vendors and runs it (`exp_baselines/bo_models/
bo_turbo.py` over `tpe_single/turbo/turbo/turbo_1.py`), written again from reading them (no release
carries that version, which takes fixed initial points and a seed), on gpytorch 1.10.

The box as `bo_turbo.get_bounds` builds it from the ConfigSpace (hyperparameters in its sorted order): a
log-scaled hyperparameter on the natural log of its range, an integer one widened by just under 0.5 on
each side; a point back as `convert` does (exp, rounded for integers). TuRBO-1 with batch size 1: a trust
region of side 0.8 (0.5^7 to 1.6) centred on the best point, widened after 3 successes and halved after
max(4, dim) failures; each proposal fits a GP (Matern 5/2, ARD, constant mean; lengthscale in
[0.005, 2], output scale in [0.05, 20], noise in [5e-4, 0.2]) by 50 Adam steps at learning rate 0.1 on
the losses standardised by their median and standard deviation, draws min(100 dim, 5000) candidates that
perturb the centre in each dimension with probability min(20/dim, 1) by a scrambled Sobol sequence, and
proposes the one whose Thompson sample is lowest. When the region has shrunk below its minimum, TuRBO
restarts from a new Latin hypercube of as many points as the initial design. Randomness: its own
`RandomState(seed)`, numpy's global generator (the Latin hypercube) and torch's (the Thompson sample),
both seeded once with the run's seed when the worker starts.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import gpytorch
import numpy as np
import torch
from gpytorch.constraints.constraints import Interval
from gpytorch.distributions import MultivariateNormal
from gpytorch.kernels import MaternKernel, ScaleKernel
from gpytorch.likelihoods import GaussianLikelihood
from gpytorch.means import ConstantMean
from gpytorch.mlls import ExactMarginalLogLikelihood
from gpytorch.models import ExactGP

DISTRIBUTIONS = ("gpytorch", "torch", "numpy", "scipy")

LENGTH_INIT, LENGTH_MIN, LENGTH_MAX = 0.8, 0.5**7, 1.6
SUCCESS_TOLERANCE, TRAINING_STEPS, MAX_CHOLESKY = 3, 50, 2000


class TrustRegionGP(ExactGP):
    def __init__(self, x: torch.Tensor, y: torch.Tensor, likelihood: GaussianLikelihood) -> None:
        super().__init__(x, y, likelihood)
        self.mean_module = ConstantMean()
        kernel = MaternKernel(lengthscale_constraint=Interval(0.005, 2.0), ard_num_dims=x.shape[1], nu=2.5)
        self.covar_module = ScaleKernel(kernel, outputscale_constraint=Interval(0.05, 20.0))

    def forward(self, x: torch.Tensor) -> MultivariateNormal:
        return MultivariateNormal(self.mean_module(x), self.covar_module(x))


def fitted_gp(x: torch.Tensor, y: torch.Tensor) -> TrustRegionGP:
    likelihood = GaussianLikelihood(noise_constraint=Interval(5e-4, 0.2)).to(dtype=y.dtype)
    model = TrustRegionGP(x, y, likelihood).to(dtype=x.dtype)
    model.train()
    likelihood.train()
    mll = ExactMarginalLogLikelihood(likelihood, model)
    model.initialize(
        **{"covar_module.outputscale": 1.0, "covar_module.base_kernel.lengthscale": 0.5, "likelihood.noise": 0.005}
    )
    optimiser = torch.optim.Adam([{"params": model.parameters()}], lr=0.1)
    for _ in range(TRAINING_STEPS):
        optimiser.zero_grad()
        loss = -mll(model(x), y)
        loss.backward()
        optimiser.step()
    model.eval()
    likelihood.eval()
    return model


def latin_hypercube(n: int, dim: int) -> np.ndarray:
    """Centred strata shuffled per dimension, then jittered within each (numpy's global generator)."""
    centres = (1.0 + 2.0 * np.arange(0.0, n)) / float(2 * n)
    x = np.zeros((n, dim))
    for i in range(dim):
        x[:, i] = centres[np.random.permutation(n)]
    return x + np.random.uniform(-1.0, 1.0, (n, dim)) / float(2 * n)


class PaperTuRBO:
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        np.random.seed(seed)
        torch.manual_seed(seed)
        self.params = sorted(space, key=lambda p: p["name"])  # ConfigSpace's order
        self.lb, self.ub = self._bounds()
        self.dim = len(self.params)
        self.rng = np.random.RandomState(seed)
        self.n_candidates = min(100 * self.dim, 5000)
        self.fail_tolerance = math.ceil(max(4.0, float(self.dim)))
        self.initial_x: list[np.ndarray] = []
        self.initial_losses: list[float] = []
        self.search: Generator[np.ndarray, float, None] | None = None
        self.pending: np.ndarray | None = None
        self.loss: float | None = None

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lb, ub = [], []
        for p in self.params:
            if p["log"]:
                lb.append(np.log(p["low"]))
                ub.append(np.log(p["high"]))
            elif p["type"] == "int":
                lb.append(p["low"] - 0.5 + 1e-12)
                ub.append(p["high"] + 0.5 - 1e-12)
            else:
                lb.append(p["low"])
                ub.append(p["high"])
        return np.asarray(lb), np.asarray(ub)

    def tell(self, config: dict[str, Any], loss: float) -> None:
        if self.search is None:  # the initial design, on TuRBO's scale
            self.initial_x.append(
                np.array([np.log(config[p["name"]]) if p["log"] else config[p["name"]] for p in self.params])
            )
            self.initial_losses.append(loss)
        else:
            self.loss = loss

    def ask(self) -> dict[str, Any]:
        if self.search is None:
            self.search = self._search()
            x = next(self.search)
        else:
            x = self.search.send(self.loss)
        return self._config(x)

    def _config(self, x: np.ndarray) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for p, value in zip(self.params, x):
            if p["type"] == "int":
                config[p["name"]] = int(np.round(np.exp(value)) if p["log"] else np.round(value))
            else:
                config[p["name"]] = float(np.exp(value) if p["log"] else value)
        return config

    def _search(self) -> Generator[np.ndarray, float, None]:
        """TuRBO-1's loop, yielding each point to evaluate and receiving its loss."""
        x_region = np.array(self.initial_x)
        f_region = np.array(self.initial_losses)[:, None]
        while True:
            length, successes, failures = LENGTH_INIT, 0, 0
            while length >= LENGTH_MIN:
                unit = np.clip((x_region - self.lb) / (self.ub - self.lb), 0.0, 1.0)  # a shared initial point may
                x_next = self._propose(unit, f_region.ravel(), length)  # lie outside the box, by rounding
                x_next = x_next * (self.ub - self.lb) + self.lb
                loss = yield x_next
                best = np.min(f_region)
                if loss < best - 1e-3 * math.fabs(best):
                    successes, failures = successes + 1, 0
                else:
                    successes, failures = 0, failures + 1
                if successes == SUCCESS_TOLERANCE:
                    length, successes = min(2.0 * length, LENGTH_MAX), 0
                elif failures == self.fail_tolerance:
                    length, failures = length / 2.0, 0
                x_region = np.vstack((x_region, x_next[None, :]))
                f_region = np.vstack((f_region, [[loss]]))
            restart = latin_hypercube(len(self.initial_x), self.dim) * (self.ub - self.lb) + self.lb
            losses = []
            for x in restart:
                losses.append((yield x))
            x_region, f_region = restart, np.array(losses)[:, None]

    def _propose(self, x: np.ndarray, f: np.ndarray, length: float) -> np.ndarray:
        mu, sigma = np.median(f), f.std()
        sigma = 1.0 if sigma < 1e-6 else sigma
        f = (f - mu) / sigma
        with gpytorch.settings.max_cholesky_size(MAX_CHOLESKY):
            gp = fitted_gp(torch.tensor(x, dtype=torch.float64), torch.tensor(f, dtype=torch.float64))
        centre = x[f.argmin().item(), :][None, :]
        weights = gp.covar_module.base_kernel.lengthscale.cpu().detach().numpy().ravel()
        weights = weights / weights.mean()
        weights = weights / np.prod(np.power(weights, 1.0 / len(weights)))
        lb = np.clip(centre - weights * length / 2.0, 0.0, 1.0)
        ub = np.clip(centre + weights * length / 2.0, 0.0, 1.0)
        sobol = torch.quasirandom.SobolEngine(self.dim, scramble=True, seed=self.rng.randint(int(1e6)))
        perturbation = lb + (ub - lb) * sobol.draw(self.n_candidates).to(dtype=torch.float64).numpy()
        mask = self.rng.rand(self.n_candidates, self.dim) <= min(20.0 / self.dim, 1.0)
        none = np.where(np.sum(mask, axis=1) == 0)[0]
        mask[none, self.rng.randint(0, self.dim - 1, size=len(none))] = 1
        candidates = centre.copy() * np.ones((self.n_candidates, self.dim))
        candidates[mask] = perturbation[mask]
        with torch.no_grad(), gpytorch.settings.max_cholesky_size(MAX_CHOLESKY):
            sample = gp.likelihood(gp(torch.tensor(candidates, dtype=torch.float64))).sample(torch.Size([1]))
        return candidates[int(np.argmin(sample.t().numpy()[:, 0])), :]


FACTORY = PaperTuRBO
