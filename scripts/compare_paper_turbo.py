"""Check that the paper's TuRBO worker proposes what the official code's vendored TuRBO-1 proposes
(`exp_baselines/tpe_single/turbo/turbo/turbo_1.py`, as `bo_models/bo_turbo.py` runs it), on a synthetic
loss over a mixed space, from the same five initial points, for two seeds.

Runs in the `botorch` baseline environment (the official TuRBO needs only gpytorch, torch and numpy);
the official code is read from a checkout of tennisonliu/LLAMBO, never shipped:

    llambo-replay baselines install botorch   # prints the environment's folder, ENV
    ENV/bin/python scripts/compare_paper_turbo.py /path/to/LLAMBO [n_trials]

Both seed numpy's and torch's global generators with the seed before the first proposal.
"""

from __future__ import annotations

import numpy as np
from official_comparison import SPACE, compare_seeds, loss, main


def official(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import torch
    from turbo.turbo import Turbo1  # the vendored copy

    def widen(p: dict) -> float:  # bo_turbo.get_bounds: integers widened by just under a half
        return (0.5 - 1e-12) * (p["type"] == "int" and not p["log"])

    lb = np.array([np.log(p["low"]) if p["log"] else p["low"] - widen(p) for p in SPACE])
    ub = np.array([np.log(p["high"]) if p["log"] else p["high"] + widen(p) for p in SPACE])

    def convert(x: np.ndarray) -> dict:  # bo_turbo.convert
        config = {}
        for p, v in zip(SPACE, x):
            if p["type"] == "int":
                config[p["name"]] = int(np.round(np.exp(v)) if p["log"] else np.round(v))
            else:
                config[p["name"]] = np.exp(v) if p["log"] else v
        return config

    seen: list[dict] = []

    def f(x: np.ndarray) -> float:
        seen.append(convert(x))
        return loss(seen[-1])

    x_init = np.array([[np.log(c[p["name"]]) if p["log"] else c[p["name"]] for p in SPACE] for c in initial])
    np.random.seed(seed)
    torch.manual_seed(seed)
    turbo = Turbo1(f=f, lb=lb, ub=ub, n_init=5, max_evals=5 + n_trials, seed=seed, verbose=False)
    turbo.optimize(fixed_X_init=x_init, fixed_fX_init=np.array([loss(c) for c in initial]))
    return [dict(c) for c in initial] + seen


def run(n_trials: int) -> bool:
    from workers.turbo import PaperTuRBO

    return compare_seeds(range(2), SPACE, official, PaperTuRBO, n_trials)


if __name__ == "__main__":
    main(__doc__, "exp_baselines/tpe_single", run, 25)
