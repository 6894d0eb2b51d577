"""Random search: the shared initial points, then uniform draws (log-uniform on log ranges) from the run's generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from llambo_replay.experiments.runs.baselines import Objective
from llambo_replay.llambo.loop import history_frame
from llambo_replay.llambo.space import SearchSpace


def optimise(
    space: SearchSpace,
    objective: Objective,
    initial: list[dict],
    n_trials: int,
    rng: np.random.Generator,
    lower_is_better: bool,
) -> pd.DataFrame:
    configs = [space.typed(c) for c in initial] + [space.typed(c) for c in space.sample(rng, n_trials)]
    return history_frame(space, configs, [objective(c) for c in configs])
