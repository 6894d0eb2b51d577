"""The paper's 40 Bayesmark tasks: 5 scikit-learn models x 8 datasets, with its fixed arguments.

The data are the official repository's own splits (`paper_data/`, converted from its pickles once;
see SOURCE.md): the five public data sets as bayesmark splits them (test_size 0.2, shuffle seed 0)
and the paper's three synthetic regression functions (200 train + 200 test rows, 15 features in
[-1, 1]). Regression targets are standardised with the training split's mean and std, as the
official `run_bayesmark.py` does; diabetes' pickled targets are standardised already, so diabetes is
standardised twice, which moves the last bits and is what reproduces the published scores. (The
published synthetic histories' initial rows were scored on targets standardised once more per row;
`load_task(..., standardisations=n)` builds those tasks for `fidelity`, docs/data.md.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from llambo_replay.errors import UsageError
from llambo_replay.llambo.prompts import DatasetStatistics, TaskContext
from llambo_replay.llambo.space import SearchSpace

# model -> (classifier, regressor, fixed arguments for both, fixed arguments for the regressor only)
MODELS: dict[str, tuple[type, type, dict[str, Any], dict[str, Any]]] = {
    "RandomForest": (RandomForestClassifier, RandomForestRegressor, {"n_estimators": 10, "random_state": 0}, {}),
    "DecisionTree": (DecisionTreeClassifier, DecisionTreeRegressor, {"random_state": 0}, {}),
    "SVM": (SVC, SVR, {"kernel": "rbf"}, {}),
    "AdaBoost": (AdaBoostClassifier, AdaBoostRegressor, {"random_state": 0}, {}),
    "MLP_SGD": (
        MLPClassifier,
        MLPRegressor,
        {
            "solver": "sgd",
            "early_stopping": True,
            "max_iter": 40,
            "learning_rate": "invscaling",
            "nesterovs_momentum": True,
            "random_state": 0,
        },
        {"activation": "tanh"},
    ),
}
# Where scikit-learn exports each estimator: the official warm-starting prompts name it so ("sklearn.svm.SVC").
ESTIMATOR_MODULES = {
    "RandomForest": "sklearn.ensemble",
    "DecisionTree": "sklearn.tree",
    "SVM": "sklearn.svm",
    "AdaBoost": "sklearn.ensemble",
    "MLP_SGD": "sklearn.neural_network",
}
CLASSIFIER_ONLY_ARGS = {"SVM": {"probability": True, "random_state": 0}}
DATASETS: dict[str, str] = {
    "breast": "accuracy",
    "digits": "accuracy",
    "iris": "accuracy",
    "wine": "accuracy",
    "diabetes": "neg_mean_squared_error",
    "griewank": "neg_mean_squared_error",
    "ktablet": "neg_mean_squared_error",
    "rosenbrock": "neg_mean_squared_error",
}
# The paper reports the public data sets and its synthetic functions as two families.
FAMILIES: dict[str, str] = {
    "breast": "public",
    "digits": "public",
    "iris": "public",
    "wine": "public",
    "diabetes": "public",
    "griewank": "synthetic",
    "ktablet": "synthetic",
    "rosenbrock": "synthetic",
}
# where each data set's arrays lie under paper_data/ (the official repository's layout)
DATA_FILES: dict[str, str] = {
    name: (f"bayesmark/data/{name}.npz" if family == "public" else f"custom_dataset/{name}.npz")
    for name, family in FAMILIES.items()
}


def _choices(kind: str, value: str, valid: dict[str, Any]) -> str:
    if value not in valid:
        raise UsageError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")
    return value


@lru_cache(maxsize=1)
def search_spaces() -> dict[str, dict[str, Any]]:
    """The paper's search spaces (`hp_configurations/bayesmark.json`), shipped with the package."""
    from llambo_replay.bayesmark.reference import search_spaces as paper_search_spaces

    return paper_search_spaces()


