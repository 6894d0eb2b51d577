"""The official repository's data, shipped as .npz: the arrays its pickles hold, read without unpickling,
and evaluated as its run_bayesmark.py evaluates them."""

from __future__ import annotations

import hashlib
import json
import pickle
import shlex

import numpy as np
import pytest
from cli_helpers import run_cli as cli
from sklearn import datasets as sklearn_datasets
from sklearn.model_selection import train_test_split

from llambo_replay.bayesmark import tasks
from llambo_replay.bayesmark.fidelity import published_config
from llambo_replay.bayesmark.objective import evaluate
from llambo_replay.bayesmark.reference import PACKAGED, published_history, target_standardisations
from llambo_replay.errors import UsageError

CHECKSUMS = json.loads((PACKAGED / "data_checksums.json").read_text())
# what bayesmark 0.0.8's `bayesmark.data.load_data` calls for each public data set
LOADERS = {
    "breast": sklearn_datasets.load_breast_cancer,
    "digits": sklearn_datasets.load_digits,
    "iris": sklearn_datasets.load_iris,
    "wine": sklearn_datasets.load_wine,
    "diabetes": sklearn_datasets.load_diabetes,
}


@pytest.mark.parametrize("dataset", list(tasks.DATASETS))
def test_the_shipped_arrays_are_those_the_official_pickles_hold(dataset):
    recorded = CHECKSUMS[tasks.DATA_FILES[dataset]]
    arrays = tasks.load_arrays(dataset)
    for name, digest in recorded["arrays"].items():
        array = np.ascontiguousarray(arrays[name])
        assert (array.dtype.str, list(array.shape)) == (digest["dtype"], digest["shape"])
        assert hashlib.sha256(array.tobytes()).hexdigest() == digest["sha256"], f"{dataset} {name}"
    assert len(recorded["official_sha256"]) == 64 and recorded["official_file"].endswith(".pickle")


@pytest.mark.parametrize("dataset", ["breast", "digits", "iris", "wine"])
def test_the_classification_splits_are_bayesmarks_split_of_scikit_learns_data(dataset):
    X, y = LOADERS[dataset](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, shuffle=True)
    arrays = tasks.load_arrays(dataset)
    for ours, theirs in zip((X_train, y_train, X_test, y_test), ("train_x", "train_y", "test_x", "test_y")):
        assert np.array_equal(ours, arrays[theirs])


def test_diabetes_is_pickled_standardised_and_evaluated_standardised_twice():
    X, y = LOADERS["diabetes"](return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=0, shuffle=True)
    pickled = tasks.load_arrays("diabetes")
    assert np.array_equal(X_train, pickled["train_x"])
    once = (y_train - y_train.mean()) / y_train.std()
    assert np.allclose(once, pickled["train_y"], rtol=0, atol=1e-15)
    task = tasks.load_task("diabetes", "SVM")
    twice = (pickled["train_y"] - np.mean(pickled["train_y"])) / np.std(pickled["train_y"])
    assert np.array_equal(task.y, twice)
    assert not np.array_equal(task.y, pickled["train_y"])  # the second standardisation moves the last bits


@pytest.mark.parametrize("dataset", ["griewank", "ktablet", "rosenbrock"])
def test_the_synthetic_tasks_are_the_papers_regression_functions(dataset):
    task = tasks.load_task(dataset, "SVM")
    assert task.family == "synthetic" and task.metric == "neg_mean_squared_error" and task.lower_is_better
    assert task.X.shape == task.X_test.shape == (200, 15)
    assert task.X.min() >= -1 and task.X.max() <= 1
    assert abs(task.y.mean()) < 1e-12 and task.y.std() == pytest.approx(1.0)
    assert task.context.task == "regression" and task.context.num_samples == 200


@pytest.mark.parametrize(
    "dataset,model,seed",
    [
        ("diabetes", "RandomForest", 0),
        ("diabetes", "DecisionTree", 1),
        ("rosenbrock", "SVM", 0),
        ("griewank", "DecisionTree", 2),
    ],
)
def test_published_rows_reproduce_on_the_official_data(dataset, model, seed):
    task = tasks.load_task(dataset, model)
    history = published_history(None, dataset, model, seed)
    for _, row in history.head(4).iterrows():
        ours = evaluate(task, published_config(task.space, row))
        assert ours["score"] == pytest.approx(row["score"], abs=1e-9)
        assert ours["generalization_score"] == pytest.approx(row["generalization_score"], abs=1e-9)


def _reproduces(task, row) -> bool:
    ours = evaluate(task, published_config(task.space, row))
    return ours["score"] == pytest.approx(row["score"], abs=1e-9) and ours["generalization_score"] == pytest.approx(
        row["generalization_score"], abs=1e-9
    )


