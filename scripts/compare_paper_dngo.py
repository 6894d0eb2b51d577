"""Check that the paper's DNGO worker proposes what the official code's `bo_dngo.py` (over its modified pybnn
and `exp_warmstarting/sampler.py`) proposes, on a synthetic loss over a mixed space, from the same five
initial points.

Needs the `botorch` baseline environment plus what the official classes import and the worker does not:

    uv venv cmp && uv pip install --python cmp/bin/python -r \
        llambo_replay/experiments/runs/baselines/envs/botorch.txt pandas==1.5.3 ConfigSpace==0.7.1 emcee==3.1.4
    cmp/bin/python scripts/compare_paper_dngo.py /path/to/LLAMBO [n_trials]

Both seed numpy's and torch's global generators once with the seed before the first proposal (the official
script did so once per process, with 0). The official code is read from a checkout of tennisonliu/LLAMBO,
never shipped; its sampler's imports of openai and scikit-optimize (unused by the sampler) are stood in for.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

from official_comparison import RecordedObjective, compare_seeds, config_space, main, subspace

DNGO_SPACE = subspace(["C", "gamma", "n", "frac", "depth"])  # the order `order_list` hands the official class


def official(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import numpy as np
    import torch

    checkout = Path(sys.argv[1])
    sys.path[:0] = [str(checkout / "exp_warmstarting"), str(checkout / "exp_baselines/bo_models")]
    sys.modules.setdefault("openai", types.ModuleType("openai"))
    sys.modules.setdefault("skopt", types.SimpleNamespace(gp_minimize=None))
    from bo_models.bo_dngo import BO_optimization_DNGO

    cs = config_space(DNGO_SPACE)
    objective = RecordedObjective()
    np.random.seed(seed)
    torch.manual_seed(seed)
    BO_optimization_DNGO(objective, cs, [p["name"] for p in DNGO_SPACE], seed=seed).optimize(n_trials, 5, initial)
    return objective.all_results


def run(n_trials: int) -> bool:
    from workers.dngo import PaperDNGO

    return compare_seeds(range(2), DNGO_SPACE, official, PaperDNGO, n_trials, "dngo ")


if __name__ == "__main__":
    main(__doc__, "exp_baselines", run, 10)
