"""The paper's GP baseline, as `exp_baselines/bo_models/bo_gp_class.py` sets it up (BoTorch 0.8.5, gpytorch 1.10).

Each ask: inputs on a log scale where the space is log-scaled ('log' and 'logit'), scaled to the unit cube by
bounds kept in float32 (their log taken in float32) as the official code does; the objective (the loss
negated) standardised; `SingleTaskGP` fitted by `fit_gpytorch_model`; qEI with `best_f` the best
*unstandardised* value (the official code's mismatch, kept); `optimize_acqf` with 20 restarts from 100 raw
samples, batch limit 5, 200 iterations; integer dimensions rounded. The dtypes follow the official tensors:
the initial points and every objective value pass through float32, proposals stay double, and the first
ask's incumbent is the float64 best of the initial values. Randomness is torch's global generator, seeded
once with the run's seed when the worker starts; the official script seeded it once (0) for the whole
process, so its draws depended on every run before (docs/baselines.md).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from botorch import fit_gpytorch_model
from botorch.acquisition.monte_carlo import qExpectedImprovement
from botorch.models import SingleTaskGP
from botorch.optim import optimize_acqf
from gpytorch.mlls.exact_marginal_log_likelihood import ExactMarginalLogLikelihood

DISTRIBUTIONS = ("botorch", "gpytorch", "linear_operator", "torch", "numpy", "scipy")
RESTARTS, RAW_SAMPLES, OPTIONS = 20, 100, {"batch_limit": 5, "maxiter": 200}


class PaperGP:
    def __init__(self, space: list[dict[str, Any]], seed: int, options: dict[str, Any]) -> None:
        torch.manual_seed(seed)
        self.space = space
        self.log = torch.tensor([p["log"] for p in space])
        self.integer = [p["type"] == "int" for p in space]
        self.bounds32 = torch.tensor([[p["low"] for p in space], [p["high"] for p in space]]).float()
        self.x: torch.Tensor | None = None
        self.y = torch.empty((0, 1))
        self.initial_best: float | None = None  # float64 best of the initial values, the first ask's incumbent
        self.asked = False

    def tell(self, config: dict[str, Any], loss: float) -> None:
        row = torch.tensor([[float(config[p["name"]]) for p in self.space]], dtype=torch.float64)
        if not self.asked:  # the official code builds the initial rows with .float()
            row = row.float()
            self.initial_best = max(self.initial_best if self.initial_best is not None else -loss, -loss)
        self.x = row if self.x is None else torch.cat([self.x, row])
        self.y = torch.cat([self.y, torch.tensor([[-loss]])]).float()

    def fitted_model(self, x: torch.Tensor, y: torch.Tensor) -> SingleTaskGP:
        """BoTorch's default GP (Matern 5/2, ARD, priors of 0.8.5), fitted by maximum marginal likelihood."""
        model = SingleTaskGP(x, y)
        fit_gpytorch_model(ExactMarginalLogLikelihood(model.likelihood, model))
        return model

    def ask(self) -> dict[str, Any]:
        best = self.initial_best if not self.asked else self.y.max().item()
        self.asked = True
        x, y = self.x.double(), self.y.double()
        bounds = torch.where(self.log.unsqueeze(0), self.bounds32.log(), self.bounds32)
        x = torch.where(self.log.unsqueeze(0), x.log(), x)
        x_min, x_max = bounds[0, :][None, :], bounds[1, :][None, :]
        x = (x - x_min) / (x_max - x_min)
        y_mean, y_std = y.mean(0).unsqueeze(0), y.std(0).unsqueeze(0)
        if abs(y_std.sum().item()) != 0:
            y = (y - y_mean) / y_std
        unit = torch.cat([torch.zeros(1, x.shape[-1]), torch.ones(1, x.shape[-1])])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = self.fitted_model(x, y)
            candidates, _ = optimize_acqf(
                acq_function=qExpectedImprovement(model=model, best_f=best),
                bounds=unit,
                q=1,
                num_restarts=RESTARTS,
                raw_samples=RAW_SAMPLES,
                options=OPTIONS,
            )
        point = candidates * (x_max - x_min) + x_min
        point = torch.where(self.log.unsqueeze(0), point.exp(), point)[0]
        return {
            p["name"]: round(point[i].round().item()) if self.integer[i] else float(point[i])
            for i, p in enumerate(self.space)
        }


FACTORY = PaperGP
