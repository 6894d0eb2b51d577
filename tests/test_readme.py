"""The README is true: its test command is what CI runs, and its Python example runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci_command = [line for line in (REPO / ".ci/run").read_text().splitlines() if line.startswith("python3 -m venv")]
    assert len(ci_command) == 1 and ci_command[0] in README


def test_the_python_api_example_runs(tmp_path):
    example = re.search(r"## Python API.*?```python\n(.*?)```", README, re.DOTALL).group(1)
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert "score" in result.stdout and len(result.stdout.splitlines()) >= 9  # header + 8 rows
    assert any((tmp_path / "my-cassettes").rglob("*.json"))


def test_the_component_tables_in_the_readme_are_the_committed_ones():
    for name in ("surrogate", "sampler"):
        committed = (REPO / "results/components" / f"{name}.md").read_text()
        table = "\n".join(line for line in committed.splitlines() if line.startswith("|"))
        assert table in README, f"README's {name} table differs from results/components/{name}.md"
