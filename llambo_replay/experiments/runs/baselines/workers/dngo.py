"""The paper's DNGO baseline, as `exp_baselines/bo_models/bo_dngo.py` sets it up over the official code's
modified copy of pybnn's DNGO (Snoek et al. 2015): a neural network's last hidden layer as the basis of a
Bayesian linear regression, written again from reading it (PyPI's pybnn 0.0.5 is the unmodified original).

Each ask: the GP baseline's scaling (`botorch_gp`), but in float32; a fresh network (three tanh layers of 50
units, torch's default initialisation) trained by Adam (learning rate 0.01) for 500 epochs of shuffled
minibatches of 10 (a remainder smaller than a batch is dropped; all points while there are at most 10) on
the mean squared error; the regression's precision hyperparameters fitted by Nelder-Mead (`scipy.optimize.fmin`)
from one draw of their prior, no MCMC; analytic EI (BoTorch's, with the GP baseline's unstandardised incumbent)
maximised over 20 candidates drawn by `exp_warmstarting/sampler.py`'s `sample_configurations` with the
repetition's seed, the same 20 at every ask, as the official loop does. The official numerics are kept where
they decide a proposal: the float32 basis and arrays, the 2-norm (not its square) of the residual in the
marginal likelihood, and the predictive variance taken as mean(mu^2 + var) - mean(mu)^2. Randomness: the
network's initialisation from torch's global generator, the shuffles and the prior draw from a
`RandomState` seeded from numpy's global generator at each ask; both global generators are seeded with the
run's seed when the worker starts.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from botorch.acquisition.analytic import ExpectedImprovement
from scipy import optimize

from .botorch_gp import DISTRIBUTIONS, PaperGP

N_CANDIDATES = 20
HIDDEN, EPOCHS, BATCH, LEARNING_RATE = 50, 500, 10, 0.01

__all__ = ["DISTRIBUTIONS", "FACTORY"]


class Network(torch.nn.Module):
    def __init__(self, inputs: int) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(inputs, HIDDEN)
        self.fc2 = torch.nn.Linear(HIDDEN, HIDDEN)
        self.fc3 = torch.nn.Linear(HIDDEN, HIDDEN)
        self.out = torch.nn.Linear(HIDDEN, 1)

    def basis(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.fc3(torch.tanh(self.fc2(torch.tanh(self.fc1(x))))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.basis(x))


def log_evidence(theta: np.ndarray, basis: np.ndarray, y: np.ndarray) -> Any:
    """The official DNGO's marginal log likelihood of (log alpha, log 1/beta), operation for operation: its
    dtypes (float32 arrays beside float64 scalars) decide where Nelder-Mead goes."""
    if np.any(theta == np.inf) or np.any((-10 > theta) + (theta > 10)):
        return -np.inf
    alpha, beta = np.exp(theta[0]), 1 / np.exp(theta[1])
    d, n = basis.shape[1], basis.shape[0]
    precision = beta * np.dot(basis.T, basis)
    precision += np.eye(d) * alpha
    try:
        covariance = np.linalg.inv(precision)
    except np.linalg.LinAlgError:
        covariance = np.linalg.inv(precision + np.random.rand(d, d) * 1e-8)
    weights = np.dot(beta * np.dot(covariance, basis.T), y)
    evidence = d / 2 * np.log(alpha)
    evidence += n / 2 * np.log(beta)
    evidence -= n / 2 * np.log(2 * np.pi)
    evidence -= beta / 2.0 * np.linalg.norm(y - np.dot(basis, weights), 2)
    evidence -= alpha / 2.0 * np.dot(weights.T, weights)
    evidence -= 0.5 * np.log(np.linalg.det(precision) + 1e-10)
    return -1e25 if np.any(np.isnan(evidence)) else evidence


class Posterior:
    """What BoTorch's analytic EI reads of a model's posterior."""

    def __init__(self, mean: torch.Tensor, variance: torch.Tensor) -> None:
        self.mean, self.variance = mean, variance


class DNGO:
    num_outputs = 1  # what BoTorch's acquisition functions read

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        rng = np.random.RandomState(np.random.randint(0, 10000))
        self.network = Network(x.shape[1]).float()
        self._train(x, y, rng)
        basis = self.network.basis(x).data.numpy()
        start = np.zeros((1, 2))
        start[:, 0] = rng.normal(loc=0, scale=1, size=1)
        start[:, 1] = rng.normal(loc=-3, scale=1, size=1)
        target = y.numpy()
        theta = optimize.fmin(lambda t: -log_evidence(t, basis, target), start, disp=False)
        self.alpha, self.beta = np.exp(theta[0]), 1 / np.exp(theta[1])
        np.random.randint(0, 10000)  # the official regression's unused random state, drawn all the same
        precision = self.beta * np.dot(basis.T, basis)
        precision += np.eye(basis.shape[1]) * self.alpha
        try:
            self.covariance = np.linalg.inv(precision)
        except np.linalg.LinAlgError:
            self.covariance = np.linalg.inv(precision + np.random.rand(*precision.shape) * 1e-8)
        self.weights = self.beta * np.dot(np.dot(self.covariance, basis.T), target[:, 0])

    def _train(self, x: torch.Tensor, y: torch.Tensor, rng: np.random.RandomState) -> None:
        n = x.shape[0]
        batch = n if n <= BATCH else BATCH
        optimiser = torch.optim.Adam(self.network.parameters(), lr=LEARNING_RATE)
        for _ in range(EPOCHS):
            order = np.arange(n)
            rng.shuffle(order)
            for start in range(0, n - batch + 1, batch):
                rows = order[start : start + batch]
                optimiser.zero_grad()
                torch.nn.functional.mse_loss(self.network(x[rows]), y[rows]).backward()
                optimiser.step()

    def _predict(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """The regression's prediction, then the official DNGO's marginalisation over its one sample."""
        basis = self.network.basis(x).data.numpy()
        mean, var = np.zeros(x.shape[0]), np.zeros(x.shape[0])  # float64, as the official rows are
        mean[:] = np.dot(self.weights.T, basis.T)
        var[:] = 1.0 / self.beta + np.diag(np.dot(np.dot(basis, self.covariance), basis.T))
        var = np.clip(var, np.finfo(var.dtype).eps, np.inf)
        variance = (mean**2 + var) - mean**2
        return mean, np.clip(variance, np.finfo(variance.dtype).eps, np.inf)

    def posterior(self, X: torch.Tensor, **_: Any) -> Posterior:  # noqa: N803 (BoTorch's keyword)
        count = X.shape[0]
        mean, variance = self._predict(X.reshape(count, -1).float())
        return Posterior(torch.tensor(mean).reshape(count, 1, -1), torch.tensor(variance).reshape(count, 1, -1))


class PaperDNGO(PaperGP):
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        super().__init__(space, seed, options)
        np.random.seed(seed)
        rows = sample_configurations(space, seed, N_CANDIDATES)
        self.candidates = column_major(torch.tensor(rows, dtype=torch.float64))

    def _unit(self, x: torch.Tensor) -> torch.Tensor:
        bounds = torch.where(self.log.unsqueeze(0), self.bounds32.log(), self.bounds32)
        x = torch.where(self.log.unsqueeze(0), x.log(), x)
        return (x - bounds[0, :][None, :]) / (bounds[1, :][None, :] - bounds[0, :][None, :])

    def ask(self) -> dict[str, Any]:
        x = self.x.float() if self.asked else column_major(self.x.float())
        best = self.initial_best if not self.asked else self.y.max().item()
        self.asked = True
        x, y = self._unit(x), self.y.float()
        y_mean, y_std = y.mean(0).unsqueeze(0), y.std(0).unsqueeze(0)
        if abs(y_std.sum().item()) != 0:
            y = (y - y_mean) / y_std
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = DNGO(x, y)
            candidates = self._unit(self.candidates).reshape(len(self.candidates), 1, -1)
            chosen = candidates[ExpectedImprovement(model=model, best_f=best)(candidates).argmax()]
        bounds = torch.where(self.log.unsqueeze(0), self.bounds32.log(), self.bounds32)
        point = chosen * (bounds[1, :][None, :] - bounds[0, :][None, :]) + bounds[0, :][None, :]
        point = torch.where(self.log.unsqueeze(0), point.exp(), point)[0]
        return {
            p["name"]: round(point[i].round().item()) if self.integer[i] else float(point[i])
            for i, p in enumerate(self.space)
        }


def column_major(x: torch.Tensor) -> torch.Tensor:
    """The layout of a tensor made from a pandas frame's `to_numpy()`, as the official code makes the initial
    points and the candidates: the matrix products over it round differently from a row-major one."""
    return x.t().contiguous().t()


def sample_configurations(space: list[dict[str, Any]], seed: int, count: int) -> list[list[float]]:
    """`exp_warmstarting/sampler.py`'s uniform sampler: dimension by dimension in ConfigSpace's (sorted) order,
    uniform on the log scale where the range is log-scaled, integers rounded; rows in the space's order."""
    rng, by_name = np.random.RandomState(seed), {p["name"]: p for p in space}
    rows = []
    for _ in range(count):
        drawn = {}
        for name in sorted(by_name):
            p = by_name[name]
            low, high = (np.log(p["low"]), np.log(p["high"])) if p["log"] else (p["low"], p["high"])
            drawn[name] = rng.uniform() * (high - low) + low
        for name, value in drawn.items():
            p = by_name[name]
            value = np.exp(value) if p["log"] else value
            if p["type"] == "int":
                value = int(np.round((value - p["low"]) / 1) * 1 + p["low"])
            if not p["low"] <= value <= p["high"]:
                raise ValueError(f"sampled {name}={value} outside [{p['low']}, {p['high']}]")
            drawn[name] = value
        rows.append([drawn[p["name"]] for p in space])
    return rows


FACTORY = PaperDNGO
