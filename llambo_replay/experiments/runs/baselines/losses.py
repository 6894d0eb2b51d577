"""What a baseline optimiser is told: the objective's signature and the loss of a failed evaluation."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

Objective = Callable[[dict[str, float]], Mapping[str, float]]
FAILED_LOSS = 1e10  # told for a failed evaluation before any evaluation succeeded


def finite_losses(losses: Sequence[float]) -> list[float]:
    """What an optimiser that refuses NaN and inf (a GP) is told: a failed evaluation (seen: a diverged
    MLP on diabetes) counts as the worst finite loss told before it; the history keeps the real score.
    The official objective asserts finite losses, so its run would have stopped there
    (docs/differences.md)."""
    told: list[float] = []
    for loss in losses:
        told.append(loss if math.isfinite(loss) else max(told, default=FAILED_LOSS))
    return told
