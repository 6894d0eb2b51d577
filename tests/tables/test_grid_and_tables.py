"""Baselines, the resumable grid, and the tables built from its histories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli as cli

from llambo_replay.tables import metrics
from llambo_replay.tables.results import History


@pytest.fixture(scope="module")
def grid(tmp_path_factory, reference_dir) -> Path:
    out = tmp_path_factory.mktemp("grid")
    # recorded into the grid's own store: the baselines' evaluations and proposals (no LLM is asked)
    args = [
        "grid",
        "--methods",
        "random,gp_ei,tpe",
        "--datasets",
        "iris",
        "--models",
        "SVM",
        "--seeds",
        "0,1",
        "--trials",
        "4",
        "--out",
        str(out),
        "--no-memo",
        "--reference",
        str(reference_dir),
        "--mode",
        "record",
        "--cassettes",
        str(out / "cassettes"),
    ]
    first = cli(*args, "--jobs", "2")
    assert first.returncode == 0, first.stderr
    return out


@pytest.mark.slow
def test_baselines_start_from_the_papers_initial_points_and_rerun_identically(grid, reference_dir):
    published = pd.read_csv(reference_dir / "exp_bayesmark/results_discriminative/iris/SVM/1.csv")
    for method in ("random", "gp_ei", "tpe"):
        history = pd.read_csv(grid / method / "iris/SVM/1.csv")
        assert len(history) == 9
        assert np.allclose(
            history.loc[:4, ["C", "gamma", "tol"]].to_numpy(), published.loc[:4, ["C", "gamma", "tol"]].to_numpy()
        )
    check = cli(
        "check", "--results", str(grid), "--reference", str(reference_dir), "--cassettes", str(grid / "cassettes")
    )
    assert check.returncode == 0, check.stderr
    assert "6/6 results reproduce: 6 replayed byte for byte, 0 recomputed" in check.stdout


def test_the_grid_resumes_by_skipping_finished_cells(grid, reference_dir):
    stamp = (grid / "tpe/iris/SVM/0.csv").stat().st_mtime_ns
    again = cli(
        "grid",
        "--methods",
        "random,gp_ei,tpe",
        "--datasets",
        "iris",
        "--models",
        "SVM",
        "--seeds",
        "0,1",
        "--trials",
        "4",
        "--out",
        str(grid),
        "--no-memo",
        "--reference",
        str(reference_dir),
        "--cassettes",
        str(grid / "cassettes"),
    )
    assert again.returncode == 0 and "6/6 cells done" in again.stdout
    assert (grid / "tpe/iris/SVM/0.csv").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_tables_are_byte_identical_across_processes_and_include_the_paper_row(grid, reference_dir, tmp_path):
    for name in ("a", "b"):
        result = cli("tables", "--results", str(grid), "--reference", str(reference_dir), "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "regret.png" in files and "regret_final.tex" in files and "manifest.json" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    table = (tmp_path / "a" / "regret_final.md").read_text()
    # the paper published seeds 0-4; only the two every method ran are compared, and the caption says so
    assert "LLAMBO (paper, GPT-3.5)" in table and "(n=2)" in table and "(n=5)" not in table
    assert "left out, as not every method ran them: LLAMBO (paper, GPT-3.5) on iris/SVM seed(s) 2–4" in table


def test_regret_is_normalised_by_the_tasks_best_and_worst():
    frame = lambda scores: pd.DataFrame({"score": scores, "generalization_score": scores})  # noqa: E731
    histories = [
        History("A", "iris", "SVM", 0, frame([0.5, 0.7, 0.9]), "a", ""),
        History("B", "iris", "SVM", 0, frame([0.6, 0.6, 1.0]), "b", ""),
    ]
    regret = metrics.regret_table(histories)
    a = regret[regret["method"] == "A"]["regret"].round(6).tolist()
    assert a == [1.0, 0.6, 0.2]  # (1.0 - best so far) / (1.0 - 0.5)
    ranks = metrics.ranks(regret)
    assert ranks[ranks["trial"] == 2].set_index("method")["rank"].to_dict() == {"A": 2.0, "B": 1.0}
    final = metrics.final_regret(regret)
    assert final.set_index("method")["mean"].round(6).to_dict() == {"A": 0.2, "B": 0.0}
    view = metrics.bayesmark_score(regret, random_method="A")  # A plays random search here
    assert view[view["trial"] == 2].set_index("method")["score"].round(6).to_dict() == {"A": 0.0, "B": 100.0}


def test_a_failed_evaluation_neither_bounds_the_task_nor_becomes_the_incumbent():
    """Seen: one NaN (a diverged MLP) in scikit-optimize's diabetes/MLP_SGD seed 4 dropped the whole task."""
    nan = float("nan")
    frame = lambda scores: pd.DataFrame({"score": scores, "generalization_score": scores})  # noqa: E731
    histories = [
        History("A", "iris", "SVM", 0, frame([nan, 0.7, 0.9, nan]), "a", ""),
        History("B", "iris", "SVM", 0, frame([0.5, 0.6, 1.0, 0.8]), "b", ""),
    ]
    regret = metrics.regret_table(histories)
    a = regret[regret["method"] == "A"]["regret"].tolist()
    assert np.isnan(a[0]) and np.round(a[1:], 6).tolist() == [0.6, 0.2, 0.2]


@pytest.mark.slow
def test_the_grid_runs_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        result = cli(
            "grid",
            "--methods",
            "random,tpe",
            "--datasets",
            "iris",
            "--models",
            "SVM",
            "--seeds",
            "0,1",
            "--trials",
            "2",
            "--out",
            str(tmp_path),
            "--no-memo",
            "--scheduler",
            cluster.scheduler_address,
            "--mode",
            "auto",
            "--cassettes",
            str(tmp_path / "cassettes"),
        )  # a replay would compute nothing
    assert result.returncode == 0, result.stderr
    assert "4/4 cells done" in result.stdout
    assert len(list(tmp_path.rglob("*.manifest.json"))) == 4


def test_a_cell_with_a_truncated_manifest_is_done_again(grid, reference_dir):
    manifest = grid / "random/iris/SVM/0.manifest.json"
    manifest.write_text(manifest.read_text()[:40])
    again = cli(
        "grid",
        "--methods",
        "random",
        "--datasets",
        "iris",
        "--models",
        "SVM",
        "--seeds",
        "0",
        "--trials",
        "4",
        "--out",
        str(grid),
        "--no-memo",
        "--reference",
        str(reference_dir),
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(manifest.read_text())["method"] == "random"


def test_a_reason_shared_by_many_failed_cells_is_said_once(tmp_path):
    failed = cli(
        "grid",
        "--methods",
        "llambo",
        "--tasks",
        "iris/SVM,wine/SVM",
        "--seeds",
        "5,6",
        "--trials",
        "1",
        "--out",
        str(tmp_path),
        "--no-memo",
        "--cassettes",
        str(tmp_path / "empty-store"),
    )
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stdout.count("FAILED") == 1 and "FAILED 4 cell(s)" in failed.stdout
    assert failed.stderr.startswith("error: 4 of 4 cell(s) failed")
