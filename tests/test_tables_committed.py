"""The committed tables/ are exactly what `llambo-replay tables` makes from the committed runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("benchmark, committed", [("bayesmark", REPO / "tables"),
                                                   ("hpobench", REPO / "tables" / "hpobench")])
def test_committed_tables_regenerate_byte_for_byte(benchmark, committed, tmp_path):
    manifest = json.loads((committed / "manifest.json").read_text())
    result = subprocess.run([sys.executable, "-m", "llambo_replay.cli", "tables", "--benchmark", benchmark,
                             "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for name in [*manifest["outputs"], "manifest.json"]:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), f"tables/{name} differs"
