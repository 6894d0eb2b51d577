"""Progress off a terminal: whole lines in a log, none for short work, the final state at the end."""

from __future__ import annotations

import io
import time

from llambo_replay import progress


def test_off_a_terminal_long_work_logs_whole_lines_and_its_final_state(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.05)
    with progress.progress_bar(total=8, desc="grid", unit="cell") as bar:
        for _ in range(8):
            time.sleep(0.02)
            bar.set_postfix(failed=0)
            bar.update(1)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and 2 <= len(lines) < 8, lines  # rate-limited, yet moving
    assert all(line.startswith("grid: ") and "cells done" in line for line in lines), lines
    assert lines[-1].startswith("grid: 8/8 cells done") and lines[-1].endswith("failed=0"), lines


def test_off_a_terminal_short_work_prints_nothing(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    with progress.progress_bar(range(100), desc="quick", unit="row") as rows:
        assert sum(rows) == 4950
    assert log.getvalue() == ""


def test_a_disabled_bar_prints_nothing_even_for_long_work(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    with progress.progress_bar(total=3, desc="run", unit="trial", enabled=False) as bar:
        bar.update(3)
    assert log.getvalue() == ""
