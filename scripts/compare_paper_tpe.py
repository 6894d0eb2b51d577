"""Check that the paper's TPE worker proposes what the official code's vendored tpe_single proposes.

Runs both, in the `tpe` baseline environment, on a synthetic loss over a mixed space (log-scaled and
linear floats and ints), from the same five initial points, for three seeds, and prints whether every
proposal is identical. The official code is read from a checkout of tennisonliu/LLAMBO (never shipped or
committed here):

    llambo-replay baselines install tpe       # prints the environment's folder, ENV
    ENV/bin/python scripts/compare_paper_tpe.py /path/to/LLAMBO [n_trials]
"""

from __future__ import annotations

from official_comparison import SPACE, compare_seeds, config_space, loss, main

TPE_SPACE = [SPACE[i] for i in (0, 3, 4, 1, 2)]  # C, gamma, n, depth, frac: the order the comparison was made in


def official(seed: int, initial: list[dict], n_trials: int) -> list[dict]:
    from tpe.optimizer import TPEOptimizer
    from tpe.utils.constants import QuantileFunc

    cs = config_space(TPE_SPACE)

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
        obj_func=objective, config_space=cs, max_evals=5 + n_trials, n_init=5,
        weight_func_choice="expected-improvement", quantile_func=QuantileFunc(choice="linear", alpha=0.15),
        seed=seed, resultfile="temp", magic_clip=True, magic_clip_exponent=2.0, heuristic="hyperopt",
        min_bandwidth_factor=0.03,
    ).optimize()  # fmt: skip
    return seen


def run(n_trials: int) -> bool:
    from workers.tpe_paper import PaperTPE

    return compare_seeds(range(3), TPE_SPACE, official, PaperTPE, n_trials)


if __name__ == "__main__":
    main(__doc__, "exp_baselines/tpe_single", run, 25)
