"""Recorded objective evaluations: the run's black box, stored beside its LLM calls.

An evaluation's score is written into the next prompts, so a score that moves in its 6th
digit on another machine (another BLAS kernel) changes the prompts, the request keys, and the
replay misses. So while recording, every evaluation (task, configuration, protocol version ->
score, generalization_score, with the environment it was computed in) is stored in the cassette
tree; a replay takes the recorded value and is exact on any machine.

The recording is the source of truth for what a run saw: it is committed, reviewable and
machine-independent. The diskcache memo (`bayesmark.memo`) only saves this machine from retraining
what it has computed before; it is never consulted for a recorded value.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from llambo_replay import namespaces
from llambo_replay.bayesmark.fidelity import is_fragile, same
from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.bayesmark.numerics import describe, environment
from llambo_replay.bayesmark.objective import task_objective
from llambo_replay.bayesmark.objective_modes import objective_policy
from llambo_replay.bayesmark.objective_protocols import OBJECTIVE_PROTOCOLS, PROTOCOL_VERSION
from llambo_replay.bayesmark.tasks import Task
from llambo_replay.errors import UsageError
from llambo_replay.replay import CassetteStore, RecordMode
from llambo_replay.replay.calls import RecordedCalls
from llambo_replay.replay.canonical import canonical_json

MISS_HINT = (
    "record it with --mode auto (or --objective recompute to evaluate on this machine); a run recorded "
    "before evaluations were recorded needs `llambo-replay migrate` first"
)

OLD_PROTOCOL_HINT = (
    f"this run was recorded under an older objective protocol, which is replayed, never computed; "
    f"record the run anew to use the current one ({PROTOCOL_VERSION})"
)

METRICS = ("score", "generalization_score")  # what `objective.evaluate` returns, in its order


def namespace(task: Task, protocol: str = PROTOCOL_VERSION) -> str:
    """One namespace per task and protocol, shared by every run, method and seed on it: an evaluation is
    recorded once."""
    return namespaces.evaluations(protocol, task.dataset, task.model)


def function(protocol: str = PROTOCOL_VERSION) -> str:
    """The recorded function's name, part of every evaluation's key."""
    return f"bayesmark-objective/{protocol}"


def check_protocol(protocol: str) -> str:
    if protocol not in OBJECTIVE_PROTOCOLS:
        raise UsageError(
            f"unknown objective protocol {protocol!r}; this version knows: {', '.join(OBJECTIVE_PROTOCOLS)}"
        )
    return protocol


def encode(result: dict[str, float]) -> dict[str, Any]:
    """JSON has no NaN (a diverged model's CV score): non-finite values are stored as text."""
    return {k: (v if math.isfinite(v) else repr(v)) for k, v in result.items()}


def decode(stored: dict[str, Any]) -> dict[str, float]:
    """Back to floats, in the objective's own order (stored entries sort their keys)."""
    return {metric: float(stored[metric]) for metric in METRICS}


@dataclass(frozen=True)
class Drift:
    """A recorded evaluation that this machine computes differently."""

    config: dict[str, Any]
    metric: str
    recorded: float
    here: float
    fragile: bool  # our own value moves when the training data move by one ulp
    recorded_on: dict[str, Any] | None

    def line(self) -> str:
        kind = "numerically fragile" if self.fragile else "robust (not a rounding effect)"
        gap = abs(self.recorded - self.here)
        return (
            f"{self.metric} {self.recorded!r} recorded vs {self.here!r} here (|Δ| {gap:.3g}, "
            f"{kind}; recorded on {describe(self.recorded_on)}) for {canonical_json(self.config)}"
        )


@dataclass
class RecordedObjective:
    """The task's objective behind the cassettes (and, for what must be computed, the memo)."""

    task: Task
    store: CassetteStore
    mode: RecordMode
    objective_mode: str = "recorded"
    memo: ObjectiveMemo | None = None
    compute_misses: bool = False  # a recomputed method computes what its drifted trajectory asks anew
    protocol: str = PROTOCOL_VERSION  # an older run replays the evaluations recorded under its own protocol
    computed: int = 0
    replayed: int = 0
    drift: list[Drift] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.policy = objective_policy(self.objective_mode)
        check_protocol(self.protocol)
        # Only the current protocol is computed and recorded: an older one's misses are misses, whatever the
        # mode (`--objective recompute` computes the current protocol and stores nothing).
        old = self.protocol != PROTOCOL_VERSION
        mode = (RecordMode.REPLAY if old else self.mode) if self.policy.recorded else RecordMode.LIVE
        self.calls = RecordedCalls(
            self.store,
            namespace(self.task, self.protocol),
            mode,
            self.compute_misses and not old,
            OLD_PROTOCOL_HINT if old else MISS_HINT,
        )
        self._compute = task_objective(self.task, self.memo)
        self._environments: dict[str, dict[str, Any] | None] = {}
        self._verified: set[str] = set()

    def __call__(self, config: dict[str, Any]) -> dict[str, float]:
        answer = self.calls.call(
            function(self.protocol), {"task": self.task.name, "config": config}, lambda: self._fresh(config)
        )
        result = decode(answer.result)
        env = answer.meta.get("environment")
        self._environments.setdefault(canonical_json(env), env)
        if answer.recorded:
            self.replayed += 1
            if self.policy.verifies:
                self._verify(config, result, env)
        else:
            self.computed += 1
        return result

    def _fresh(self, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        started = time.perf_counter()
        result = self._compute(config)
        return encode(result), {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 4),
            "environment": environment(),
        }

    def _verify(self, config: dict[str, Any], recorded: dict[str, float], env: dict[str, Any] | None) -> None:
        identity = canonical_json(config)
        if identity in self._verified:
            return
        self._verified.add(identity)
        here = task_objective(self.task)(config)  # never the memo: this checks what this machine computes now
        moved = [metric for metric, value in recorded.items() if not same(value, here.get(metric, math.nan))]
        fragile = bool(moved) and is_fragile(self.task, config, here)
        self.drift += [Drift(dict(config), m, recorded[m], here[m], fragile, env) for m in moved]

    def manifest(self) -> dict[str, Any]:
        """What a run manifest says about its evaluations: where they are and what computed them."""
        return {
            "objective": self.objective_mode,
            "function": function(self.protocol),
            "computed_on": [env for _, env in sorted(self._environments.items())],
        }

    def used_keys(self) -> dict[str, int]:
        return self.calls.used_keys() if self.policy.recorded else {}

    @property
    def verified(self) -> int:
        """Distinct recorded evaluations re-evaluated here (objective mode 'verify')."""
        return len(self._verified)

    @property
    def namespace(self) -> str:
        return self.calls.namespace


def seed_from_history(
    task: Task, store: CassetteStore, history: pd.DataFrame, source: str, protocol: str = OBJECTIVE_PROTOCOLS[0]
) -> dict[str, int]:
    """Record the evaluations a history already holds (each row: configuration -> scores), as they
    were when it was made; for runs recorded before evaluations were. Returns key -> rows."""
    calls = RecordedCalls(store, namespace(task, check_protocol(protocol)), RecordMode.AUTO)
    for row in history.to_dict("records"):
        config = task.space.typed(row)
        result = {metric: float(row[metric]) for metric in METRICS}
        answer = calls.call(
            function(protocol),
            {"task": task.name, "config": config},
            lambda result=result: (encode(result), {"environment": None, "migrated_from": source}),
        )
        if answer.recorded and not all(same(v, decode(answer.result)[k]) for k, v in result.items()):
            raise UsageError(
                f"{source}: {canonical_json(config)} is already recorded with other scores "
                f"({answer.result}); the history and the cassettes disagree"
            )
    return calls.used_keys()