@pytest.mark.slow
def test_the_synthetic_initial_rows_were_scored_on_targets_standardised_once_more_per_row():
    """The published synthetic histories' i-th initial row was scored on targets standardised i + 1 times
    (every later row once). griewank/AdaBoost seed 0 shows it: of the counts 1, 2, 4 and 6, each initial
    row reproduces with its own alone, and the first BO row (5) with one again."""
    history = published_history(None, "griewank", "AdaBoost", 0)
    for index, expected in ((1, 2), (3, 4), (5, 1)):
        matches = [
            n for n in (1, 2, 4, 6) if _reproduces(tasks.load_task("griewank", "AdaBoost", n), history.iloc[index])
        ]
        assert matches == [expected] == [target_standardisations("griewank", index)]
    assert [target_standardisations(d, 2) for d in ("diabetes", "iris", "rosenbrock")] == [1, 1, 3]


def test_a_task_standardised_again_is_another_task():
    once, thrice = tasks.load_task("ktablet", "SVM"), tasks.load_task("ktablet", "SVM", 3)
    assert once.name == "ktablet/SVM" and thrice.name == "ktablet/SVM/targets-standardised-3x"  # memo, recordings
    assert np.allclose(once.y, thrice.y, rtol=0, atol=1e-14) and not np.array_equal(once.y, thrice.y)
    for dataset, n in (("iris", 2), ("ktablet", 0)):
        with pytest.raises(UsageError, match=f"cannot have its targets standardised {n} times"):
            tasks.load_task(dataset, "SVM", n)


def test_no_pickle_is_loaded_to_build_and_evaluate_any_task(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was loaded at run time")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    tasks.load_task.cache_clear()
    for dataset in tasks.DATASETS:
        task = tasks.load_task(dataset, "DecisionTree")
        config = task.space.typed(task.space.sample(np.random.default_rng(0), 1)[0])
        assert np.isfinite(evaluate(task, config)["score"])
    tasks.load_task.cache_clear()


@pytest.mark.slow
def test_llambo_runs_on_a_synthetic_task_records_and_check_replays_it(tmp_path):
    """`run --dataset rosenbrock` end to end: recorded against a real loopback HTTP server into a store of
    one's own, then replayed by the command its manifest names, and by `check` with no store given."""

    from llm_responder import llambo_responder

    from llambo_replay.replay.loopback import LoopbackServer

    flags = ["--dataset", "rosenbrock", "--model", "SVM", "--reference", "--trials", "2", "--n-candidates", "4"]
    flags += ["--n-gens", "2", "--out", "mine/llambo", "--cassettes", "my-cassettes", "--no-memo"]
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        recorded = cli("run", "--mode", "record", "--base-url", server.base_url, *flags, cwd=tmp_path, timeout=600)
    assert recorded.returncode == 0, recorded.stderr
    assert "mean_squared_error, lower is better" in recorded.stdout
    manifest = json.loads((tmp_path / "mine/llambo/rosenbrock/SVM/0.manifest.json").read_text())
    assert manifest["task"]["objective_protocol"] == "bayesmark-paper-3"
    command = shlex.split(manifest["replay_command"])
    assert command[0] == "llambo-replay" and command[-2:] == ["--cassettes", "my-cassettes"]
    replayed = cli(*command[1:], cwd=tmp_path, timeout=600)
    assert replayed.returncode == 0, replayed.stderr
    history = "rosenbrock/SVM/0.csv"
    assert (tmp_path / "results/runs" / history).read_bytes() == (tmp_path / "mine/llambo" / history).read_bytes()
    checked = cli("check", "--results", "mine", cwd=tmp_path, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1/1 results reproduce: 1 replayed byte for byte" in checked.stdout  # one's own: not "committed"


def test_initial_points_are_read_once_but_an_edited_file_is_read_again(tmp_path):
    """`check` asks for the same 25 files thousands of times; what it gets is the file as it is now, and a
    caller that changes a configuration changes only its own copy."""
    import os
    import shutil

    from llambo_replay.bayesmark.reference import INITIAL_POINTS, initial_points

    shutil.copytree(PACKAGED / INITIAL_POINTS / "SVM", tmp_path / INITIAL_POINTS / "SVM")
    first = initial_points(tmp_path, "SVM", 0, 5)
    first[0]["C"] = -1.0
    assert initial_points(tmp_path, "SVM", 0, 5)[0]["C"] != -1.0
    path = tmp_path / INITIAL_POINTS / "SVM" / "0.json"
    edited = json.loads(path.read_text())
    edited[0]["C"] = 123.0
    path.write_text(json.dumps(edited))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert initial_points(tmp_path, "SVM", 0, 5)[0]["C"] == 123.0
