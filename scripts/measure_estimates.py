"""How far `--dry-run`'s estimates are from what the committed LLAMBO runs recorded, per model
(`llambo_replay/experiments/runs/estimate_ratios.py` says why).

Usage: python scripts/measure_estimates.py [--write]   (prints the table; --write puts it in place)
tests/experiments/test_estimate_ratios.py checks that the shipped table is what this gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

from llambo_replay.experiments.runs.estimate_ratios import RATIOS_FILE, measured_ratios, ratios_text

RESULTS = Path(__file__).resolve().parents[1] / "results" / "recorded"

if __name__ == "__main__":
    text = ratios_text(measured_ratios(RESULTS))
    if "--write" in sys.argv[1:]:
        RATIOS_FILE.write_text(text)
    print(text, end="")
