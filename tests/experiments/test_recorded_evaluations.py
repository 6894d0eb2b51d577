"""Evaluations are recorded like LLM answers, so a replay is exact whatever this machine computes.

Another BLAS kernel is simulated by perturbing what the objective returns (or the data it trains
on); the kernel itself is never changed here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import OFFLINE

from llambo_replay.bayesmark import objective as bayesmark_objective
from llambo_replay.errors import ReplayMiss, UsageError
from llambo_replay.experiments.evaluations.components import generalised_variance
from llambo_replay.experiments.results.check import check_run
from llambo_replay.experiments.results.migration import migrate_run
from llambo_replay.experiments.runs.baseline_run import run_baseline
from llambo_replay.experiments.runs.run_spec import RunSpec, spec_from_manifest
from llambo_replay.experiments.runs.runner import run
from llambo_replay.llambo import LlamboSettings
from llambo_replay.replay import CassetteStore, RecordMode
from llambo_replay.replay.calls import RecordedCalls

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "results/recorded/demo/iris/SVM/0.manifest.json"


def counting(result: float):
    calls = []

    def compute():
        calls.append(1)
        return {"value": result}, {"environment": None}

    return compute, calls


def test_a_black_box_is_recorded_once_then_replayed_and_a_miss_shows_the_nearest_call(tmp_path):
    store = CassetteStore(tmp_path)
    compute, calls = counting(0.5)
    recorder = RecordedCalls(store, "box/ns", RecordMode.RECORD)
    first = recorder.call("f/1", {"x": 1.0, "y": 2}, compute)
    again = recorder.call("f/1", {"y": 2, "x": 1}, compute)  # same arguments, spelled differently
    assert (first.result, first.recorded, again.recorded, len(calls)) == ({"value": 0.5}, False, True, 1)

    replay = RecordedCalls(store, "box/ns", RecordMode.REPLAY)
    assert replay.call("f/1", {"x": 1, "y": 2}, compute).result == {"value": 0.5} and len(calls) == 1
    with pytest.raises(ReplayMiss) as miss:
        replay.call("f/1", {"x": 1.5, "y": 2}, compute)
    assert "no recorded f/1 call for key" in str(miss.value)
    assert "arguments.x: recorded 1 vs requested 1.5" in miss.value.details
    assert replay.used_keys() and len(calls) == 1

    lenient = RecordedCalls(store, "box/ns", RecordMode.REPLAY, compute_misses=True)
    assert lenient.call("f/1", {"x": 1.5, "y": 2}, compute).recorded is False and len(calls) == 2
    assert len(list(store.iter_entries())) == 1, "replay never stores"
    live = RecordedCalls(store, "box/ns", RecordMode.LIVE)
    assert live.call("f/1", {"x": 1, "y": 2}, compute).recorded is False and len(calls) == 3


@pytest.fixture
def drifted_objective(monkeypatch):
    """This machine now computes every score 1e-4 higher than the recording machine did."""
    original = bayesmark_objective.evaluate

    def drifted(task, config):
        return {k: v + 1e-4 for k, v in original(task, config).items()}

    monkeypatch.setattr(bayesmark_objective, "evaluate", drifted)


def test_replay_takes_recorded_evaluations_so_drift_here_cannot_change_the_history(drifted_objective, tmp_path):
    committed = json.loads(DEMO.read_text())
    outcome = run(spec_from_manifest(DEMO), RecordMode.REPLAY, tmp_path, REPO / "cassettes", OFFLINE, progress=False)
    assert outcome.manifest["history_sha256"] == committed["history_sha256"]
    # a replay's manifest is identical too, but for the library versions of the process that wrote it
    assert {**outcome.manifest, "versions": None} == {**committed, "mode": "replay", "versions": None}
    assert (outcome.objective.replayed, outcome.objective.computed) == (15, 0)


@pytest.mark.slow
def test_verify_reports_each_drifting_evaluation_without_failing_the_replay(drifted_objective, tmp_path):
    outcome = run(
        spec_from_manifest(DEMO),
        RecordMode.REPLAY,
        tmp_path,
        REPO / "cassettes",
        OFFLINE,
        progress=False,
        objective_mode="verify",
    )
    assert outcome.manifest["history_sha256"] == json.loads(DEMO.read_text())["history_sha256"]
    drift = outcome.objective.drift
    assert outcome.objective.verified == len({json.dumps(d.config, sort_keys=True) for d in drift}) == 15
    assert {d.metric for d in drift} == {"score", "generalization_score"}
    assert all(abs(d.here - d.recorded) == pytest.approx(1e-4) for d in drift)
    assert "|Δ| 0.0001" in drift[0].line() and "recorded on" in drift[0].line()


def test_recomputing_the_objective_with_drift_leaves_the_recording(drifted_objective, tmp_path):
    with pytest.raises(ReplayMiss) as miss:
        run(
            spec_from_manifest(DEMO),
            RecordMode.REPLAY,
            tmp_path,
            REPO / "cassettes",
            OFFLINE,
            progress=False,
            objective_mode="recompute",
        )
    assert "body.messages[1].content" in miss.value.details  # the prompt now shows other scores


@pytest.mark.slow
def test_an_unrecorded_evaluation_of_an_older_protocol_is_a_miss_that_is_never_computed(tmp_path):
    """A committed grid cell that kept protocol 2 (README: objective protocols): its evaluations only replay."""
    cassettes = tmp_path / "cassettes"
    shutil.copytree(REPO / "cassettes", cassettes)
    shutil.rmtree(cassettes / "evaluations/bayesmark-paper-2/diabetes/SVM")
    spec = spec_from_manifest(REPO / "results/recorded/grid/random/diabetes/SVM/0.manifest.json")
    assert spec.objective_protocol == "bayesmark-paper-2"
    for mode in (RecordMode.REPLAY, RecordMode.AUTO):
        with pytest.raises(
            ReplayMiss, match="no recorded bayesmark-objective/bayesmark-paper-2 call .*older objective"
        ):
            run_baseline("random", spec, tmp_path / "out", cassettes, mode)


@pytest.mark.parametrize("method", ["random", "gp_ei"])
def test_a_baseline_replay_never_computes_an_evaluation_or_proposal_that_is_not_recorded(tmp_path, method, monkeypatch):
    """A replayed baseline misses on an unrecorded evaluation or proposal and writes no manifest."""
    from llambo_replay.bayesmark import objective as bayesmark_objective

    def refuse(task, config):
        raise AssertionError("a replay must not evaluate")

    monkeypatch.setattr(bayesmark_objective, "evaluate", refuse)
    (tmp_path / "cassettes").mkdir()
    spec = RunSpec("iris", "SVM", 7, settings=LlamboSettings(n_initial=4, n_trials=2))
    with pytest.raises(ReplayMiss, match="replay miss: no recorded"):
        run_baseline(method, spec, tmp_path / "out", tmp_path / "cassettes", RecordMode.REPLAY)
    assert not list((tmp_path / "out").rglob("*.manifest.json")), "nothing claims to be a replay"


@pytest.fixture
def gp_run(tmp_path) -> Path:
    """A GP-EI run recorded here, as a committed run would be."""
    spec = RunSpec("iris", "SVM", 0, settings=LlamboSettings(n_initial=4, n_trials=2))
    run_baseline("gp_ei", spec, tmp_path / "results/gp_ei", tmp_path / "cassettes", RecordMode.RECORD)
    return tmp_path / "results/gp_ei/iris/SVM/0.manifest.json"


def _check(path: Path, tmp_path: Path):
    return check_run(path, tmp_path / "cassettes", tmp_path / "scratch", None)


def test_a_baseline_replays_its_recorded_proposals_where_its_optimiser_would_move(gp_run, tmp_path, monkeypatch):
    """Another BLAS kernel can fork a GP-EI trajectory; a replay takes the recorded proposals instead."""
    manifest = json.loads(gp_run.read_text())
    assert manifest["reproduction"] == "replayed" and any(
        ns.startswith("proposals/gp_ei/") for ns in manifest["cassettes"]
    )

    def forked(space, objective, initial, n_trials, rng, lower_is_better):
        raise AssertionError("a replay must not run the optimiser")

    from llambo_replay.experiments.runs.baselines import skopt_gp

    monkeypatch.setattr(skopt_gp, "gp_ei", forked)
    checked = _check(gp_run, tmp_path)
    assert (checked.reproduction, checked.status) == ("replayed", "identical")


def test_a_baseline_whose_proposals_were_never_recorded_misses_in_check(gp_run, tmp_path):
    import shutil

    shutil.rmtree(tmp_path / "cassettes/proposals")
    checked = _check(gp_run, tmp_path)
    assert checked.status == "different" and "no recorded gp_ei/proposals call" in checked.detail
    assert "--mode auto" in checked.detail


def test_a_format_1_baseline_migrates_with_its_proposals_taken_from_its_history(gp_run, tmp_path):
    import shutil

    shutil.rmtree(tmp_path / "cassettes")
    manifest = json.loads(gp_run.read_text())
    old = {k: v for k, v in manifest.items() if k not in ("reproduction", "evaluations", "cassettes")}
    gp_run.write_text(json.dumps({**old, "format": 1}))
    message = migrate_run(gp_run, tmp_path / "cassettes", tmp_path / "scratch", None)
    assert "migrated to format 2 (replayed, 6 evaluation(s) from its history)" in message
    assert _check(gp_run, tmp_path).status == "identical"


@pytest.mark.slow
def test_a_format_1_run_is_refused_with_the_migration_command_then_migrates(tmp_path):
    """An old run (its evaluations only in its history) replays again after `migrate`."""
    results, cassettes = tmp_path / "results", tmp_path / "cassettes"
    shutil.copytree(DEMO.parent, results / "iris/SVM")
    shutil.copytree(REPO / "cassettes", cassettes, ignore=shutil.ignore_patterns("evaluations"))
    manifest = json.loads(DEMO.read_text())
    old = {k: v for k, v in manifest.items() if k not in ("reproduction", "evaluations")}
    llm = {ns: keys for ns, keys in manifest["cassettes"].items() if not ns.startswith("evaluations/")}
    (results / "iris/SVM/0.manifest.json").write_text(
        json.dumps({**old, "format": 1, "cassettes": {"namespace": next(iter(llm)), "keys": next(iter(llm.values()))}})
    )
    path = results / "iris/SVM/0.manifest.json"
    with pytest.raises(UsageError, match="format-1 run .*llambo-replay migrate"):
        check_run(path, cassettes, tmp_path / "scratch", None)

    message = migrate_run(path, cassettes, tmp_path / "scratch", None)
    assert "migrated to format 2 (replayed, 15 evaluation(s) from its history)" in message
    migrated = json.loads(path.read_text())
    assert migrated["format"] == 2 and migrated["evaluations"]["computed_on"] == [None]
    assert migrated["history_sha256"] == manifest["history_sha256"]
    assert check_run(path, cassettes, tmp_path / "scratch", None).status == "identical"
    assert "already format 2" in migrate_run(path, cassettes, tmp_path / "scratch", None)


def test_generalised_variance_is_reported_as_rank_deficient_rather_than_as_rounding_noise():
    rng = np.random.default_rng(0)
    points = rng.uniform(size=(10, 3))
    rank, log_variance = generalised_variance(points)
    assert rank == 3 and log_variance == pytest.approx(np.log10(np.linalg.det(np.cov(points.T))))
    coinciding = np.vstack([points[:2]] * 5)  # ten proposals, two distinct points
    rank, log_variance = generalised_variance(coinciding)
    assert rank == 1 and np.isnan(log_variance)
