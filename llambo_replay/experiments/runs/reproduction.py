"""Reproduction policy as data: how each method's history is reproduced (the objective's own modes are
`bayesmark.objective_modes`).

Kept free of heavy imports: the command line reads these tables to build its help.
"""

from __future__ import annotations

from llambo_replay.experiments.runs.baselines import REGISTRY

# "replayed": every number that floating-point rounding could change comes from a recording (LLM
# answers, evaluations, an optimiser's proposals), so the history is byte-identical on any machine.
# "recomputed": numerics run again, byte-identical only in the environment they were made in and
# close elsewhere (the component metrics; see experiments.evaluations.component_run).
REPRODUCTION: dict[str, str] = {"llambo": "replayed", **{name: "replayed" for name in REGISTRY}}

# Baselines whose proposals come from floating-point numerics (a GP fit and its acquisition optimum,
# TPE's Parzen estimators, SMAC's random forest): a trajectory can fork on another BLAS kernel (seen:
# GP-EI on digits/MLP_SGD, final best score moved by 0.15), so the proposals are recorded like LLM
# answers. Random search draws from the seeded generator, which is the same everywhere.
RECORDED_PROPOSALS = frozenset(name for name, b in REGISTRY.items() if b.recorded)

# What `check` does not require a replay to reproduce in a committed run manifest, and why; every other
# field (budget, settings, LLM request counts and cost, initial points, the cassette keys used, ...) must
# come out of the replay equal, and the committed history (and trials) files byte-identical.
INFORMATIONAL_MANIFEST_FIELDS: dict[str, str] = {
    "versions": "the library versions of the machine that wrote the file",
    "mode": "the record mode the run was made in (a check replays)",
    "engine.endpoint_host": "the endpoint the run was recorded from (a replay has none)",
    "cassette_store": "the cassette folder a run was recorded into, when not the default (a check may read a copy)",
}

# Columns of a run's trials file (its per-trial diagnostics) that measure this machine, not the run.
INFORMATIONAL_TRIAL_COLUMNS: dict[str, str] = {"wall_s": "the seconds a trial took on the machine that ran it"}
