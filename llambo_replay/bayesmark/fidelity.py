"""Re-evaluate the paper's published LLAMBO histories with our objective, row by row.

A row that does not reproduce is probed for numerical fragility: it is evaluated again on training
data moved by one unit in the last place, up and then down. If our own score moves, the row's
result depends on floating-point rounding (BLAS kernels, libm, summation order), so the published
number cannot be expected to reproduce on another machine; a robust mismatch points at a protocol
difference instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.objective import evaluate
from llambo_replay.bayesmark.tasks import Task, load_task
from llambo_replay.llambo.space import SearchSpace

TOLERANCE = 1e-9
NUDGES = (np.inf, -np.inf)  # directions in which np.nextafter moves every training value


@dataclass
class Row:
    dataset: str
    model: str
    seed: int
    row: int
    published_score: float
    our_score: float
    published_generalization: float
    our_generalization: float
    standardisations: int = 1  # of the targets, as this row was scored (`reference.target_standardisations`)
    fragile: bool | None = None  # probed only when the row does not reproduce

    @property
    def exact(self) -> bool:
        return same(self.published_score, self.our_score) and same(
            self.published_generalization, self.our_generalization
        )


def same(published: float, ours: float) -> bool:
    """Equal to TOLERANCE; a NaN (a diverged model's CV score) reproduces only as NaN."""
    if np.isnan(published) or np.isnan(ours):
        return bool(np.isnan(published) and np.isnan(ours))
    return abs(published - ours) <= TOLERANCE


def rows(
    root: Path,
    datasets: list[str],
    models: list[str],
    seeds: list[int] | None,
    objective_for: Callable[[Task], Callable[[dict], dict]],
) -> Iterator[Row]:
    for dataset in datasets:
        for model in models:
            space = load_task(dataset, model).space
            for seed in seeds if seeds is not None else reference.published_seeds(root, dataset, model):
                history = reference.published_history(root, dataset, model, seed)
                for index, published in history.iterrows():
                    # the task as this row was scored (its targets standardised again, for some rows)
                    task = load_task(dataset, model, reference.target_standardisations(dataset, int(index)))
                    config = published_config(space, published)
                    ours = objective_for(task)(config)
                    row = Row(
                        dataset,
                        model,
                        seed,
                        int(index),
                        float(published["score"]),
                        ours["score"],
                        float(published["generalization_score"]),
                        ours["generalization_score"],
                        task.standardisations,
                    )
                    if not row.exact:
                        row.fragile = is_fragile(task, config, ours)
                    yield row


def published_config(space: SearchSpace, published: pd.Series) -> dict:
    """A published row's configuration as the paper evaluated it: int hyperparameters truncated with
    int() (the official code's cast), not rounded as our own proposals are."""
    return {p.name: (int(published[p.name]) if p.type == "int" else float(published[p.name])) for p in space.params}


@dataclass(frozen=True)
class Tally:
    exact: int
    fragile: int  # only mismatches are probed, so exact + fragile never double-counts
    total: int

    @classmethod
    def of(cls, found: list[Row]) -> Tally:
        return cls(sum(r.exact for r in found), sum(bool(r.fragile) for r in found), len(found))


def tally(found: list[Row], key: Callable[[Row], object]) -> dict[object, Tally]:
    """Exact and fragile counts per group, groups in first-seen order."""
    groups: dict[object, list[Row]] = {}
    for row in found:
        groups.setdefault(key(row), []).append(row)
    return {k: Tally.of(g) for k, g in groups.items()}


@lru_cache(maxsize=16)
def nudged(dataset: str, model: str, standardisations: int, direction: float) -> Task:
    """The task with every training value one ulp further towards `direction` (labels stay labels)."""
    task = load_task(dataset, model, standardisations)
    y = task.y if task.is_classification else np.nextafter(task.y, direction)
    return dataclasses.replace(task, X=np.nextafter(task.X, direction), y=y)


def is_fragile(task: Task, config: dict, ours: dict[str, float]) -> bool:
    """Whether our own scores for `config` move when the training data move by one ulp (never memoised:
    the memo is keyed by task, and these are not the task's data)."""
    return any(
        not same(evaluate(nudged(task.dataset, task.model, task.standardisations, d), config)[k], ours[k])
        for d in NUDGES
        for k in ours
    )


def mismatch_table(found: list[Row]) -> pd.DataFrame:
    return pd.DataFrame([vars(r) for r in found if not r.exact], columns=list(Row.__dataclass_fields__))


def rows_table(found: list[Row]) -> pd.DataFrame:
    """Every row with its verdict, so that fidelity runs over parts of the data can be summarised together."""
    return pd.DataFrame([{**vars(r), "exact": r.exact} for r in found], columns=[*Row.__dataclass_fields__, "exact"])


# The groups docs/evaluations.md reports, as (name, which rows): data-set family (and the public family's two
# kinds) x model family, then per data set.
def _groups(frame: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    from llambo_replay.bayesmark.tasks import FAMILIES

    family = frame["dataset"].map(FAMILIES)
    ada = frame["model"] == "AdaBoost"
    kinds = [
        ("public", family.eq("public")),
        ("public, classification", family.eq("public") & frame["dataset"].ne("diabetes")),
        ("public, diabetes", frame["dataset"].eq("diabetes")),
        ("synthetic", family.eq("synthetic")),
    ]
    groups = [
        (f"{name} × {'AdaBoost' if a else 'RandomForest, DecisionTree, SVM, MLP_SGD'}", rows & (ada if a else ~ada))
        for name, rows in kinds
        for a in (False, True)
    ]
    groups += [("all non-AdaBoost rows", ~ada), ("all AdaBoost rows", ada)]
    groups += [(dataset, frame["dataset"].eq(dataset)) for dataset in FAMILIES if dataset in set(frame["dataset"])]
    return groups + [("all", frame["dataset"].notna())]


def summary_markdown(frame: pd.DataFrame) -> str:
    """The fidelity table of docs/evaluations.md, from `rows_table` output (one or many runs concatenated)."""
    lines = ["| rows | exact | exact or fragile |", "|---|---|---|"]
    for name, rows in _groups(frame):
        part = frame[rows]
        if part.empty:
            continue
        exact = int(part["exact"].sum())
        fragile = int(part["fragile"].eq(True).sum())  # probed mismatches only; empty for exact rows
        n = len(part)
        lines.append(f"| {name} | {exact:,}/{n:,} ({100 * exact / n:.1f} %) | {exact + fragile:,}/{n:,} |")
    return "\n".join(lines) + "\n"


def write_outputs(found: list[Row], out: Path) -> None:
    """`fidelity_mismatches.csv` (each mismatch and whether it is fragile), `fidelity_rows.csv` (every row)
    and `fidelity_summary.md` (the docs' table) into `out`."""
    rows = rows_table(found)
    mismatch_table(found).to_csv(out / "fidelity_mismatches.csv", index=False, lineterminator="\n")
    rows.to_csv(out / "fidelity_rows.csv", index=False, lineterminator="\n")
    (out / "fidelity_summary.md").write_text(summary_markdown(rows))
