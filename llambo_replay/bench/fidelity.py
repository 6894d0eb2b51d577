"""Re-evaluate the paper's published LLAMBO histories with our objective, row by row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from llambo_replay.bench import reference
from llambo_replay.bench.tasks import load_task

TOLERANCE = 1e-9


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

    @property
    def exact(self) -> bool:
        return (abs(self.published_score - self.our_score) <= TOLERANCE
                and abs(self.published_generalization - self.our_generalization) <= TOLERANCE)


def rows(root: Path, datasets: list[str], models: list[str], seeds: list[int] | None,
         objective_for: Callable[[str, str], Callable[[dict], dict]]) -> Iterator[Row]:
    for dataset in datasets:
        for model in models:
            task = load_task(dataset, model)
            evaluate = objective_for(dataset, model)
            for seed in seeds if seeds is not None else reference.published_seeds(root, dataset, model):
                history = reference.published_history(root, dataset, model, seed)
                for index, published in history.iterrows():
                    config = {p.name: (int(published[p.name]) if p.type == "int" else float(published[p.name]))
                              for p in task.space.params}
                    ours = evaluate(config)
                    yield Row(dataset, model, seed, int(index), float(published["score"]), ours["score"],
                              float(published["generalization_score"]), ours["generalization_score"])


def mismatch_table(found: list[Row]) -> pd.DataFrame:
    return pd.DataFrame([vars(r) for r in found if not r.exact],
                        columns=list(Row.__dataclass_fields__))
