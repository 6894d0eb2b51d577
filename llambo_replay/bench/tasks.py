"""The paper's 25 Bayesmark tasks: 5 scikit-learn models x 5 toy datasets, with its fixed arguments.

Data come from the `bayesmark` package's loaders and split as bayesmark does (test_size
0.2, shuffle seed 0); diabetes targets are standardised with the training split's
mean and std, which reproduces the paper's published scores exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import train_test_split
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
    "MLP_SGD": (MLPClassifier, MLPRegressor, {"solver": "sgd", "early_stopping": True, "max_iter": 40,
                                              "learning_rate": "invscaling", "nesterovs_momentum": True,
                                              "random_state": 0}, {"activation": "tanh"}),
}
# Where scikit-learn exports each estimator: the official warm-starting prompts name it so ("sklearn.svm.SVC").
ESTIMATOR_MODULES = {"RandomForest": "sklearn.ensemble", "DecisionTree": "sklearn.tree", "SVM": "sklearn.svm",
                     "AdaBoost": "sklearn.ensemble", "MLP_SGD": "sklearn.neural_network"}
CLASSIFIER_ONLY_ARGS = {"SVM": {"probability": True, "random_state": 0}}
DATASETS: dict[str, str] = {"breast": "accuracy", "digits": "accuracy", "iris": "accuracy", "wine": "accuracy",
                            "diabetes": "neg_mean_squared_error"}
TEST_SIZE = 0.2
SPLIT_SEED = 0


def _choices(kind: str, value: str, valid: dict[str, Any]) -> str:
    if value not in valid:
        raise UsageError(f"unknown {kind} {value!r}; choose one of: {', '.join(valid)}")
    return value


@lru_cache(maxsize=1)
def search_spaces() -> dict[str, dict[str, Any]]:
    """The paper's search spaces (`hp_configurations/bayesmark.json`), shipped with the package."""
    from llambo_replay.bench.reference import search_spaces as paper_search_spaces

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

    @property
    def metric(self) -> str:
        return DATASETS[self.dataset]

    @property
    def is_classification(self) -> bool:
        return self.metric != "neg_mean_squared_error"

    @property
    def lower_is_better(self) -> bool:
        return not self.is_classification

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.model}"

    @property
    def space(self) -> SearchSpace:
        return SearchSpace.from_spec(search_spaces()[self.model])

    def estimator(self, params: dict[str, Any]) -> Any:
        classifier, regressor, fixed, regressor_only = MODELS[self.model]
        extra = CLASSIFIER_ONLY_ARGS.get(self.model, {}) if self.is_classification else regressor_only
        return (classifier if self.is_classification else regressor)(**params, **fixed, **extra)

    @cached_property
    def context(self) -> TaskContext:
        classifier, regressor, _, _ = MODELS[self.model]
        estimator = classifier if self.is_classification else regressor
        return TaskContext(model=self.model, task="classification" if self.is_classification else "regression",
                           metric=self.metric, lower_is_better=self.lower_is_better, num_samples=len(self.X),
                           tot_feats=self.X.shape[1], num_feats=self.X.shape[1], cat_feats=0,
                           n_classes=int(len(np.unique(self.y))) if self.is_classification else None,
                           estimator=f"{ESTIMATOR_MODULES[self.model]}.{estimator.__name__}",
                           dataset_size=self.dataset_size or len(self.X), class_counts=self.class_counts,
                           statistics=training_statistics(self.X, self.y))


def training_statistics(X: np.ndarray, y: np.ndarray) -> DatasetStatistics:
    """Skewness, kurtosis and strong (|r| > 0.5) correlations of the training split, as the official
    `get_task_dict` computes them for its Full_Context warm-starting prompt (target label-encoded)."""
    import pandas as pd

    features = pd.DataFrame(X)
    target = pd.Series(np.unique(y, return_inverse=True)[1].astype(float))  # LabelEncoder's codes
    to_target = features.corrwith(target).abs().to_numpy()
    pairs = features.corr().abs().to_numpy()[np.triu_indices(features.shape[1], k=1)]
    return DatasetStatistics(skew=tuple(float(v) for v in features.skew()),
                             kurtosis=tuple(float(v) for v in features.kurtosis()),
                             target_correlated=int(np.sum(to_target[~np.isnan(to_target)] > 0.5)),
                             feature_pairs=len(pairs), pairs_correlated=int(np.sum(pairs[~np.isnan(pairs)] > 0.5)))


@lru_cache(maxsize=32)
def load_task(dataset: str, model: str) -> Task:
    from bayesmark.data import load_data  # heavy import, only when a task is built

    _choices("dataset", dataset, DATASETS)
    _choices("model", model, MODELS)
    X, y, _ = load_data(dataset)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SIZE, random_state=SPLIT_SEED,
                                                        shuffle=True)
    if DATASETS[dataset] == "neg_mean_squared_error":
        # The paper standardises regression targets with the training split's mean and std.
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    counts = tuple(int(c) for c in np.sort(np.unique(y, return_counts=True)[1])[::-1]) \
        if DATASETS[dataset] != "neg_mean_squared_error" else ()
    return Task(dataset, model, X_train, y_train, X_test, y_test, len(X), counts)
