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

import math
import sys
from pathlib import Path

import numpy as np

SPACE = [
    {"name": "C", "type": "float", "low": 1.0, "high": 1000.0, "log": True},
    {"name": "depth", "type": "int", "low": 1, "high": 64, "log": True},
    {"name": "frac", "type": "float", "low": 0.01, "high": 0.99, "log": False},
    {"name": "gamma", "type": "float", "low": 1e-4, "high": 1e-3, "log": True},
    {"name": "n", "type": "int", "low": 10, "high": 200, "log": False},
]  # in ConfigSpace's (sorted) order, as the official bounds are built


def loss(c: dict) -> float:
    return (
        (math.log(c["C"]) - 3) ** 2 + (math.log(c["gamma"]) + 8) ** 2 + (c["n"] - 70) ** 2 / 1e3
        + abs(c["depth"] - 7) / 5 + (c["frac"] - 0.3) ** 2
    )  # fmt: skip


def initial_points(seed: int) -> list[dict]:
    rs = np.random.RandomState(100 + seed)
    return [
        {
            "C": float(np.exp(rs.uniform(0, 6.9))),
            "depth": int(rs.randint(1, 65)),
            "frac": float(rs.uniform(0.01, 0.99)),
            "gamma": float(np.exp(rs.uniform(-9.2, -6.9))),
            "n": int(rs.randint(10, 201)),
        }
        for _ in range(5)
    ]


def official(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import torch
    from turbo.turbo import Turbo1  # the vendored copy

    lb = np.array([np.log(p["low"]) if p["log"] else p["low"] - (0.5 - 1e-12) * (p["type"] == "int") for p in SPACE])
    ub = np.array([np.log(p["high"]) if p["log"] else p["high"] + (0.5 - 1e-12) * (p["type"] == "int") for p in SPACE])

    def convert(x: np.ndarray) -> dict:
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


def ours(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    from workers.turbo import PaperTuRBO

    turbo, seen = PaperTuRBO(SPACE, seed, {}), []
    for config in initial:
        turbo.tell(config, loss(config))
        seen.append(config)
    for _ in range(n_trials):
        config = turbo.ask()
        turbo.tell(config, loss(config))
        seen.append(config)
    return seen


def main(official_repo: Path, n_trials: int) -> int:
    sys.path[:0] = [
        str(official_repo / "exp_baselines" / "tpe_single"),
        str(Path(__file__).resolve().parents[1] / "llambo_replay/experiments/runs/baselines"),
    ]
    same = True
    for seed in range(2):
        initial = initial_points(seed)
        a, b = official(seed, initial, n_trials), ours(seed, initial, n_trials)
        differing = [
            i
            for i, (x, y) in enumerate(zip(a, b))
            if {k: float(x[k]) for k in y} != {k: float(v) for k, v in y.items()}
        ]
        same &= not differing and len(a) == len(b)
        print(
            f"seed {seed}: {n_trials} proposals, "
            + (f"differ from proposal {differing[0] - 4} on" if differing else "all identical")
        )
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else 25))
