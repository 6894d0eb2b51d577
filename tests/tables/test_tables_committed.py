"""The committed tables/ are exactly what `llambo-replay tables` makes from the committed runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import assert_tables_as_committed
from cli_helpers import run_cli as cli
from docs_helpers import README_TABLES, readme_commands

REPO = Path(__file__).resolve().parents[2]


# The tables the README's commands make are compared with the committed ones by
# tests/integration/test_readme.py, which runs those commands; these are the others.
@pytest.mark.slow
@pytest.mark.parametrize(
    "flags, committed",
    [
        (
            ["--results", "results/recorded/paper-grid", "--methods", "gp_dkl,paper_skopt,paper_optuna,smac"],
            REPO / "tables" / "paper-fig7",
        ),
        (
            [
                "--results",
                "results/recorded/paper-grid",
                "--methods",
                "random,paper_skopt,paper_optuna,smac,paper_tpe,gp_botorch,gp_dkl,turbo,dngo,hebo",
            ],
            REPO / "tables" / "paper-fig22",
        ),
    ],
    ids=["fig7", "fig22"],
)
def test_committed_tables_regenerate_byte_for_byte(flags, committed, tmp_path):
    result = cli("tables", *flags, "--out", str(tmp_path), cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    assert_tables_as_committed(tmp_path, committed)


def test_every_committed_tables_folder_is_regenerated_by_a_test():
    """Each tables manifest under tables/ is made again by a README command (compared by the README test) or
    by the test above, and each README `tables` command writes where the README test looks."""
    made_by_readme = {
        flags[flags.index("--out") + 1] if "--out" in flags else "results/runs/tables"
        for flags in readme_commands()
        if flags[0] == "tables"
    }
    assert made_by_readme <= {path.split("/hpobench")[0].split("/evaluations")[0] for path in README_TABLES}
    made = {*README_TABLES.values(), "tables/paper-fig7", "tables/paper-fig22"}
    committed = {
        str(path.parent.relative_to(REPO))
        for path in (REPO / "tables").rglob("manifest.json")
        if path.parent.name not in ("public", "synthetic")  # a family's rendering, compared with its comparison
    }
    assert committed == made, f"no test regenerates {sorted(committed - made)}"


def test_each_committed_prompt_ablation_is_named_by_its_settings():
    """One short recorded run per ablation of the paper; a table labels each by what its manifest says."""
    from llambo_replay.tables.results import load_results

    labels = {h.method for h in load_results(REPO / "results/recorded/ablations")}
    assert labels == {
        f"LLAMBO (smollm2-135m-instruct{suffix})"
        for suffix in ("", "; no context", "; partial context", "; anonymised", "; shuffled features", "; warped")
    }


def test_the_committed_warmstart_evaluation_names_each_optimiser_and_start():
    from llambo_replay.tables.results import load_results

    labels = {h.method for h in load_results(REPO / "results/recorded/warmstart")}
    starts = ("random", "Sobol", "LHS", "LLM, no context", "LLM, partial context", "LLM, full context")
    assert labels == {
        f"{optimiser} from {start}"
        for optimiser in ("TPE (Optuna, univariate)", "GP-EI (scikit-optimize)")
        for start in starts
    }


def test_the_evaluation_tables_are_the_commands_own_and_refuse_a_changed_input(tmp_path):
    """`tables --evaluations` renders each evaluation's table as the command wrote it, and an input that is not
    what its manifest states is refused in one line."""
    import shutil

    committed = REPO / "tables" / "evaluations"
    for name, source in [
        ("surrogate-generative-breast-RandomForest", "results/surrogate-eval/generative/surrogate_eval.md"),
        ("sampler-breast-RandomForest", "results/sampler-eval/sampler_eval.md"),
    ]:
        assert (committed / f"{name}.md").read_text() == (REPO / source).read_text()
    copy = tmp_path / "results"
    shutil.copytree(REPO / "results/sampler-eval", copy)
    table = copy / "sampler_eval.csv"
    table.write_text(table.read_text().replace("LLAMBO", "LLAMBO?", 1))
    result = cli("tables", "--evaluations", str(copy), "--out", str(tmp_path / "out"), cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {table} is missing or not what sampler_eval.manifest.json "
        "states; restore it from git or run the evaluation again"
    ]
    assert not (tmp_path / "out").exists()


def test_a_damaged_evaluation_manifest_is_one_line(tmp_path):
    import shutil

    copy = tmp_path / "results"
    shutil.copytree(REPO / "results/sampler-eval", copy)
    (copy / "sampler_eval.manifest.json").write_text('{"outputs": ')
    result = cli("tables", "--evaluations", str(copy), "--out", str(tmp_path / "out"), cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {copy / 'sampler_eval.manifest.json'} is not readable JSON (JSONDecodeError); restore it from git"
    ]
