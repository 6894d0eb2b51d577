"""Shared by the experiment tests."""

from __future__ import annotations

import pytest

from llambo_replay.bayesmark import reference
from llambo_replay.experiments.runs.run_spec import RunSpec
from llambo_replay.llambo import LlamboSettings


@pytest.fixture
def short_wine_spec() -> RunSpec:
    """wine/AdaBoost, seed 0, from the paper's shared points, 5 + 2 evaluations: a baseline cell in seconds."""
    return RunSpec(
        "wine",
        "AdaBoost",
        0,
        settings=LlamboSettings(n_initial=5, n_trials=2),
        reference=str(reference.check_reference(None)),
    )
