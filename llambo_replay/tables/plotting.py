"""How every figure is drawn, so that its bytes are the same wherever the pinned stack runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STYLES = [("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"), ("-", "v"), ("--", "P"), ("-.", "X")]


@contextmanager
def plotting() -> Iterator[Any]:
    """pyplot on the Agg backend with the bundled font and no path simplification: the same PNG bytes
    wherever the pinned stack runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(
        {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "llambo-replay", "path.simplify": False}
    ):
        yield plt
