"""Bounds on run settings, as data: outside them a setting is a mistake (or hours of CPU and API
money spent on nothing), not an experiment. The paper uses 5 initial points, 25 trials, 10
candidates, 2 templates, 10 samples, alpha 0.1 and a top fraction of 0.25."""

from __future__ import annotations

import math

from llambo_replay.errors import UsageError

# setting -> (lowest, highest, the flag that sets it)
BOUNDS: dict[str, tuple[float, float, str]] = {
    "n_initial": (1, 100, "--init"),
    "n_trials": (0, 500, "--trials"),
    "n_candidates": (1, 100, "--n-candidates"),
    "n_templates": (1, 20, "--n-templates"),
    "n_gens": (1, 100, "--n-gens"),
    "min_candidates": (1, 100, "min_candidates"),
    "alpha": (-0.5, 0.5, "--alpha"),  # the paper tries -0.2 to 0.1
    "top_pct": (0.01, 0.99, "--top-pct"),
}


def check_bounds(settings: object) -> None:
    """Raise a one-line UsageError for the first bounded field of `settings` outside its bounds."""
    for name, (low, high, flag) in BOUNDS.items():
        if not hasattr(settings, name):
            continue
        value = getattr(settings, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise UsageError(f"{flag} must be between {low:g} and {high:g} (got {value!r})")
