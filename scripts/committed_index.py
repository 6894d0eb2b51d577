"""Remake or compare results/INDEX.sha256, the sha256 of every committed result, table and shipped data file
that `llambo-replay check` binds (`llambo_replay/experiments/results/committed_index.py`).

Usage: python scripts/committed_index.py [--write]   (without --write: lists what differs, exit 1 if anything)
"""

from __future__ import annotations

import sys

from llambo_replay.experiments.results import committed_index

if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        print(f"{committed_index.write()} files indexed in {committed_index.INDEX}")
    elif not sys.argv[1:]:
        problems = committed_index.differences()
        print("\n".join(problems) or f"{committed_index.INDEX}: every committed file as indexed")
        sys.exit(1 if problems else 0)
    else:
        sys.exit(__doc__)
