"""Summarise several `llambo-replay fidelity` runs (e.g. one per data set) into the README's table.

    python scripts/fidelity_summary.py results/fidelity/*/fidelity_rows.csv
"""

from __future__ import annotations

import sys

import pandas as pd

from llambo_replay.bayesmark.fidelity import summary_markdown

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python scripts/fidelity_summary.py FIDELITY_ROWS.csv ...")
    print(summary_markdown(pd.concat([pd.read_csv(path) for path in sys.argv[1:]], ignore_index=True)), end="")
