"""What README.md and docs/ show, for the tests that hold them true."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in sorted((REPO / "docs").glob("*.md"))}
TEXT = "\n".join([README, *DOCS.values()])  # what the README and the docs show, together

# Where the README's `tables` commands write (in a copy of the repository) -> the committed folder it must equal.
README_TABLES = {
    "results/runs/tables": "tables",
    "results/runs/tables/hpobench": "tables/hpobench",
    "results/runs/tables/evaluations": "tables/evaluations",
    "tables/ablations": "tables/ablations",
    "tables/warmstart": "tables/warmstart",
    "tables/paper-grid": "tables/paper-grid",
}


SKIPPED_BECAUSE = ("needs the endpoint", "needs the package index", "needs the recording")


def readme_commands() -> list[list[str]]:
    """Every `llambo-replay ...` line of the README's bash blocks, as argv, but those that record, download or
    replay a recording of the reader's own."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", TEXT, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if "serve-local" in line or any(reason in line for reason in SKIPPED_BECAUSE):
                continue
            words = shlex.split(line, comments=True)
            if words and words[0].endswith("llambo-replay"):
                commands.append(words[1:])
    return commands
