"""Check that the paper's GP and GP-DKL workers propose what the official code's `bo_gp_class.py` and
`bo_dkgp.py` propose, on a synthetic loss over a mixed space, from the same five initial points.

Needs the `botorch` baseline environment plus pandas and ConfigSpace, which the official classes import
(the workers do not):

    uv venv cmp && uv pip install --python cmp/bin/python -r \
        llambo_replay/experiments/runs/baselines/envs/botorch.txt pandas==1.5.3 ConfigSpace==0.7.1
    cmp/bin/python scripts/compare_paper_gp.py /path/to/LLAMBO [n_trials]

Both seed torch's global generator once with the seed before the first proposal (the official script did
so once per process). The official code is read from a checkout of tennisonliu/LLAMBO, never shipped.
"""

from __future__ import annotations

import sys
import types
from functools import partial

from official_comparison import RecordedObjective, compare_seeds, config_space, main, subspace

GP_SPACE = subspace(["C", "gamma", "n", "frac"])  # the order `order_list` hands the official class


def official(kind: str, seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    import torch

    sys.modules["sampler"] = types.SimpleNamespace(sample_configurations=None)  # imports openai; unused here
    from bo_models.bo_dkgp import BO_optimization_DKL
    from bo_models.bo_gp_class import BO_optimization

    cs = config_space(GP_SPACE)
    objective = RecordedObjective()
    torch.manual_seed(seed)
    optimiser = {"gp": BO_optimization, "dkl": BO_optimization_DKL}[kind]
    optimiser(objective, cs, [p["name"] for p in GP_SPACE], seed=seed).optimize(n_trials, 5, initial)
    return objective.all_results


def run(n_trials: int) -> bool:
    from workers.botorch_dkl import PaperDKL
    from workers.botorch_gp import PaperGP

    gp = compare_seeds(range(2), GP_SPACE, partial(official, "gp"), PaperGP, n_trials, "gp ")
    return compare_seeds(range(2), GP_SPACE, partial(official, "dkl"), PaperDKL, n_trials, "dkl ") and gp


if __name__ == "__main__":
    main(__doc__, "exp_baselines", run, 10)
