"""Record and replay a deterministic black box (JSON arguments in, JSON result out) like an LLM call.

An LLM is not the only thing a replay must not recompute: anything whose floating-point result
can change between machines (a model trained with BLAS, say) makes the next prompt, and so the
next request key, machine-dependent. `RecordedCalls` stores such results in the same cassette
store, content-addressed by the function's name and arguments, under the same record modes.
The function must be deterministic on a given machine: every call with the same arguments is
answered by the one stored result (slot 0), however often it is asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llambo_replay.errors import ReplayMiss
from llambo_replay.replay import diff
from llambo_replay.replay.canonical import normalise_numbers, request_key
from llambo_replay.replay.modes import RecordMode, policy
from llambo_replay.replay.storage.store import CassetteStore

Computed = tuple[Any, dict[str, Any]]  # (result, metadata stored beside it)


@dataclass
class Answer:
    result: Any
    meta: dict[str, Any]
    recorded: bool  # served from the store (True) or computed by this process (False)


@dataclass
class RecordedCalls:
    """Calls of one black box, in one namespace of a store.

    `compute_misses` lets replay mode compute what is not recorded (and store nothing), for
    callers whose own results are recomputed anyway and only want recorded values where they exist.
    """

    store: CassetteStore
    namespace: str
    mode: RecordMode
    compute_misses: bool = False
    miss_hint: str = "record it with --mode auto or --mode record"
    used: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.policy = policy(self.mode)
        if self.policy.reads_store or self.policy.writes_store:
            self.store.check_usable(writes=self.policy.writes_store)

    @staticmethod
    def request(function: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return {"function": function, "arguments": normalise_numbers(arguments)}

    def call(self, function: str, arguments: dict[str, Any], compute: Callable[[], Computed]) -> Answer:
        canonical = self.request(function, arguments)
        key = request_key(canonical)
        self.used[key] += 1
        if self.policy.reads_store:
            stored = self.store.get_slot(self.namespace, key, 0)
            if stored is not None:
                return Answer(stored["response"], stored["meta"], recorded=True)
        if not (self.policy.calls_endpoint or self.compute_misses):
            raise ReplayMiss(
                f"replay miss: no recorded {function} call for key {key} (namespace {self.namespace!r}); "
                f"{self.miss_hint}",
                details="\n".join(diff.explain_miss(self.store, self.namespace, canonical)),
            )
        result, meta = compute()
        if self.policy.writes_store:
            stored = self.store.put(self.namespace, key, 0, canonical, result, meta)
            return Answer(stored["response"], stored["meta"], recorded=False)
        return Answer(result, meta, recorded=False)

    def used_keys(self) -> dict[str, int]:
        """Key -> number of calls, for manifests (and for pruning against them)."""
        return dict(sorted(self.used.items()))
