"""Check that the paper's HEBO worker proposes what the official code's `bo_models/bo_hebo.py` proposes, on a
synthetic loss over a mixed space, from the same five initial points, for two seeds.

Needs the `hebo` baseline environment plus ConfigSpace 0.7.1, which the official function imports (the
worker does not); the official code is read from a checkout of tennisonliu/LLAMBO, never shipped:

    uv venv cmp && uv pip install --python cmp/bin/python -r \
        llambo_replay/experiments/runs/baselines/envs/hebo.txt ConfigSpace==0.7.1
    cmp/bin/python scripts/compare_paper_hebo.py /path/to/LLAMBO [n_trials]

`bo_hebo` takes its initial points from the paper's TPE's observations (`bo_tpe` with no trials); that
step is stood in for by the same observations, built here. Both seed numpy's and torch's global
generators with the seed before the first proposal.
"""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import numpy as np

SPACE = [
    {"name": "C", "type": "float", "low": 1.0, "high": 1000.0, "log": True},
    {"name": "depth", "type": "int", "low": 1, "high": 64, "log": False},
    {"name": "frac", "type": "float", "low": 0.01, "high": 0.99, "log": False},
    {"name": "gamma", "type": "float", "low": 1e-4, "high": 1e-3, "log": True},
]


def loss(c: dict) -> float:
    return (math.log(c["C"]) - 3) ** 2 + (math.log(c["gamma"]) + 8) ** 2 + abs(c["depth"] - 7) / 5 + c["frac"]


def initial_points(seed: int) -> list[dict]:
    rs = np.random.RandomState(100 + seed)
    return [
        {
            "C": float(np.exp(rs.uniform(0, 6.9))),
            "depth": int(rs.randint(1, 65)),
            "frac": float(rs.uniform(0.01, 0.99)),
            "gamma": float(np.exp(rs.uniform(-9.2, -6.9))),
        }
        for _ in range(5)
    ]


def official(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import ConfigSpace as CS
    import torch

    def tpe_observations(fun, config_space, n_runs, n_init, seed, config_init, **_):
        names = list(config_space.get_hyperparameter_names())
        observed = {n: np.array([c[n] for c in config_init]) for n in names}
        return {**observed, "loss": np.array([loss(c) for c in config_init])}

    sys.modules["bo_models.bo_tpe"] = types.SimpleNamespace(bo_tpe=tpe_observations)  # needs parzen_estimator
    from bo_models.bo_hebo import bo_hebo

    cs = CS.ConfigurationSpace()
    for p in SPACE:
        hp = CS.UniformFloatHyperparameter if p["type"] == "float" else CS.UniformIntegerHyperparameter
        cs.add_hyperparameters([hp(name=p["name"], lower=p["low"], upper=p["high"], log=p["log"])])

    class Objective:
        all_results: list[dict] = []

        def reset_results(self) -> None:
            self.all_results = []

        def __call__(self, config: dict) -> float:
            self.all_results.append({k: (v.item() if hasattr(v, "item") else v) for k, v in config.items()})
            return loss(config)

    objective = Objective()
    np.random.seed(seed)
    torch.manual_seed(seed)
    bo_hebo(objective, cs, n_trials, 5, seed, initial)
    return [dict(c) for c in initial] + objective.all_results


def ours(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    from workers.hebo import PaperHEBO

    hebo, seen = PaperHEBO(SPACE, seed, {}), []
    for config in initial:
        hebo.tell(config, loss(config))
        seen.append(config)
    for _ in range(n_trials):
        config = hebo.ask()
        hebo.tell(config, loss(config))
        seen.append(config)
    return seen


def main(official_repo: Path, n_trials: int) -> int:
    sys.path[:0] = [
        str(official_repo / "exp_baselines"),
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
        result = f"differ from proposal {differing[0] - 4} on" if differing else "all identical"
        print(f"seed {seed}: {n_trials} proposals, {result}")
        if differing:
            print(f"  official {a[differing[0]]}\n  ours     {b[differing[0]]}")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else 10))
