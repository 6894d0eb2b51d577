"""The command line in a child process, as a user runs it; one helper for every test file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 900):
    """`llambo-replay ARGS` in a child process, as a user runs it (stdout and stderr captured as text)."""
    return subprocess.run(
        [sys.executable, "-m", "llambo_replay.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def record_cli(command: str, base_url: str, cassettes: Path, out: Path, *extra: str, **kwargs):
    """`llambo-replay COMMAND --mode record` against the endpoint at `base_url`, into `cassettes` and `out`."""
    return run_cli(
        command, "--mode", "record", "--base-url", base_url, "--cassettes", str(cassettes), "--out", str(out),
        *extra, **kwargs,
    )  # fmt: skip
