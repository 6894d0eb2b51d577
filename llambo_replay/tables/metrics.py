"""Normalised regret and average rank, per trial, as in the paper's end-to-end Bayesmark results."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from llambo_replay.tables.results import History


def common_ground(histories: list[History]) -> tuple[list[History], list[History]]:
    """(kept, left out): only the (task, seed) cells that every method has, each history cut to its
    task's shortest, so that methods are compared on the same tasks, seeds and budget."""
    methods = {h.method for h in histories}
    cells: dict[tuple[str, int], set[str]] = {}
    for h in histories:
        cells.setdefault((h.task, h.seed), set()).add(h.method)
    kept = [h for h in histories if cells[(h.task, h.seed)] == methods]
    budget: dict[str, int] = {}
    for h in kept:
        budget[h.task] = min(budget.get(h.task, len(h.frame)), len(h.frame))
    return (
        [replace(h, frame=h.frame.iloc[: budget[h.task]]) for h in kept],
        [h for h in histories if cells[(h.task, h.seed)] != methods],
    )


def running_best(scores: np.ndarray, lower_is_better: bool) -> np.ndarray:
    return np.minimum.accumulate(scores) if lower_is_better else np.maximum.accumulate(scores)


def incumbent_values(frame: pd.DataFrame, lower_is_better: bool, column: str) -> np.ndarray:
    """`column` of the best-by-score configuration so far (generalization of the incumbent). A failed
    evaluation (a NaN score) is never the incumbent once any evaluation has succeeded."""
    scores = frame["score"].to_numpy(float)
    finite = np.isfinite(scores)
    best_index = np.zeros(len(scores), int)
    for i in range(1, len(scores)):
        current = best_index[i - 1]
        better = finite[i] and (
            not finite[current] or (scores[i] < scores[current] if lower_is_better else scores[i] > scores[current])
        )
        best_index[i] = i if better else current
    return frame[column].to_numpy(float)[best_index]


def regret_table(histories: list[History], column: str = "score") -> pd.DataFrame:
    """One row per (method, task, seed, trial): normalised regret of the incumbent.

    regret = |task best - incumbent| / |task best - task worst|, where best and worst are over
    every method's and seed's (finite) observations of `column` on that task.
    """
    rows = []
    by_task: dict[str, list[History]] = {}
    for h in histories:
        by_task.setdefault(h.task, []).append(h)
    for task, group in sorted(by_task.items()):
        lower = group[0].lower_is_better
        values = np.concatenate([h.frame[column].to_numpy(float) for h in group])
        values = values[np.isfinite(values)]  # a failed evaluation (NaN) bounds nothing
        best, worst = (values.min(), values.max()) if lower else (values.max(), values.min())
        span = abs(best - worst) or 1.0
        for h in group:
            incumbent = incumbent_values(h.frame, lower, column)
            for trial, value in enumerate(incumbent):
                rows.append((h.method, task, h.seed, trial, abs(best - value) / span))
    return pd.DataFrame(rows, columns=["method", "task", "seed", "trial", "regret"])


def seed_mean(regret: pd.DataFrame) -> pd.DataFrame:
    return regret.groupby(["method", "task", "trial"], as_index=False)["regret"].mean()


def curves(regret: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds, then over tasks, per method and trial; s.e. over tasks' seed means."""
    per_task = seed_mean(regret)
    grouped = per_task.groupby(["method", "trial"])["regret"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    out["se"] = (out["std"].fillna(0.0) / np.sqrt(out["count"])).astype(float)
    return out.drop(columns=["std"])


def ranks(regret: pd.DataFrame) -> pd.DataFrame:
    """Average rank of each method per trial (1 = lowest regret), over tasks present for every method."""
    per_task = seed_mean(regret)
    methods = per_task["method"].nunique()
    complete = per_task.groupby(["task", "trial"]).filter(lambda g: g["method"].nunique() == methods)
    # Regrets equal but for rounding (one ulp apart) tie: they are ranked on 12 decimals.
    tied = complete.assign(regret=complete["regret"].round(12))
    complete = complete.assign(rank=tied.groupby(["task", "trial"])["regret"].rank(method="average"))
    return complete.groupby(["method", "trial"], as_index=False)["rank"].mean()


def at_budget(regret: pd.DataFrame) -> pd.DataFrame:
    """The rows at each task's last trial (the shortest method's, should budgets differ)."""
    budget = regret.groupby(["task", "method"])["trial"].max().groupby("task").min()
    return regret[regret["trial"] == regret["task"].map(budget)]


def final_ranks(regret: pd.DataFrame) -> pd.DataFrame:
    """Per task: each method's rank (1 = lowest) of its seed-mean regret at the task's last trial, the
    unit the paper averages per ML model (its Tables 1 and 2)."""
    per_task = at_budget(regret).groupby(["method", "task"], as_index=False)["regret"].mean()
    tied = per_task["regret"].round(12)  # equal but for rounding: a tie
    return per_task.assign(rank=tied.groupby(per_task["task"]).rank(method="average"))


def final_regret(regret: pd.DataFrame) -> pd.DataFrame:
    """Per task and method: regret at the task's last trial, mean ± s.e. over seeds."""
    last = at_budget(regret)
    out = last.groupby(["task", "method"])["regret"].agg(["mean", "std", "count"]).reset_index()
    out["se"] = (out["std"].fillna(0.0) / np.sqrt(out["count"])).astype(float)
    out["trial"] = out["task"].map(last.groupby("task")["trial"].first())
    return out.drop(columns=["std"])


def bayesmark_score(regret: pd.DataFrame, random_method: str) -> pd.DataFrame:
    """Bayesmark's normalised score per trial: 100 × (1 − regret / regret of random search).

    100 is the best value seen on the task, 0 is random search's average at the same trial.
    Tasks without a random-search run are left out.
    """
    per_task = seed_mean(regret)
    random = per_task[per_task["method"] == random_method].set_index(["task", "trial"])["regret"]
    joined = per_task.join(random.rename("random"), on=["task", "trial"], how="inner")
    joined = joined[joined["random"] > 0]
    joined = joined.assign(score=100.0 * (1.0 - joined["regret"] / joined["random"]))
    return joined.groupby(["method", "trial"], as_index=False)["score"].mean()
