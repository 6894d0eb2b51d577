"""`check` binds the committed tables: an edited or deleted table, and an edited or deleted run history a
table was made from, each fail, named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llambo_replay.experiments.results.tables_check import check_tables, tables_manifests

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clone(tmp_path, monkeypatch) -> Path:
    """The ablation tables and the runs they were made from, laid out as in the repository."""
    shutil.copytree(REPO / "tables/ablations", tmp_path / "tables/ablations")
    shutil.copytree(REPO / "results/recorded/ablations", tmp_path / "results/recorded/ablations")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_committed_tables_check_as_they_are(clone):
    (checked,) = [check_tables(path) for path in tables_manifests(Path("tables"))]
    assert checked.ok, checked.problems
    assert checked.outputs > 10 and checked.inputs == 6


def test_an_edited_table_fails_named(clone):
    table = clone / "tables/ablations/regret_final.md"
    table.write_text(table.read_text().replace("0.", "1.", 1))
    checked = check_tables(Path("tables/ablations/manifest.json"))
    assert checked.problems == ["tables/ablations/regret_final.md is edited"]


def test_a_deleted_table_fails_named(clone):
    (clone / "tables/ablations/regret.png").unlink()
    assert check_tables(Path("tables/ablations/manifest.json")).problems == ["tables/ablations/regret.png is missing"]


def test_a_deleted_results_folder_fails_named(clone):
    shutil.rmtree(clone / "results/recorded/ablations")
    checked = check_tables(Path("tables/ablations/manifest.json"))
    assert len(checked.problems) == 6 and all("is missing" in p for p in checked.problems)
    assert checked.problems[0].startswith("results/recorded/ablations/")
    assert "(and 5 more)" in checked.detail


def test_an_edited_history_a_table_was_made_from_fails_named(clone):
    history = next((clone / "results/recorded/ablations").rglob("[0-9].csv"))
    history.write_text(history.read_text() + "\n")
    (problem,) = check_tables(Path("tables/ablations/manifest.json")).problems
    assert problem.endswith("an input of tables/ablations/manifest.json, is not what the tables were made from")


def test_an_unreadable_manifest_is_one_problem(clone):
    Path("tables/ablations/manifest.json").write_text("{")
    assert check_tables(Path("tables/ablations/manifest.json")).problems == [
        "tables/ablations/manifest.json is not a readable tables manifest"
    ]
