"""Baselines that run in a worker process inside their own environment: the ask/tell protocol over a real
pipe, a worker's failure as one line, a worker that ends with its parent, and (where the environment is
installed) each paper baseline recorded and then replayed with no environment at all."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.objective import evaluate
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.check import check_run
from llambo_replay.experiments.runs import baseline_run
from llambo_replay.experiments.runs.baseline_run import run_baseline
from llambo_replay.experiments.runs.baselines import REGISTRY, environments, worker_client
from llambo_replay.experiments.runs.baselines.worker_client import WorkerError, run_worker, within
from llambo_replay.replay import RecordMode
from tests.cli_helpers import run_cli

# A worker that needs nothing but the standard library, so the protocol runs under the test's own Python.
# It refuses to be asked twice without being told the result in between.
TOY = textwrap.dedent(
    """
    import random

    DISTRIBUTIONS = ("pytest",)


    class Toy:
        def __init__(self, space, seed, options):
            self.space, self.rng, self.told, self.asked = space, random.Random(seed), 0, 0

        def tell(self, config, loss):
            self.told += 1

        def ask(self):
            if self.space[0]["name"] == "explode":
                raise RuntimeError("boom")
            if self.told != 5 + self.asked:
                raise ValueError(f"asked again after {self.told} tells")
            self.asked += 1
            return {
                p["name"]: self.rng.randint(p["low"], p["high"]) if p["type"] == "int"
                else self.rng.uniform(p["low"], p["high"])
                for p in self.space
            }


    FACTORY = Toy
    """
)


@pytest.fixture
def toy_workers(tmp_path, monkeypatch) -> Path:
    """A copy of the workers folder with the toy optimiser beside the real ones."""
    workers = tmp_path / "workers"
    shutil.copytree(worker_client.SERVE.parent, workers)
    (workers / "toy.py").write_text(TOY)
    monkeypatch.setattr(worker_client, "SERVE", workers / "serve.py")
    return workers


def rosenbrock_run(n_trials: int = 3, seed: int = 1, score=None):
    task = load_task("rosenbrock", "SVM")
    calls = []

    def objective(config):
        calls.append(config)
        result = evaluate(task, config)
        return {**result, "score": score} if score is not None and len(calls) == 2 else result

    initial = reference.initial_points(None, "SVM", 1, 5)
    ran = run_worker(Path(sys.executable), "toy", task.space, objective, initial, n_trials, seed, task.lower_is_better)
    return task, calls, ran


def test_a_worker_is_told_every_result_before_it_is_asked_again(toy_workers):
    task, calls, ran = rosenbrock_run()
    assert len(ran.configs) == len(calls) == 8 and ran.configs == calls
    assert all(within(task.space, c) for c in ran.configs[5:])
    assert len(ran.seconds) == 3 and all(s >= 0 for s in ran.seconds)
    assert set(ran.versions) == {"pytest"}
    assert rosenbrock_run()[2].configs == ran.configs, "the same seed proposes the same points"
    assert rosenbrock_run(seed=2)[2].configs[5:] != ran.configs[5:]


def test_a_failed_evaluation_is_told_as_the_worst_loss_so_far(toy_workers):
    _, _, ran = rosenbrock_run(score=float("nan"))
    assert len(ran.configs) == 8  # the worker was told a finite loss and went on


def test_a_worker_that_fails_is_one_line_naming_it(toy_workers):
    from llambo_replay.llambo.space import Hyperparameter, SearchSpace

    space = SearchSpace([Hyperparameter("explode", "float", "linear", 0.0, 1.0)])
    initial = [{"explode": 0.5}] * 5
    with pytest.raises(WorkerError, match=r"^baseline worker 'toy' failed: RuntimeError: boom$"):
        run_worker(Path(sys.executable), "toy", space, lambda c: {"score": 0.0}, initial, 1, 0, True)


def test_a_worker_that_cannot_start_says_what_it_printed_last(toy_workers):
    (toy_workers / "toy.py").write_text("import no_such_module_here\n")
    with pytest.raises(WorkerError, match="No module named 'no_such_module_here'"):
        rosenbrock_run()


def test_a_worker_ends_when_its_parent_is_killed(toy_workers, tmp_path):
    parent = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from llambo_replay.experiments.runs.baselines import worker_client
        worker_client.SERVE = Path({str(toy_workers / "serve.py")!r})
        with worker_client.Worker(Path(sys.executable), "toy") as worker:
            print(worker.process.pid, flush=True)
            time.sleep(600)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    worker_pid = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    for _ in range(100):  # its input closed with the parent: it exits by itself
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker_pid, signal.SIGKILL)
    pytest.fail("the worker outlived its parent")


def test_a_proposal_may_pass_a_bound_by_float32_rounding_only():
    task = load_task("iris", "SVM")
    inside = {"C": 1000.0001220703125, "gamma": 0.0004, "tol": 1.0000003385357559e-05}
    assert within(task.space, inside)
    assert not within(task.space, {**inside, "C": 1000.1})
    assert not within(task.space, {"C": 1.0, "gamma": 0.0004})


def test_recording_without_the_environment_names_the_command_that_makes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LLAMBO_REPLAY_ENVS", str(tmp_path / "envs"))
    with pytest.raises(UsageError, match=r"not installed; run `llambo-replay baselines install tpe`"):
        _ = environments.environment("tpe").python


def test_an_install_that_fails_names_the_package(tmp_path):
    failing = [
        sys.executable,
        "-c",
        "import sys; sys.stderr.write('error: Failed to build `pymoo==0.6.0`\\n'); sys.exit(1)",
    ]
    with pytest.raises(UsageError, match=r"'hebo': could not install pymoo==0\.6\.0 \(error: Failed to build"):
        environments._run(failing, "hebo", dict(os.environ))


def test_every_worker_baseline_has_a_lock_and_a_worker_module():
    workers = {b.target for b in REGISTRY.values() if b.environment}
    assert workers and all((worker_client.SERVE.parent / f"{w}.py").is_file() for w in workers)
    for b in REGISTRY.values():
        if b.environment:
            lock = environments.environment(b.environment).lock.read_text()
            assert "--hash=sha256:" in lock and "numpy==1.23.4" in lock  # the official requirements' numpy


def test_baselines_command_lists_each_baseline_and_refuses_an_in_process_one():
    listed = run_cli("baselines", "list")
    assert listed.returncode == 0 and all(name in listed.stdout for name in REGISTRY)
    refused = run_cli("baselines", "install", "random")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "error: baseline 'random' runs in process and needs no environment"
    unknown = run_cli("baselines", "install", "nope")
    assert unknown.returncode == 2 and "unknown baseline or environment 'nope'" in unknown.stderr


WORKER_BASELINES = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            not environments.environment(b.environment).installed,
            reason=f"needs `llambo-replay baselines install {b.environment}`",
        ),
    )
    for name, b in REGISTRY.items()
    if b.environment
]


@pytest.mark.slow
@pytest.mark.parametrize("method", WORKER_BASELINES)
def test_a_worker_baseline_records_and_replays_with_no_environment(method, tmp_path, monkeypatch, short_wine_spec):
    manifest = run_baseline(
        method, short_wine_spec, tmp_path / "results" / method, tmp_path / "cassettes", RecordMode.AUTO
    )
    assert manifest["environment"] == environments.environment(REGISTRY[method].environment).describe()
    monkeypatch.setenv("LLAMBO_REPLAY_ENVS", str(tmp_path / "no-envs"))
    monkeypatch.setattr(baseline_run, "run_worker", None)  # a replay must not start a worker
    path = tmp_path / "results" / method / "wine/AdaBoost/0.manifest.json"
    checked = check_run(path, tmp_path / "cassettes", tmp_path / "scratch", None)
    assert (checked.status, checked.detail) == ("identical", "history byte-identical")
