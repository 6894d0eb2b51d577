"""Generated command lines, valid and not, across every command: each ends in an exit code the docs list,
within a time bound, and none in a traceback (a test of the issue's 1,000 invocations: 4 x 250)."""

from __future__ import annotations

import argparse
import random
import re
import shutil
import signal
from pathlib import Path

import pytest
from cassette_helpers import demo_cassettes
from cli_helpers import main_in_process

from llambo_replay.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED_EXIT_CODES = {  # the table docs/commands.md opens with
    int(code) for code in re.findall(r"^\| (\d+) \|", (REPO / "docs/commands.md").read_text(), re.MULTILINE)
}
SECONDS_EACH = 60  # a bound, not a measurement: most end in milliseconds, a replay of the demo in seconds

# Values for any flag: numbers out of range, lists that are empty, paths that are files, URLs that are not,
# a key-shaped string, names that are almost right. Paths are relative to the sandbox the commands run in.
ANY = [
    "",
    " ",
    "-1",
    "0",
    "1",
    "3",
    "0.5",
    "1e400",
    "nan",
    "inf",
    "x",
    "x" * 300,
    ",",
    " , ",
    "a,b",
    "0,1",
    "-5,3",
    "99999999999999999999",
    "iris",
    "SVM",
    "iris/SVM",
    "wine/AdaBoost",
    "RandomForest",
    "iris,wine",
    "random",
    "tpe",
    "llambo",
    "paper",
    "replay",
    "live",
    "http://[::1",
    "ftp://x",
    "sk-abcdefghijklmnopqrstuvwx",
    "\U0001f4a5",
    "junk.json",
    "afile",
    "afile/sub",
    "empty",
    "/nonexistent",
    "results/recorded/demo",
    "-",
    "--",
]
# Where a command may write, only places inside the sandbox (or nowhere)
WRITES = ["o", "afile", "afile/sub", "", "x" * 300, "/nonexistent/o", "empty", "cassettes"]
VALUES_BY_FLAG = {
    "out": WRITES,
    "memo": WRITES,
    "cassettes": WRITES,
    "base_url": ["http://[::1", "ftp://x", "", "x", "http://user:pw@127.0.0.1:9/v1"],
    # a real data set makes `fidelity` re-evaluate published rows for minutes: the names are wrong
    "datasets": ["mnist", "", ",", "x" * 300, "\U0001f4a5"],
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone-like folder: the demo's cassettes and results, a broken manifest, a file, an empty folder."""
    root = tmp_path_factory.mktemp("fuzz")
    demo_cassettes(root)
    shutil.copytree(REPO / "results/recorded/demo", root / "results/recorded/demo")
    (root / "junk.json").write_text('{"format": 2, "history')
    (root / "afile").write_text("x")
    (root / "empty").mkdir()
    return root


def generated(rng: random.Random, commands: dict[str, argparse.ArgumentParser]) -> list[str]:
    name = rng.choice(sorted(commands))
    argv, parser = [name], commands[name]
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
    if actions:
        action = rng.choice(sorted(actions[0].choices))
        if (name, action) == ("baselines", "install"):  # a real name would download an environment
            return [name, action, rng.choice(["nope", "", "x" * 300])]
        argv.append(action)
        parser = actions[0].choices[action]
    flags = [a for a in parser._actions if a.option_strings and a.dest != "help"]  # noqa: SLF001
    for flag in rng.sample(flags, min(len(flags), rng.randint(0, 4))):
        argv.append(rng.choice(flag.option_strings))
        if flag.nargs != 0:
            choices = [str(c) for c in flag.choices or ()]
            values = choices if choices and rng.random() < 0.5 else VALUES_BY_FLAG.get(flag.dest, ANY)
            argv.append(rng.choice(values))
    # What would run for seconds to minutes when every value happens to be valid: asked to plan only, or
    # pointed at inputs that are not there
    if name in ("run", "grid", "components", "warmstart"):
        argv.append("--dry-run")
    if name == "fidelity" and "--datasets" not in argv:
        argv += ["--datasets", "mnist"]
    if name == "tables" and "--results" not in argv:
        argv += ["--results", rng.choice(["empty", "afile", "junk.json", "/nonexistent"])]
    if name == "serve-local":
        argv += ["--port", "x"]  # never starts a server
    return argv


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_generated_command_lines_end_in_a_documented_code_without_a_traceback(sandbox, seed):
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    rng = random.Random(seed)
    failures = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for _ in range(250):
            argv = generated(rng, commands)
            signal.alarm(SECONDS_EACH)
            try:
                result = main_in_process(*argv, cwd=sandbox)
            except _Hang:
                failures.append(f"no end within {SECONDS_EACH} s: {argv}")
                continue
            except Exception as exc:  # what a user would see as a traceback
                failures.append(f"{type(exc).__name__}: {exc}: {argv}")
                continue
            finally:
                signal.alarm(0)
            if result.returncode not in DOCUMENTED_EXIT_CODES or "Traceback" in result.stderr:
                failures.append(f"exit {result.returncode}: {argv}: {result.stderr[-200:]}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert failures == []
