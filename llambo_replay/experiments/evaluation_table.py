"""The official evaluations' table: per observed-set size and row, each metric's mean over seeds (± its
standard error when there are several). The surrogate and sampler evaluations write theirs with it, and
`tables --evaluations` renders the same numbers as LaTeX, CSV and figures."""

from __future__ import annotations

import pandas as pd

GROUP = "n_observed"


def aggregate(frame: pd.DataFrame, rows: str, metrics: list[str]) -> pd.DataFrame:
    """Mean and standard error (`<metric>_se`) over seeds, per observed-set size and row, in first-seen order."""
    grouped = frame.groupby([GROUP, rows], sort=False)[metrics]
    means, errors = grouped.mean(), grouped.sem().add_suffix("_se")
    table = means.join(errors).reset_index()
    table.insert(2, "seeds", grouped.size().to_numpy())
    return table


def cells(frame: pd.DataFrame, rows: str, metrics: list[str], pm: str) -> list[list[str]]:
    seeds = frame["seed"].nunique()
    table = aggregate(frame, rows, metrics)
    return [[str(r[GROUP]), str(r[rows]), *(f"{r[m]:.4g}" + (f" {pm} {r[m + '_se']:.2g}" if seeds > 1 else "")
                                            for m in metrics)] for _, r in table.iterrows()]


def markdown(frame: pd.DataFrame, rows: str, metrics: list[str], caption: str) -> str:
    """The official table: per observed-set size and row, each metric's mean (± s.e. with several seeds)."""
    lines = [caption, "", f"| {GROUP} | {rows} | " + " | ".join(metrics) + " |", "|" + "---|" * (len(metrics) + 2)]
    lines += ["| " + " | ".join(row) + " |" for row in cells(frame, rows, metrics, "±")]
    return "\n".join(lines) + "\n"
