"""`check` binds every committed result, table and shipped data file by its sha256 (results/INDEX.sha256)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from llambo_replay.experiments.results import committed_index

REPO = Path(__file__).resolve().parents[2]


def test_the_index_binds_every_committed_file_under_results_tables_and_the_shipped_data():
    assert committed_index.differences(REPO) == []
    tracked = subprocess.run(
        ["git", "ls-files", "results", "tables", *committed_index.ROOTS],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if tracked:  # a git checkout: every tracked file there is indexed (a new committed folder joins ROOTS)
        assert set(tracked) - {committed_index.INDEX.as_posix()} == set(committed_index.read(REPO))


def test_an_edited_deleted_or_added_file_is_named(tmp_path):
    for name, text in [("results/recorded/a/0.csv", "x\n"), ("tables/t.md", "| t |\n"), ("tables/f/g.png", "png")]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert committed_index.differences(tmp_path) == [
        f"{committed_index.INDEX} is missing: nothing binds the committed files"
    ]
    assert committed_index.write(tmp_path) == 3 and committed_index.differences(tmp_path) == []
    (tmp_path / "results/recorded/a/0.csv").write_text("y\n")
    (tmp_path / "tables/f/g.png").unlink()
    (tmp_path / "tables/new.md").write_text("new\n")
    (tmp_path / "results/runs").mkdir()  # a command's own output folder is not committed: not bound
    (tmp_path / "results/runs/out.csv").write_text("mine\n")
    assert committed_index.differences(tmp_path) == [
        "results/recorded/a/0.csv: edited (its sha256 is not the indexed one)",
        "tables/f/g.png: missing (indexed, not there)",
        f"tables/new.md: not in {committed_index.INDEX} (added without remaking it?)",
    ]


def test_check_prints_each_unbound_file_as_a_diff_line(tmp_path, monkeypatch, capsys):
    from llambo_replay.cli.check import check_committed_index

    (tmp_path / "tables").mkdir()
    (tmp_path / "tables/t.md").write_text("| t |\n")
    committed_index.write(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert check_committed_index() == [] and "1 committed files as indexed" in capsys.readouterr().out
    (tmp_path / "tables/t.md").write_text("| edited |\n")
    assert check_committed_index() == ["tables/t.md: edited (its sha256 is not the indexed one)"]
    assert "DIFF index      tables/t.md: edited" in capsys.readouterr().out
