"""BoTorch GP with q-expected improvement, set up as the official `exp_baselines/bo_models/bo_gp_class.py`.

Log-scaled hyperparameters are searched in log space; inputs are scaled to the unit cube by the
search space's bounds; the objective (the score, negated where lower is better, so that it is
maximised) is standardised; a `SingleTaskGP` is fitted by maximum marginal likelihood; qEI (q = 1)
is maximised by `optimize_acqf` with 20 restarts from 100 raw samples (batch limit 5, 200
iterations); integer hyperparameters are rounded. As in the official code, EI's incumbent `best_f`
is the best *unstandardised* value while the model predicts standardised ones (this keeps its
behaviour; docs/differences.md and docs/baselines.md say so). Randomness (raw samples, the quasi-MC sampler,
fitting restarts) comes from seeds drawn from the run's generator; torch's global generator, which
gpytorch's fitting reads, is seeded only inside `torch.random.fork_rng`, so nothing outside changes.
Needs the `botorch` extra (torch, CPU).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch  # the optional libraries load with this module, so that a missing one is named at once
from botorch.acquisition.monte_carlo import qExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.optim import optimize_acqf
from botorch.sampling import SobolQMCNormalSampler
from gpytorch.mlls import ExactMarginalLogLikelihood

from llambo_replay.experiments.runs.baselines import Objective, finite_losses
from llambo_replay.llambo.loop import history_frame
from llambo_replay.llambo.space import SearchSpace

RESTARTS, RAW_SAMPLES, OPTIONS = 20, 100, {"batch_limit": 5, "maxiter": 200}
MC_SAMPLES = 512  # BoTorch's default for qEI


def optimise(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    log = np.array([p.transform == "log" for p in space.params])
    low = np.array([p.low for p in space.params], float)
    high = np.array([p.high for p in space.params], float)
    low, high = np.where(log, np.log(low), low), np.where(log, np.log(high), high)
    sign = -1.0 if lower_is_better else 1.0

    def to_unit(config: dict) -> np.ndarray:
        x = np.array([float(config[p.name]) for p in space.params])
        return (np.where(log, np.log(x), x) - low) / (high - low)

    def from_unit(u: np.ndarray) -> dict:
        x = u * (high - low) + low
        x = np.where(log, np.exp(x), x)
        return space.typed({p.name: (round(v) if p.type == "int" else float(v)) for p, v in zip(space.params, x)})

    configs = [space.typed(c) for c in initial]
    results = [objective(c) for c in configs]
    bounds = torch.stack([torch.zeros(len(space.params)), torch.ones(len(space.params))]).double()
    for _ in range(n_trials):
        seed = int(rng.integers(2**31 - 1))
        x = torch.tensor(np.array([to_unit(c) for c in configs])).double()
        y = torch.tensor([[-loss] for loss in finite_losses([-sign * r["score"] for r in results])]).double()
        best = float(y.max())  # unstandardised, as the official code passes it
        if float(y.std()) != 0.0:
            y = (y - y.mean()) / y.std()
        with torch.random.fork_rng(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.manual_seed(seed)
            model = SingleTaskGP(x, y)
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            acquisition = qExpectedImprovement(
                model, best_f=best, sampler=SobolQMCNormalSampler(torch.Size([MC_SAMPLES]), seed=seed)
            )
            candidate, _ = optimize_acqf(
                acquisition,
                bounds,
                q=1,
                num_restarts=RESTARTS,
                raw_samples=RAW_SAMPLES,
                options={**OPTIONS, "seed": seed},
            )
        config = from_unit(candidate[0].detach().numpy())
        configs.append(config)
        results.append(objective(config))
    return history_frame(space, configs, results)
