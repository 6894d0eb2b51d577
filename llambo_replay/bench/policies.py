"""Reproduction policy as data: how each method's history is reproduced, and how a run treats its objective.

Kept free of heavy imports: the command line reads these tables to build its help.
"""

from __future__ import annotations

from dataclasses import dataclass

from llambo_replay.bench.baselines import REGISTRY
from llambo_replay.errors import UsageError

# "replayed": every number that floating-point rounding could change comes from a recording (LLM
# answers, evaluations, an optimiser's proposals), so the history is byte-identical on any machine.
# "recomputed": numerics run again, byte-identical only in the environment they were made in and
# close elsewhere (the component metrics; see bench.component_run).
REPRODUCTION: dict[str, str] = {"llambo": "replayed", **{name: "replayed" for name in REGISTRY}}

# Baselines whose proposals come from floating-point numerics (a GP fit and its acquisition optimum,
# TPE's Parzen estimators, SMAC's random forest): a trajectory can fork on another BLAS kernel (seen:
# GP-EI on digits/MLP_SGD, final best score moved by 0.15), so the proposals are recorded like LLM
# answers. Random search draws from the seeded generator, which is the same everywhere.
RECORDED_PROPOSALS = frozenset(name for name, b in REGISTRY.items() if b.recorded)


@dataclass(frozen=True)
class ObjectivePolicy:
    recorded: bool  # take recorded evaluations (and record new ones when the run's mode records)
    verifies: bool  # also re-evaluate every recorded evaluation here and report drift
    summary: str


OBJECTIVE_MODES: dict[str, ObjectivePolicy] = {
    "recorded": ObjectivePolicy(True, False, "use recorded evaluations; record new ones in record/auto mode"),
    "recompute": ObjectivePolicy(False, False, "evaluate every configuration on this machine and store nothing "
                                               "(on another BLAS kernel the prompts, and so the keys, may then differ)"),
    "verify": ObjectivePolicy(True, True, "use recorded evaluations, and re-evaluate each here to report numerical "
                                          "drift"),
}


def objective_policy(name: str) -> ObjectivePolicy:
    if name not in OBJECTIVE_MODES:
        raise UsageError(f"unknown objective mode {name!r}; choose one of: {', '.join(OBJECTIVE_MODES)}")
    return OBJECTIVE_MODES[name]
