"""Check that the paper's GP and GP-DKL workers propose what the official code's `bo_gp_class.py` and
`bo_dkgp.py` propose, on a synthetic loss over a mixed space, from the same five initial points.

Needs the `botorch` baseline environment plus pandas and ConfigSpace, which the official classes import
(the workers do not):

    llambo-replay baselines install botorch   # prints the environment's folder, ENV
    uv venv cmp && uv pip install --python cmp/bin/python -r \
        llambo_replay/experiments/runs/baselines/envs/botorch.txt pandas==1.5.3 ConfigSpace==0.7.1
    cmp/bin/python scripts/compare_paper_gp.py /path/to/LLAMBO [n_trials]

Both seed torch's global generator once with the seed before the first proposal (the official script did
so once per process). The official code is read from a checkout of tennisonliu/LLAMBO, never shipped.
"""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import numpy as np

SPACE = [
    {"name": "C", "type": "float", "low": 1.0, "high": 1000.0, "log": True},
    {"name": "gamma", "type": "float", "low": 1e-4, "high": 1e-3, "log": True},
    {"name": "n", "type": "int", "low": 10, "high": 200, "log": False},
    {"name": "frac", "type": "float", "low": 0.01, "high": 0.99, "log": False},
]


def loss(c: dict) -> float:
    return (math.log(c["C"]) - 3) ** 2 + (math.log(c["gamma"]) + 8) ** 2 + (c["n"] - 70) ** 2 / 1e3 + c["frac"]


def initial_points(seed: int) -> list[dict]:
    rs = np.random.RandomState(100 + seed)
    return [
        {
            "C": float(np.exp(rs.uniform(0, 6.9))),
            "gamma": float(np.exp(rs.uniform(-9.2, -6.9))),
            "n": int(rs.randint(10, 201)),
            "frac": float(rs.uniform(0.01, 0.99)),
        }
        for _ in range(5)
    ]


def official(kind: str, seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import ConfigSpace as CS
    import torch

    sys.modules["sampler"] = types.SimpleNamespace(sample_configurations=None)  # imports openai; unused here
    from bo_models.bo_dkgp import BO_optimization_DKL
    from bo_models.bo_gp_class import BO_optimization

    cs = CS.ConfigurationSpace()
    for p in SPACE:
        hp = CS.UniformFloatHyperparameter if p["type"] == "float" else CS.UniformIntegerHyperparameter
        cs.add_hyperparameters([hp(name=p["name"], lower=p["low"], upper=p["high"], log=p["log"])])

    class Objective:
        all_results: list[dict] = []

        def reset_results(self) -> None:
            self.all_results = []

        def __call__(self, config: dict) -> float:
            self.all_results.append(dict(config))
            return loss(config)

    objective = Objective()
    torch.manual_seed(seed)
    optimiser = {"gp": BO_optimization, "dkl": BO_optimization_DKL}[kind]
    optimiser(objective, cs, [p["name"] for p in SPACE], seed=seed).optimize(n_trials, 5, initial)
    return objective.all_results


def ours(kind: str, seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    from workers.botorch_dkl import PaperDKL
    from workers.botorch_gp import PaperGP

    optimiser, seen = {"gp": PaperGP, "dkl": PaperDKL}[kind](SPACE, seed, {}), []
    for config in initial:
        optimiser.tell(config, loss(config))
        seen.append(config)
    for _ in range(n_trials):
        config = optimiser.ask()
        optimiser.tell(config, loss(config))
        seen.append(config)
    return seen


def main(official_repo: Path, n_trials: int) -> int:
    sys.path[:0] = [
        str(official_repo / "exp_baselines"),
        str(Path(__file__).resolve().parents[1] / "llambo_replay/experiments/runs/baselines"),
    ]
    same = True
    for kind in ("gp", "dkl"):
        for seed in range(2):
            initial = initial_points(seed)
            a, b = official(kind, seed, initial, n_trials), ours(kind, seed, initial, n_trials)
            differing = [i for i, (x, y) in enumerate(zip(a, b)) if {k: x[k] for k in y} != y]
            same &= not differing and len(a) == len(b)
            result = f"differ from proposal {differing[0] - 4} on" if differing else "all identical"
            print(f"{kind} seed {seed}: {n_trials} proposals, {result}")
            if differing:
                print(f"  official {a[differing[0]]}\n  ours     {b[differing[0]]}")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else 10))
