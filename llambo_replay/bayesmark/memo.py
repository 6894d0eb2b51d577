"""A local cache of objective evaluations, so recomputing runs, baselines and fidelity checks do not
retrain the same models twice.

It is a cache, not a record: it lives outside the repository, and its key holds the task, the
configuration, the objective's protocol version and the whole numerical environment (library
versions, BLAS kernels, SIMD level), so it only ever answers with what this kind of machine
computes. What a run saw is recorded in the cassettes (`bayesmark.evaluations`). Stored in a
diskcache folder, which is safe for several processes at once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache

from llambo_replay.bayesmark.numerics import environment
from llambo_replay.errors import UsageError
from llambo_replay.replay.canonical import content_hash, normalise_numbers

DEFAULT_MEMO_DIR = Path(os.environ.get("LLAMBO_REPLAY_MEMO", Path.home() / ".cache" / "llambo-replay" / "objective"))


def memo_key(task: str, config: dict[str, Any], protocol_version: str) -> str:
    return content_hash(
        {"task": task, "config": normalise_numbers(config), "protocol": protocol_version, "environment": environment()}
    )


class ObjectiveMemo:
    def __init__(self, directory: str | Path = DEFAULT_MEMO_DIR) -> None:
        try:
            self._cache = diskcache.Cache(str(directory))
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(
                f"cannot open the objective memo at {directory} ({reason}); pass --memo DIR or --no-memo"
            ) from None
        self.hits = self.misses = 0

    def wrap(
        self, task: str, protocol_version: str, evaluate: Callable[[dict[str, Any]], dict[str, float]]
    ) -> Callable[[dict[str, Any]], dict[str, float]]:
        def memoised(config: dict[str, Any]) -> dict[str, float]:
            key = memo_key(task, config, protocol_version)
            found = self._cache.get(key)
            if found is not None:
                self.hits += 1
                return dict(found["result"])
            self.misses += 1
            result = evaluate(config)
            self._cache.set(key, {"task": task, "config": dict(config), "result": dict(result)})
            return result

        return memoised

    def close(self) -> None:
        self._cache.close()
