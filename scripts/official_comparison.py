"""What the `compare_paper_*.py` scripts share: a synthetic loss over a mixed search space, seeded initial
points, driving a worker optimiser by ask and tell, and comparing its proposals with the official code's.

Standard library and numpy only, so that it imports in every baseline environment. Each script gives its
own space (a subset of `SPACE`, in the order its official counterpart reads it) and its official and our
runs; `main` puts the official checkout and the worker folder on the path and reports.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

WORKERS = Path(__file__).resolve().parents[1] / "llambo_replay/experiments/runs/baselines"

# Log- and linear-scaled floats and integers, in ConfigSpace's (sorted) order.
SPACE = [
    {"name": "C", "type": "float", "low": 1.0, "high": 1000.0, "log": True},
    {"name": "depth", "type": "int", "low": 1, "high": 64, "log": True},
    {"name": "frac", "type": "float", "low": 0.01, "high": 0.99, "log": False},
    {"name": "gamma", "type": "float", "low": 1e-4, "high": 1e-3, "log": True},
    {"name": "n", "type": "int", "low": 10, "high": 200, "log": False},
]
TERMS: dict[str, Callable[[float], float]] = {
    "C": lambda v: (math.log(v) - 3) ** 2,
    "depth": lambda v: abs(v - 7) / 5,
    "frac": lambda v: (v - 0.3) ** 2,
    "gamma": lambda v: (math.log(v) + 8) ** 2,
    "n": lambda v: (v - 70) ** 2 / 1e3,
}
DRAWS: dict[str, Callable[[np.random.RandomState], float | int]] = {
    "C": lambda rs: float(np.exp(rs.uniform(0, 6.9))),
    "gamma": lambda rs: float(np.exp(rs.uniform(-9.2, -6.9))),
    "n": lambda rs: int(rs.randint(10, 201)),
    "depth": lambda rs: int(rs.randint(1, 65)),
    "frac": lambda rs: float(rs.uniform(0.01, 0.99)),
}
DRAW_ORDER = ("C", "gamma", "n", "depth", "frac")  # the draws' order: the recorded comparisons used it


def subspace(names: list[str]) -> list[dict]:
    return [next(p for p in SPACE if p["name"] == name) for name in names]


def loss(config: dict) -> float:
    return sum(TERMS[name](config[name]) for name in config)


def initial_points(space: list[dict], seed: int) -> list[dict]:
    names = {p["name"] for p in space}
    rs, points = np.random.RandomState(100 + seed), []
    for _ in range(5):
        drawn = {name: DRAWS[name](rs) for name in DRAW_ORDER if name in names}
        points.append({p["name"]: drawn[p["name"]] for p in space})
    return points


def config_space(space: list[dict]):
    """The official code's ConfigSpace of `space` (ConfigSpace is imported here: not every environment has it)."""
    import ConfigSpace as CS

    cs = CS.ConfigurationSpace()
    for p in space:
        hp = CS.UniformFloatHyperparameter if p["type"] == "float" else CS.UniformIntegerHyperparameter
        cs.add_hyperparameters([hp(name=p["name"], lower=p["low"], upper=p["high"], log=p["log"])])
    return cs


class RecordedObjective:
    """The official scripts' objective wrapper (`CustomForward`): the loss, every configuration kept."""

    def __init__(self) -> None:
        self.all_results: list[dict] = []

    def reset_results(self) -> None:
        self.all_results = []

    def __call__(self, config: dict) -> float:
        self.all_results.append({k: (v.item() if hasattr(v, "item") else v) for k, v in config.items()})
        return loss(config)


def drive(optimiser, initial: list[dict], n_trials: int) -> list[dict]:
    """Our worker optimiser: told the initial points, then asked and told `n_trials` times."""
    seen = []
    for config in initial:
        optimiser.tell(config, loss(config))
        seen.append(config)
    for _ in range(n_trials):
        config = optimiser.ask()
        optimiser.tell(config, loss(config))
        seen.append(config)
    return seen


def compare(label: str, official: list[dict], ours: list[dict]) -> bool:
    differing = [
        i
        for i, (a, b) in enumerate(zip(official, ours))
        if {k: float(a[k]) for k in b} != {k: float(v) for k, v in b.items()}
    ]
    result = f"differ from proposal {differing[0] - 4} on" if differing else "all identical"
    print(f"{label}: {len(ours) - 5} proposals, {result}")
    if differing:
        print(f"  official {official[differing[0]]}\n  ours     {ours[differing[0]]}")
    return not differing and len(official) == len(ours)


def compare_seeds(
    seeds: range, space: list[dict], official: Callable, optimiser: Callable, n_trials: int, label: str = ""
) -> bool:
    """For each seed: the official run and ours from the same initial points, compared and reported."""
    same = True
    for seed in seeds:
        initial = initial_points(space, seed)
        theirs = official(seed, initial, n_trials)
        same &= compare(f"{label}seed {seed}", theirs, drive(optimiser(space, seed, {}), initial, n_trials))
    return same


def main(doc: str, official_path: str, run: Callable[[int], bool], default_trials: int) -> None:
    """`script.py /path/to/LLAMBO [n_trials]`: `run(n_trials)` compares and says whether all were identical."""
    if len(sys.argv) not in (2, 3):
        sys.exit(doc)
    sys.path[:0] = [str(Path(sys.argv[1]) / official_path), str(WORKERS)]
    sys.exit(0 if run(int(sys.argv[2]) if len(sys.argv) == 3 else default_trials) else 1)
