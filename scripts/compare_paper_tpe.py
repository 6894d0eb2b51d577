"""Check that the paper's TPE worker proposes what the official code's vendored tpe_single proposes.

Runs both, in the `tpe` baseline environment, on a synthetic loss over a mixed space (log-scaled and
linear floats and ints), from the same five initial points, for 25 proposals and three seeds, and prints
whether every proposal is identical. The official code is read from a checkout of tennisonliu/LLAMBO
(never shipped or committed here):

    llambo-replay baselines install tpe       # prints the environment's folder, ENV
    ENV/bin/python scripts/compare_paper_tpe.py /path/to/LLAMBO
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import ConfigSpace as CS
import numpy as np

SPACE = [
    {"name": "C", "type": "float", "low": 1.0, "high": 1000.0, "log": True},
    {"name": "gamma", "type": "float", "low": 1e-4, "high": 1e-3, "log": True},
    {"name": "n", "type": "int", "low": 10, "high": 200, "log": False},
    {"name": "depth", "type": "int", "low": 1, "high": 64, "log": True},
    {"name": "frac", "type": "float", "low": 0.01, "high": 0.99, "log": False},
]


def loss(c: dict) -> float:
    return (
        (math.log(c["C"]) - 3) ** 2
        + (math.log(c["gamma"]) + 8) ** 2
        + (c["n"] - 70) ** 2 / 1e3
        + abs(c["depth"] - 7) / 5
        + (c["frac"] - 0.3) ** 2
    )


def initial_points(seed: int) -> list[dict]:
    rs = np.random.RandomState(100 + seed)
    return [
        {
            "C": float(np.exp(rs.uniform(0, 6.9))),
            "gamma": float(np.exp(rs.uniform(-9.2, -6.9))),
            "n": int(rs.randint(10, 201)),
            "depth": int(rs.randint(1, 65)),
            "frac": float(rs.uniform(0.01, 0.99)),
        }
        for _ in range(5)
    ]


def official(seed: int, initial: list[dict]) -> list[dict]:
    from tpe.optimizer import TPEOptimizer
    from tpe.utils.constants import QuantileFunc

    cs = CS.ConfigurationSpace()
    for p in SPACE:
        kind = CS.UniformFloatHyperparameter if p["type"] == "float" else CS.UniformIntegerHyperparameter
        cs.add_hyperparameters([kind(name=p["name"], lower=p["low"], upper=p["high"], log=p["log"])])

    class GivenStart(TPEOptimizer):  # as bo_tpe.py's CustomTPEOptimizer: the initial points are given
        handed = 0

        def initial_sample(self) -> dict:
            self.handed += 1
            return initial[self.handed - 1]

    seen: list[dict] = []

    def objective(config: dict) -> float:
        seen.append(dict(config))
        return loss(config)

    GivenStart(
        obj_func=objective, config_space=cs, max_evals=30, n_init=5, weight_func_choice="expected-improvement",
        quantile_func=QuantileFunc(choice="linear", alpha=0.15), seed=seed, resultfile="temp", magic_clip=True,
        magic_clip_exponent=2.0, heuristic="hyperopt", min_bandwidth_factor=0.03,
    ).optimize()  # fmt: skip
    return seen


def ours(seed: int, initial: list[dict]) -> list[dict]:
    from workers.tpe_paper import PaperTPE

    tpe, seen = PaperTPE(SPACE, seed, {}), []
    for config in initial:
        tpe.tell(config, loss(config))
        seen.append(config)
    for _ in range(25):
        config = tpe.ask()
        tpe.tell(config, loss(config))
        seen.append(config)
    return seen


def main(official_repo: Path) -> int:
    sys.path[:0] = [
        str(official_repo / "exp_baselines" / "tpe_single"),
        str(Path(__file__).resolve().parents[1] / "llambo_replay/experiments/runs/baselines"),
    ]
    same = True
    for seed in range(3):
        initial = initial_points(seed)
        a, b = official(seed, initial), ours(seed, initial)
        differing = [i for i, (x, y) in enumerate(zip(a, b)) if {k: x[k] for k in y} != y]
        same &= not differing and len(a) == len(b)
        print(f"seed {seed}: {len(b) - 5} proposals, " + (f"differ at {differing}" if differing else "all identical"))
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