@dataclass(frozen=True)
class Task:
    dataset: str
    model: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    dataset_size: int = 0  # before the split
    class_counts: tuple[int, ...] = ()  # of the whole data set, largest first (classification)
    standardisations: int = 1  # how many times the targets were standardised (regression; `load_task`)

    @property
    def metric(self) -> str:
        return DATASETS[self.dataset]

    @property
    def family(self) -> str:
        return FAMILIES[self.dataset]

    @property
    def is_classification(self) -> bool:
        return self.metric != "neg_mean_squared_error"

    @property
    def lower_is_better(self) -> bool:
        return not self.is_classification

    @property
    def name(self) -> str:
        """What recordings and the memo key a task by; a task standardised more than once is another task."""
        base = f"{self.dataset}/{self.model}"
        return base if self.standardisations == 1 else f"{base}/targets-standardised-{self.standardisations}x"

    @property
    def space(self) -> SearchSpace:
        return SearchSpace.from_spec(search_spaces()[self.model])

    @property
    def estimator_class(self) -> type:
        classifier, regressor, _, _ = MODELS[self.model]
        return classifier if self.is_classification else regressor

    def estimator(self, params: dict[str, Any], overrides: dict[str, Any] | None = None) -> Any:
        """The model with hyperparameters `params` and the benchmark's fixed arguments, `overrides` replacing
        some of those (a hyperparameter that collides with a fixed argument is an error, as it should be)."""
        _, _, fixed, regressor_only = MODELS[self.model]
        extra = CLASSIFIER_ONLY_ARGS.get(self.model, {}) if self.is_classification else regressor_only
        return self.estimator_class(**params, **{**fixed, **extra, **(overrides or {})})

    @cached_property
    def context(self) -> TaskContext:
        estimator = self.estimator_class
        return TaskContext(
            model=self.model,
            task="classification" if self.is_classification else "regression",
            metric=self.metric,
            lower_is_better=self.lower_is_better,
            num_samples=len(self.X),
            tot_feats=self.X.shape[1],
            num_feats=self.X.shape[1],
            cat_feats=0,
            n_classes=int(len(np.unique(self.y))) if self.is_classification else None,
            estimator=f"{ESTIMATOR_MODULES[self.model]}.{estimator.__name__}",
            dataset_size=self.dataset_size or len(self.X),
            class_counts=self.class_counts,
            statistics=training_statistics(self.X, self.y),
        )


def training_statistics(X: np.ndarray, y: np.ndarray) -> DatasetStatistics:
    """Skewness, kurtosis and strong (|r| > 0.5) correlations of the training split, as the official
    `get_task_dict` computes them for its Full_Context warm-starting prompt (target label-encoded)."""
    import pandas as pd

    features = pd.DataFrame(X)
    target = pd.Series(np.unique(y, return_inverse=True)[1].astype(float))  # LabelEncoder's codes
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column (digits has some) correlates as NaN
        to_target = features.corrwith(target).abs().to_numpy()
        pairs = features.corr().abs().to_numpy()[np.triu_indices(features.shape[1], k=1)]
    return DatasetStatistics(
        skew=tuple(float(v) for v in features.skew()),
        kurtosis=tuple(float(v) for v in features.kurtosis()),
        target_correlated=int(np.sum(to_target[~np.isnan(to_target)] > 0.5)),
        feature_pairs=len(pairs),
        pairs_correlated=int(np.sum(pairs[~np.isnan(pairs)] > 0.5)),
    )


def load_arrays(dataset: str) -> dict[str, np.ndarray]:
    """The official split of `dataset` as shipped (train_x, train_y, test_x, test_y); no pickle is read."""
    from llambo_replay.bayesmark.reference import PACKAGED

    _choices("dataset", dataset, DATASETS)
    with np.load(PACKAGED / DATA_FILES[dataset], allow_pickle=False) as data:
        return {name: data[name] for name in ("train_x", "train_y", "test_x", "test_y")}


@lru_cache(maxsize=64)
def load_task(dataset: str, model: str, standardisations: int = 1) -> Task:
    """The task as `run_bayesmark.py` builds it; `standardisations` > 1 applies its target standardisation
    again, as the paper's synthetic runs did to their initial rows (`reference.target_standardisations`)."""
    _choices("dataset", dataset, DATASETS)
    _choices("model", model, MODELS)
    data = load_arrays(dataset)
    X_train, X_test, y_train, y_test = data["train_x"], data["test_x"], data["train_y"], data["test_y"]
    regression = DATASETS[dataset] == "neg_mean_squared_error"
    if standardisations < 1 or (standardisations > 1 and not regression):
        raise UsageError(f"{dataset} cannot have its targets standardised {standardisations} times")
    for _ in range(standardisations if regression else 0):
        # As run_bayesmark.py: standardised with the training split's mean and std (np.std, ddof 0).
        mean, std = np.mean(y_train), np.std(y_train)
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    labels = np.concatenate([y_train, y_test])
    counts = () if regression else tuple(int(c) for c in np.sort(np.unique(labels, return_counts=True)[1])[::-1])
    return Task(dataset, model, X_train, y_train, X_test, y_test, len(labels), counts, standardisations)
