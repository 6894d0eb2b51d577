"""Check that the paper's Optuna and SKOPT workers propose what the official code's `bo_optuna.py` and
`bo_skopt.py` propose, on a synthetic loss over a mixed space, from the same five initial points.

Needs the baseline's environment plus what the official functions import and the workers do not:

    uv venv cmp && uv pip install --python cmp/bin/python -r \
        llambo_replay/experiments/runs/baselines/envs/optuna.txt pandas==1.5.3 ConfigSpace==0.7.1
    cmp/bin/python scripts/compare_paper_optuna_skopt.py optuna /path/to/LLAMBO [n_trials]

(`skopt` likewise, with `envs/skopt.txt`.) The official functions read the initial points' losses through
`bo_tpe(..., just_fetch_information=True)`, which evaluates them in order; a stand-in does that here, so the
paper's TPE need not be installed. The official code is read from a checkout of tennisonliu/LLAMBO, never
shipped; its sampler's import of openai (unused here) is stood in for.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

from official_comparison import WORKERS, RecordedObjective, compare_seeds, config_space, subspace

SPACE = subspace(["C", "gamma", "n", "frac", "depth"])  # the order `order_list` hands the official function


def fetch_initial(bench, config_space, n_runs, n_init, seed=0, config_init=None, **_):
    """`bo_tpe` with no runs: the initial points evaluated in order, returned column by column."""
    import numpy as np

    losses = [bench(config) for config in config_init[:n_init]]
    names = [hp.name for hp in config_space.get_hyperparameters()]
    return {**{n: np.array([c[n] for c in config_init[:n_init]]) for n in names}, "loss": np.array(losses)}


def official(kind: str, seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    checkout = Path(sys.argv[2])
    sys.path[:0] = [str(checkout / "exp_warmstarting"), str(checkout / "exp_baselines")]
    sys.modules.setdefault("openai", types.ModuleType("openai"))
    sys.modules["bo_models.bo_tpe"] = types.SimpleNamespace(bo_tpe=fetch_initial)
    objective = RecordedObjective()
    names = [p["name"] for p in SPACE]
    if kind == "optuna":
        from bo_models.bo_optuna import bo_optuna as run
    else:
        from bo_models.bo_skopt import bo_skopt as run
    run(objective, config_space(SPACE), n_trials, 5, seed=seed, config_init=initial, order_list=names)
    return objective.all_results


def main() -> None:
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("optuna", "skopt"):
        sys.exit(__doc__)
    sys.path.insert(0, str(WORKERS))
    kind, n_trials = sys.argv[1], int(sys.argv[3]) if len(sys.argv) == 4 else 25
    if kind == "optuna":
        from workers.optuna_paper import PaperOptuna as ours
    else:
        from workers.skopt_paper import PaperSKOPT

        def ours(space, seed, options):
            return PaperSKOPT(space, seed, {"n_trials": n_trials})

    same = compare_seeds(range(3), SPACE, lambda s, i, n: official(kind, s, i, n), ours, n_trials, f"{kind} ")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
