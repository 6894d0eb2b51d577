"""How a run treats its objective, as data: take recorded evaluations, recompute them, or verify them.

Kept free of heavy imports: the command line reads this table to build its help.
"""

from __future__ import annotations

from dataclasses import dataclass

from llambo_replay.errors import UsageError


@dataclass(frozen=True)
class ObjectivePolicy:
    recorded: bool  # take recorded evaluations (and record new ones when the run's mode records)
    verifies: bool  # also re-evaluate every recorded evaluation here and report drift
    summary: str


OBJECTIVE_MODES: dict[str, ObjectivePolicy] = {
    "recorded": ObjectivePolicy(True, False, "use recorded evaluations; record new ones in record/auto mode"),
    "recompute": ObjectivePolicy(
        False,
        False,
        "evaluate every configuration on this machine and store nothing "
        "(on another BLAS kernel the prompts, and so the keys, may then differ)",
    ),
    "verify": ObjectivePolicy(
        True, True, "use recorded evaluations, and re-evaluate each here to report numerical drift"
    ),
}


def objective_policy(name: str) -> ObjectivePolicy:
    if name not in OBJECTIVE_MODES:
        raise UsageError(f"unknown objective mode {name!r}; choose one of: {', '.join(OBJECTIVE_MODES)}")
    return OBJECTIVE_MODES[name]
