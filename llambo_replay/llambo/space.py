"""Search spaces: typed hyperparameters with bounds, sampling, range checks and log10 warping."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.llambo import exact

TYPES = ("int", "float", "ordinal")
TRANSFORMS = ("linear", "log", "logit")


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    type: str
    transform: str
    low: float
    high: float
    values: tuple[float, ...] = ()  # ordinal choices

    @property
    def warps(self) -> bool:
        """Input warping maps log-scaled hyperparameters to log10 space (the paper's warping)."""
        return self.transform == "log"

    @cached_property
    def log10_bounds(self) -> tuple[float, float]:
        """The bounds in log10 space, exactly (they reach prompts, range checks and every random draw)."""
        return exact.log10(self.low), exact.log10(self.high)

    def contains(self, value: float, warped: bool = False) -> bool:
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        if self.type == "ordinal":
            return any(math.isclose(value, v, abs_tol=1e-2) for v in self.values)
        low, high = self.log10_bounds if warped and self.warps else (self.low, self.high)
        if not low <= value <= high:
            return False
        return self.type != "int" or (warped and self.warps) or float(value).is_integer()


@dataclass(frozen=True)
class SearchSpace:
    params: tuple[Hyperparameter, ...]

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> SearchSpace:
        """From the paper's format: ``{name: [type, transform, [low, high]]}`` (ordinal: list of values)."""
        params = []
        for name, entry in spec.items():
            try:
                kind, transform, bounds = entry
                if kind not in TYPES or transform not in TRANSFORMS:
                    raise ValueError
                values = tuple(float(v) for v in bounds) if kind == "ordinal" else ()
                low, high = (min(values), max(values)) if values else (float(bounds[0]), float(bounds[1]))
                if low > high:
                    raise ValueError
            except (TypeError, ValueError):
                raise UsageError(
                    f"bad search-space entry for {name!r}: expected [int|float|ordinal, "
                    f"linear|log|logit, [low, high]], got {entry!r}"
                ) from None
            params.append(Hyperparameter(name, kind, transform, low, high, values))
        if not params:
            raise UsageError("the search space is empty")
        return cls(tuple(params))

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def __getitem__(self, name: str) -> Hyperparameter:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def typed(self, config: Mapping[str, float]) -> dict[str, float]:
        """The configuration as the objective sees it: int hyperparameters rounded to Python ints,
        the rest Python floats (never numpy scalars, which JSON and memo keys reject)."""
        return {
            p.name: (int(round(float(config[p.name]))) if p.type == "int" else float(config[p.name]))
            for p in self.params
        }

    def frame(self, configs: list[Mapping[str, float]]) -> pd.DataFrame:
        """Configurations as a DataFrame in the space's column order, int hyperparameters as ints."""
        return pd.DataFrame([self.typed(c) for c in configs], columns=self.names)

    def contains(self, config: Mapping[str, float], warped: bool = False) -> bool:
        return set(config) == set(self.names) and all(p.contains(config[p.name], warped) for p in self.params)

    def sample(self, rng: np.random.Generator, n: int) -> list[dict[str, float]]:
        """Uniform in each hyperparameter's transformed scale (log-uniform for log, ...)."""
        configs = []
        for _ in range(n):
            config: dict[str, float] = {}
            for p in self.params:
                if p.type == "ordinal":
                    config[p.name] = float(p.values[int(rng.integers(len(p.values)))])
                    continue
                u = float(rng.uniform())
                if p.transform == "log":
                    low, high = p.log10_bounds
                    value = exact.pow10(low + u * (high - low))
                elif p.transform == "logit" and 0 < p.low < p.high < 1:
                    lo, hi = _logit(p.low), _logit(p.high)
                    value = 1 / (1 + exact.exp(-(lo + u * (hi - lo))))
                else:
                    value = p.low + u * (p.high - p.low)
                config[p.name] = float(min(max(round(value) if p.type == "int" else value, p.low), p.high))
            configs.append(config)
        return configs

    def warp(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Log-scaled hyperparameters to log10 (exactly, on every CPU: the values reach prompts and points)."""
        return self._map_warped(frame, exact.log10)

    def unwarp(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Back from log10 (exactly, on every CPU: the values are the points evaluated)."""
        return self._map_warped(frame, exact.pow10)

    def _map_warped(self, frame: pd.DataFrame, function: Callable[[float], float]) -> pd.DataFrame:
        out = frame.copy()
        for p in self.params:
            if p.warps and p.name in out:
                out[p.name] = [function(v) for v in out[p.name].astype(float)]
        return out


def _logit(x: float) -> float:
    return exact.ln(x / (1 - x))
