"""Content-addressed memo of objective evaluations, so replays and tables do not retrain models.

Key: sha256 of the task, the configuration, the objective's protocol version and the
versions of the libraries that compute it. Stored in a diskcache folder, which is safe
for several processes at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache
import numpy as np
import sklearn

from llambo_replay.errors import UsageError
from llambo_replay.replay.canonical import content_hash, normalise_numbers

DEFAULT_MEMO_DIR = Path(os.environ.get("LLAMBO_REPLAY_MEMO", Path.home() / ".cache" / "llambo-replay" / "objective"))
VERSIONS = {"numpy": np.__version__, "scikit-learn": sklearn.__version__}


def memo_key(task: str, config: dict[str, Any], protocol_version: str) -> str:
    return content_hash({"task": task, "config": normalise_numbers(config), "protocol": protocol_version,
                         "versions": VERSIONS})


class ObjectiveMemo:
    def __init__(self, directory: str | Path = DEFAULT_MEMO_DIR) -> None:
        try:
            self._cache = diskcache.Cache(str(directory))
        except OSError as exc:
            raise UsageError(f"cannot open the objective memo at {directory} ({exc.strerror}); "
                             "pass --memo DIR or --no-memo") from None
        self.hits = self.misses = 0

    def wrap(self, task: str, protocol_version: str,
             evaluate: Callable[[dict[str, Any]], dict[str, float]]) -> Callable[[dict[str, Any]], dict[str, float]]:
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

    def verify(self, k: int, rng: np.random.Generator,
               evaluate_for: Callable[[str], Callable[[dict[str, Any]], dict[str, float]]]) -> list[str]:
        """Re-evaluate `k` random memoised points; one line per point whose result drifted."""
        keys = sorted(self._cache.iterkeys())
        drift = []
        for index in rng.permutation(len(keys))[:k]:
            entry = self._cache.get(keys[index])
            fresh = evaluate_for(entry["task"])(entry["config"])
            for name, value in entry["result"].items():
                if abs(fresh.get(name, np.nan) - value) > 1e-9 or not np.isfinite(fresh.get(name, np.nan)):
                    drift.append(f"{entry['task']} {entry['config']}: {name} memo {value!r} vs now {fresh.get(name)!r}")
        return drift

    def close(self) -> None:
        self._cache.close()
