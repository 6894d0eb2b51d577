"""The committed tables/ are exactly what `llambo-replay tables` makes from the committed runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("flags, committed", [
    (["--benchmark", "bayesmark"], REPO / "tables"),
    (["--benchmark", "hpobench"], REPO / "tables" / "hpobench"),
    (["--results", "results/recorded/ablations", "--no-paper"], REPO / "tables" / "ablations"),
    (["--results", "results/recorded/warmstart", "--no-paper"], REPO / "tables" / "warmstart"),
    (["--results", "results/recorded/paper-grid"], REPO / "tables" / "paper-grid"),
])
def test_committed_tables_regenerate_byte_for_byte(flags, committed, tmp_path):
    manifest = json.loads((committed / "manifest.json").read_text())
    result = subprocess.run([sys.executable, "-m", "llambo_replay.cli", "tables", *flags,
                             "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for name in [*manifest["outputs"], "manifest.json"]:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), f"tables/{name} differs"
    for family in ("public", "synthetic"):  # a comparison spanning both families also renders each alone
        for path in sorted((committed / family).glob("*")) if (committed / family).is_dir() else []:
            assert (tmp_path / family / path.name).read_bytes() == path.read_bytes(), f"{family}/{path.name} differs"


def test_each_committed_prompt_ablation_is_named_by_its_settings():
    """One short recorded run per ablation of the paper; a table labels each by what its manifest says."""
    from llambo_replay.tables.results import load_results

    labels = {h.method for h in load_results(REPO / "results/recorded/ablations")}
    assert labels == {f"LLAMBO (smollm2-135m-instruct{suffix})" for suffix in
                      ("", "; no context", "; partial context", "; anonymised", "; shuffled features", "; warped")}


def test_the_committed_warmstart_evaluation_names_each_optimiser_and_start():
    from llambo_replay.tables.results import load_results

    labels = {h.method for h in load_results(REPO / "results/recorded/warmstart")}
    starts = ("random", "Sobol", "LHS", "LLM, no context", "LLM, partial context", "LLM, full context")
    assert labels == {f"{optimiser} from {start}" for optimiser in ("TPE (Optuna, univariate)", "GP-EI (scikit-optimize)")
                      for start in starts}
