"""The command line in a child process, as a user runs it; one helper for every test file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OFFLINE = "http://127.0.0.1:9/v1"  # the base URL of offline runs: nothing listens, so a connection would fail loudly


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


def main_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`llambo-replay ARGS` through `main()` in this process, for checks where a child process proves nothing
    (flags, help, one-line errors): the same exit code and output, without starting Python again. A command
    that records, spawns workers or depends on its environment is run with `run_cli` instead."""
    import contextlib
    import io
    import signal

    from llambo_replay.cli import main

    out, err = io.StringIO(), io.StringIO()
    sigterm = signal.getsignal(signal.SIGTERM)  # main() installs its own; the test process keeps pytest's
    with contextlib.chdir(cwd or REPO), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exited:  # argparse's --help and usage errors
            code = exited.code if isinstance(exited.code, int) else int(exited.code is not None)
        finally:
            signal.signal(signal.SIGTERM, sigterm)
    return subprocess.CompletedProcess(["llambo-replay", *args], code, out.getvalue(), err.getvalue())


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Each file under `root` with its size and modification time: what any write changes."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file() and path.name != ".write.lock"
    }


def record_cli(command: str, base_url: str, cassettes: Path, out: Path, *extra: str, **kwargs):
    """`llambo-replay COMMAND --mode record` against the endpoint at `base_url`, into `cassettes` and `out`."""
    return run_cli(
        command, "--mode", "record", "--base-url", base_url, "--cassettes", str(cassettes), "--out", str(out),
        *extra, **kwargs,
    )  # fmt: skip


def assert_tables_as_committed(produced: Path, committed: Path) -> None:
    """Every output a committed tables manifest lists (and each family's own rendering) is what `produced`
    holds, byte for byte."""
    import json

    manifest = json.loads((committed / "manifest.json").read_text())
    for name in [*manifest["outputs"], "manifest.json"]:
        assert (produced / name).read_bytes() == (committed / name).read_bytes(), f"{committed / name} differs"
    for family in ("public", "synthetic"):  # a comparison spanning both families also renders each alone
        for path in sorted((committed / family).glob("*")) if (committed / family).is_dir() else []:
            assert (produced / family / path.name).read_bytes() == path.read_bytes(), f"{path} differs"
