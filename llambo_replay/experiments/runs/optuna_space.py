"""The search space as Optuna distributions, as every Optuna study of the official code builds them:
integers on a linear scale, floats on a log scale for the 'log' transform only (never 'logit')."""

from __future__ import annotations

from typing import Any

from llambo_replay.llambo.space import SearchSpace


def optuna_distributions(space: SearchSpace) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    return {
        p.name: IntDistribution(int(p.low), int(p.high))
        if p.type == "int"
        else FloatDistribution(p.low, p.high, log=p.transform == "log")
        for p in space.params
    }
