"""Summarise several `llambo-replay fidelity` runs (e.g. one per data set) into the docs' table.

    python scripts/fidelity_summary.py results/fidelity/*/fidelity_rows.csv
    python scripts/fidelity_summary.py --out results/fidelity-published RUN_A/fidelity_rows.csv RUN_B/...

With `--out`, the runs' rows, their mismatches and the table are written there together, as one
`fidelity` run over all of them would write them (the committed `results/fidelity-*` folders are made so).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from llambo_replay.bayesmark.fidelity import Row, summary_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="+", type=Path, help="fidelity_rows.csv files of fidelity runs")
    parser.add_argument("--out", type=Path, help="write the combined rows, mismatches and table into this folder")
    args = parser.parse_args()
    try:  # round_trip: the scores are written back digit for digit
        frame = pd.concat([pd.read_csv(path, float_precision="round_trip") for path in args.rows], ignore_index=True)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"error: cannot read the rows ({exc.__class__.__name__}: {' '.join(str(exc).split())})\n")
    if not {"dataset", "model", "exact", "fragile"} <= set(frame.columns):
        parser.exit(2, "error: these are not fidelity_rows.csv files (no dataset, model, exact and fragile columns)\n")
    table = summary_markdown(frame)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out / "fidelity_rows.csv", index=False, lineterminator="\n")
        mismatches = frame.loc[~frame["exact"], [c for c in Row.__dataclass_fields__ if c in frame]]
        mismatches.to_csv(args.out / "fidelity_mismatches.csv", index=False, lineterminator="\n")
        (args.out / "fidelity_summary.md").write_text(table)
    print(table, end="")


if __name__ == "__main__":
    main()
