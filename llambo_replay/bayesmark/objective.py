"""The Bayesmark objective: 5-fold CV score on the training split, and the test-split score."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import cross_val_score

from llambo_replay.bayesmark.numerics import pinned_threads
from llambo_replay.bayesmark.objective_protocols import PROTOCOL_VERSION
from llambo_replay.bayesmark.tasks import Task

if TYPE_CHECKING:
    from llambo_replay.bayesmark.memo import ObjectiveMemo

CV_FOLDS = 5


def task_objective(task: Task, memo: ObjectiveMemo | None = None) -> Callable[[dict[str, Any]], dict[str, float]]:
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
