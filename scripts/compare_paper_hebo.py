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

import sys
import types

import numpy as np
from official_comparison import RecordedObjective, compare_seeds, config_space, loss, main, subspace

HEBO_SPACE = subspace(["C", "depth", "frac", "gamma"])


def official(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import torch

    def tpe_observations(fun, config_space, n_runs, n_init, seed, config_init, **_):
        names = list(config_space.get_hyperparameter_names())
        observed = {n: np.array([c[n] for c in config_init]) for n in names}
        return {**observed, "loss": np.array([loss(c) for c in config_init])}

    sys.modules["bo_models.bo_tpe"] = types.SimpleNamespace(bo_tpe=tpe_observations)  # needs parzen_estimator
    from bo_models.bo_hebo import bo_hebo

    cs = config_space(HEBO_SPACE)
    objective = RecordedObjective()
    np.random.seed(seed)
    torch.manual_seed(seed)
    bo_hebo(objective, cs, n_trials, 5, seed, initial)
    return [dict(c) for c in initial] + objective.all_results


def run(n_trials: int) -> bool:
    from workers.hebo import PaperHEBO

    return compare_seeds(range(2), HEBO_SPACE, official, PaperHEBO, n_trials)


if __name__ == "__main__":
    main(__doc__, "exp_baselines", run, 10)
