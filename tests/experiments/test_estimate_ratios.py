"""The measured spread of `--dry-run`'s estimates is the one the committed runs give, and is shown."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import main_in_process

from llambo_replay.experiments.runs.estimate_ratios import measured_ratios, ratios_text, shipped_ratios

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_ratios_are_what_the_committed_runs_measure():
    measured = measured_ratios(REPO / "results" / "recorded")
    assert ratios_text(shipped_ratios()) == ratios_text(measured), "run: python scripts/measure_estimates.py --write"
    smollm2 = measured["smollm2-135m-instruct (json protocol)"]
    assert smollm2["runs"] >= 20 and smollm2["requests"][0] <= 1 <= smollm2["requests"][2]


def test_dry_run_gives_the_measured_range_for_a_measured_model_and_says_when_there_is_none():
    demo = main_in_process("run", "--dry-run", cwd=REPO).stdout
    low, median, high = shipped_ratios()["smollm2-135m-instruct (json protocol)"]["requests"]
    assert "about 1,100 if every answer is usable" in demo
    assert f"measured: {round(1100 * low):,} to {round(1100 * high):,}, most likely {round(1100 * median):,}" in demo
    assert 1010 >= round(1100 * low)  # the demo's recording (1,010 requests) lies inside the range
    other = main_in_process("run", "--dry-run", "--llm-model", "gpt-4o-mini", "--preset", "paper", cwd=REPO).stdout
    assert "no committed run of gpt-4o-mini (paper protocol)" in other and "measured:" not in other
