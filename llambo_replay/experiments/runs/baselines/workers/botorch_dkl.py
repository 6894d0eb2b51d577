"""The paper's GP-DKL baseline, as `exp_baselines/bo_models/bo_dkgp.py` sets it up: the GP baseline's loop
(`botorch_gp`: scaling, qEI, `optimize_acqf`, rounding) with a deep kernel in place of BoTorch's GP.

The kernel: a scaled RBF kernel (ARD over 4 features) on the output of a feature extractor, an MLP of
three hidden layers of 32 ReLU units, with a constant mean and a Gaussian likelihood; the whole model
(and with it its training data) cast to float32, as the official code does; trained by Adam (learning
rate 0.01) for 100 steps on the exact marginal log likelihood, from a fresh initialisation at every ask.
"""

from __future__ import annotations

import gpytorch
import torch
from botorch.models.gpytorch import GPyTorchModel
from gpytorch.distributions import MultivariateNormal
from gpytorch.kernels import RBFKernel, ScaleKernel
from gpytorch.means import ConstantMean
from gpytorch.models import ExactGP

from .botorch_gp import DISTRIBUTIONS, PaperGP

FEATURES, HIDDEN = 4, 32
TRAINING_STEPS, LEARNING_RATE = 100, 0.01

__all__ = ["DISTRIBUTIONS", "FACTORY"]


class DeepKernelGP(ExactGP, GPyTorchModel):
    _num_outputs = 1  # what BoTorch's model API reads

    def __init__(self, x: torch.Tensor, y: torch.Tensor, likelihood: gpytorch.likelihoods.Likelihood) -> None:
        super().__init__(x, y.squeeze(-1), likelihood)
        self.mean_module = ConstantMean()
        self.covar_module = ScaleKernel(base_kernel=RBFKernel(ard_num_dims=FEATURES))
        layers: list[torch.nn.Module] = []
        width = x.shape[-1]
        for _ in range(3):
            layers += [torch.nn.Linear(width, HIDDEN), torch.nn.ReLU()]
            width = HIDDEN
        self.feature_extractor = torch.nn.Sequential(*layers, torch.nn.Linear(HIDDEN, FEATURES))

    def forward(self, x: torch.Tensor) -> MultivariateNormal:
        features = self.feature_extractor(x)
        return MultivariateNormal(self.mean_module(features), self.covar_module(features))


class PaperDKL(PaperGP):
    def fitted_model(self, x: torch.Tensor, y: torch.Tensor) -> DeepKernelGP:
        likelihood = gpytorch.likelihoods.GaussianLikelihood()
        model = DeepKernelGP(x, y, likelihood).float()
        model.train()
        likelihood.train()
        optimiser = torch.optim.Adam(
            [
                {"params": model.feature_extractor.parameters()},
                {"params": model.covar_module.parameters()},
                {"params": model.mean_module.parameters()},
                {"params": model.likelihood.parameters()},
            ],
            lr=LEARNING_RATE,
        )
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(likelihood, model)
        train_x, train_y = model.train_inputs[0], model.train_targets
        for _ in range(TRAINING_STEPS):
            optimiser.zero_grad()
            loss = -mll(model(train_x), train_y).mean()
            loss.backward()
            optimiser.step()
        model.eval()
        likelihood.eval()
        return model


FACTORY = PaperDKL
