"""The Bayesmark objective: 5-fold CV score on the training split, and the test-split score."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import cross_val_score

from llambo_replay.bayesmark.numerics import pinned_threads
from llambo_replay.bayesmark.tasks import Task

if TYPE_CHECKING:
    from llambo_replay.bayesmark.memo import ObjectiveMemo

CV_FOLDS = 5
# Bump when anything here or in `tasks` changes what a score means. Runs keep the version they were
# recorded with (their manifest names it) and replay its recorded evaluations; only the current one is
# computed. 2: bayesmark's loaders and split, scikit-learn 1.1.3. 3: the official repository's data
# (diabetes standardised twice, the synthetic functions), scikit-learn 1.3.2 (see docs/data.md, "Why these pins").
PROTOCOL_VERSION = "bayesmark-paper-3"
PROTOCOLS = ("bayesmark-paper-2", PROTOCOL_VERSION)


def manifest_protocol(manifest: dict[str, Any]) -> str:
    """The objective protocol a run manifest names; manifests made before they named one used the first."""
    return manifest.get("task", {}).get("objective_protocol", PROTOCOLS[0])


def task_objective(task: Task, memo: "ObjectiveMemo | None" = None) -> Callable[[dict[str, Any]], dict[str, float]]:
    """`evaluate` bound to a task, behind the memo when one is given."""
    def plain(config: dict[str, Any]) -> dict[str, float]:
        return evaluate(task, config)

    return memo.wrap(task.name, PROTOCOL_VERSION, plain) if memo else plain


def evaluate(task: Task, config: dict[str, Any]) -> dict[str, float]:
    """`score` and `generalization_score`; MSE is reported positive (lower is better)."""
    scorer = get_scorer(task.metric)
    sign = -1.0 if task.lower_is_better else 1.0
    with warnings.catch_warnings(), pinned_threads():
        warnings.simplefilter("ignore")
        cv = cross_val_score(task.estimator(config), task.X, task.y, scoring=scorer, cv=CV_FOLDS)
        model = task.estimator(config).fit(task.X, task.y)
        test = scorer(model, task.X_test, task.y_test)
    return {"score": float(sign * np.mean(cv)), "generalization_score": float(sign * test)}
