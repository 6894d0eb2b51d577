"""Would the paper's versions of scikit-optimize and Optuna have proposed what the committed `skopt` and
`optuna` cells record? Measured by driving the library, in an environment pinned to the paper's versions,
through a committed cell: each proposal is compared with the recorded one and, while they agree, answered
with the recorded score; the first proposal that differs ends the cell.

Two steps, because the paper's environment cannot import this package:

    .venv/bin/python scripts/compare_baseline_versions.py export skopt /tmp/skopt-cells.json [N]
    uv venv /tmp/skopt09 && uv pip install --python /tmp/skopt09/bin/python scikit-optimize==0.9.0 \
        numpy==1.23.4 scipy==1.12.0 scikit-learn==1.1.3
    /tmp/skopt09/bin/python scripts/compare_baseline_versions.py replay /tmp/skopt-cells.json

(`optuna` likewise, with `optuna==3.3.0 numpy==1.23.4 scipy==1.12.0`.) `export` takes the first N cells of
seed 0 (default 10) under results/recorded/paper-grid/<method>/; `replay` needs only numpy and the library,
and calls it exactly as `experiments/runs/baselines/skopt_gp.py` and `optuna_tpe.py` do (the same seed from
the run's generator, the initial points clipped into the box, a failed evaluation told as the worst loss).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export(method: str, out: Path, limit: int = 10) -> None:
    import numpy as np

    from llambo_replay.bayesmark.tasks import load_task

    cells = []
    for history in sorted((ROOT / "results/recorded/paper-grid" / method).glob("*/*/0.csv"))[:limit]:
        dataset, model = history.parts[-3], history.parts[-2]
        task = load_task(dataset, model)
        with history.open() as f:
            rows = list(csv.DictReader(f))
        cells.append(
            {
                "cell": f"{dataset}/{model}/0",
                "space": [
                    {"name": p.name, "type": p.type, "low": p.low, "high": p.high, "log": p.transform == "log"}
                    for p in task.space.params
                ],
                "configs": [task.space.typed({n: float(r[n]) for n in task.space.names}) for r in rows],
                "scores": [float(r["score"]) for r in rows],
                "lower_is_better": task.lower_is_better,
                "random_state": int(np.random.default_rng(0).integers(2**31 - 1)),
            }
        )
    out.write_text(json.dumps({"method": method, "cells": cells}))
    print(f"{len(cells)} {method} cells written to {out}")


class Diverged(Exception):
    pass


def typed(space: list[dict], values: dict) -> dict:
    return {p["name"]: int(round(float(values[p["name"]]))) if p["type"] == "int" else float(values[p["name"]])
            for p in space}  # fmt: skip


def finite(losses: list[float]) -> list[float]:
    told: list[float] = []
    for loss in losses:
        told.append(loss if math.isfinite(loss) else max(told, default=1e10))
    return told


def replay_skopt(cell: dict) -> int:
    from skopt import gp_minimize
    from skopt.space import Integer, Real

    space, n = cell["space"], 5
    dims = [Integer(int(p["low"]), int(p["high"]), name=p["name"]) if p["type"] == "int"
            else Real(p["low"], p["high"], prior="log-uniform" if p["log"] else "uniform", name=p["name"])
            for p in space]  # fmt: skip
    sign = 1.0 if cell["lower_is_better"] else -1.0
    told = finite([sign * s for s in cell["scores"][:n]])
    step = [0]

    def loss(point: list) -> float:
        k = step[0]
        if typed(space, dict(zip([p["name"] for p in space], point))) != cell["configs"][n + k]:
            raise Diverged(k)
        step[0] += 1
        told[:] = finite([*told, sign * cell["scores"][n + k]])
        return told[-1]

    inside = [[min(max(c[d.name], d.low), d.high) for d in dims] for c in cell["configs"][:n]]
    gp_minimize(loss, dims, x0=inside, y0=list(told), n_calls=len(cell["configs"]) - n, n_initial_points=0,
                random_state=cell["random_state"], acq_func="EI", acq_optimizer="lbfgs")  # fmt: skip
    return step[0]


def replay_optuna(cell: dict) -> int:
    import optuna
    from optuna.distributions import FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space, n = cell["space"], 5
    distributions = {p["name"]: IntDistribution(int(p["low"]), int(p["high"])) if p["type"] == "int"
                     else FloatDistribution(p["low"], p["high"], log=p["log"]) for p in space}  # fmt: skip
    sampler = optuna.samplers.TPESampler(
        multivariate=True, seed=cell["random_state"], n_startup_trials=n, n_ei_candidates=20
    )
    study = optuna.create_study(direction="minimize" if cell["lower_is_better"] else "maximize", sampler=sampler)
    for config, score in zip(cell["configs"][:n], cell["scores"][:n]):
        inside = {k: min(max(config[k], d.low), d.high) for k, d in distributions.items()}
        state = {} if math.isfinite(score) else {"state": optuna.trial.TrialState.FAIL}
        value = {"value": score} if math.isfinite(score) else {}
        study.add_trial(optuna.trial.create_trial(params=inside, distributions=distributions, **value, **state))
    for k in range(len(cell["configs"]) - n):
        trial = study.ask(distributions)
        if typed(space, trial.params) != cell["configs"][n + k]:
            return k
        study.tell(trial, cell["scores"][n + k])
    return len(cell["configs"]) - n


def replay(path: Path) -> None:
    data = json.loads(path.read_text())
    run = {"skopt": replay_skopt, "optuna": replay_optuna}[data["method"]]
    library = {"skopt": "scikit-optimize", "optuna": "optuna"}[data["method"]]
    from importlib.metadata import version

    print(f"{library} {version(library)}, numpy {version('numpy')}, scipy {version('scipy')}")
    same = 0
    for cell in data["cells"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                agreed = run(cell)
            except Diverged as diverged:
                agreed = diverged.args[0]
        total = len(cell["configs"]) - 5
        same += agreed == total
        print(f"{cell['cell']}: {agreed}/{total} proposals as recorded"
              + ("" if agreed == total else f" (differs from proposal {agreed + 1})"))  # fmt: skip
    print(f"{same}/{len(data['cells'])} cells proposed exactly as recorded")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "export":
        export(sys.argv[2], Path(sys.argv[3]), *(int(a) for a in sys.argv[4:5]))
    elif len(sys.argv) == 3 and sys.argv[1] == "replay":
        replay(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
