"""The command line as a user meets it: help, one-line errors, exit codes, nothing damaged."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cassette_helpers import demo_cassettes
from cli_helpers import OFFLINE, main_in_process, tree_state
from cli_helpers import run_cli as cli
from docs_helpers import DOCS

REPO = Path(__file__).resolve().parents[2]


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ")
    for fragment in fragments:
        assert fragment in first


def test_help_lists_every_command():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("run", "grid", "cassettes", "check", "components", "fidelity", "tables", "serve-local"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command


@pytest.mark.parametrize(
    "command", ["run", "grid", "check", "migrate", "tables", "components", "fidelity", "serve-local", "cassettes"]
)
def test_every_command_explains_itself_and_shows_plain_defaults(command):
    result = main_in_process(command, "--help")
    assert result.returncode == 0
    description = result.stdout.split("\n\n")[1]
    assert len(description.split()) >= 5 and not description.lstrip().startswith(("-", "positional", "options"))
    assert "['" not in result.stdout, "a default shown as a Python list"


def test_a_memo_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "memo").write_text("not a folder")
    assert_one_line_error(
        cli("run", "--memo", str(tmp_path / "memo"), "--out", str(tmp_path / "o")), "cannot open the objective memo"
    )


@pytest.mark.slow
def test_replaying_an_unrecorded_seed_is_a_one_line_miss_with_the_key(tmp_path):
    before = tree_state(REPO / "cassettes")
    result = cli("run", "--seed", "7", "--mode", "replay", "--out", str(tmp_path), "--no-memo", "--base-url", OFFLINE)
    assert result.returncode == 3
    assert_one_line_error(result, "miss")
    assert re.search(r"\b[0-9a-f]{64}\b", result.stderr.splitlines()[0])
    assert "nearest recorded request" in result.stderr
    assert tree_state(REPO / "cassettes") == before


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "--dataset", "mnist"], "unknown dataset 'mnist'"),
        (["run", "--model", "XGBoost"], "unknown model 'XGBoost'"),
        (["run", "--trials", "-1"], "must be 0 or more"),
        (["run", "--seed", "x"], "expected a whole number"),
        (["run", "--mode", "rewind"], "unknown record mode 'rewind'"),
        (["run", "--reference", "/nonexistent/ref"], "does not exist"),
        (["fidelity", "--reference", "/nonexistent/ref"], "does not exist"),
        (["cassettes", "verify", "--cassettes", "/nonexistent/c"], "does not exist"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_gets_a_one_line_error(tmp_path, args, fragment):
    before = tree_state(REPO / "cassettes")
    result = main_in_process(*args, "--out", str(tmp_path)) if args[0] == "run" else main_in_process(*args)
    assert_one_line_error(result, fragment)
    assert tree_state(REPO / "cassettes") == before


def test_a_malformed_reference_folder_is_named(tmp_path):
    (tmp_path / "ref").mkdir()
    result = main_in_process("run", "--reference", str(tmp_path / "ref"), "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "is not a LLAMBO reference folder")


def test_an_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("run", "--out", str(blocker / "out"), "--no-memo", "--base-url", OFFLINE)
    assert_one_line_error(result, "cannot write to the output folder")


@pytest.mark.slow
def test_a_corrupt_cassette_is_refused_not_replayed(tmp_path):

    cassettes = demo_cassettes(tmp_path)
    victim = sorted((cassettes / "smollm2-135m-instruct/discriminative-json/iris/SVM/seed0").rglob("*.jsonl"))[0]
    victim.write_text(victim.read_text()[:-40])
    verify = cli("cassettes", "verify", "--cassettes", str(cassettes))
    assert verify.returncode == 4 and str(victim) in verify.stdout
    result = cli("run", "--cassettes", str(cassettes), "--out", str(tmp_path / "o"), "--no-memo", "--base-url", OFFLINE)
    assert result.returncode in (3, 4)  # corrupt (4), or a miss (3) if the damaged entry is reached later
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_committed_demo_replays_offline_to_its_recorded_history(tmp_path):
    result = cli("run", "--out", str(tmp_path), "--no-memo", "--base-url", OFFLINE)
    assert result.returncode == 0, result.stderr
    assert "LLM requests" in result.stdout and "0 sent to the endpoint" in result.stdout
    committed = json.loads((REPO / "results/recorded/demo/iris/SVM/0.manifest.json").read_text())
    produced = (tmp_path / "iris/SVM/0.csv").read_text()
    assert hashlib.sha256(produced.encode()).hexdigest() == committed["history_sha256"]
    assert produced == (REPO / "results/recorded/demo/iris/SVM/0.csv").read_text()


@pytest.mark.slow
def test_every_committed_run_replays(committed_check):
    """(`cassettes verify` and `cassettes scan` of the committed store run in the README test, which runs
    every documented command; tests/integration/test_secrets_repo.py scans it for secrets.)"""
    check = committed_check
    assert "DIFF" not in check.stdout
    assert check.returncode == 0, check.stderr
    assert re.search(r"^(\d+)/\1 committed results reproduce", check.stdout, re.MULTILINE)


@pytest.mark.slow
def test_stats_reports_tokens_per_namespace():
    result = cli("cassettes", "stats")
    assert result.returncode == 0
    total = result.stdout.splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) > 0 and int(total[3]) > 0


def test_serve_local_without_the_local_extra_says_how_to_install_it():
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is not None:
        pytest.skip("llama-cpp-python is installed here; this checks the message shown without it")
    assert_one_line_error(cli("serve-local", "--port", "8099"), "pip install -e '.[local]'")


def test_the_timeout_flag_defaults_to_the_transports_timeout():
    from llambo_replay.cli import build_parser
    from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S

    assert build_parser().parse_args(["run"]).timeout == DEFAULT_TIMEOUT_S


def test_python_dash_m_runs_the_same_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "llambo_replay", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("llambo-replay ")


@pytest.mark.parametrize(
    "args, where",
    [
        (["check", "--out", "x"], "llambo-replay check --help"),
        (["cassettes", "verify", "--nope"], "llambo-replay cassettes verify --help"),
        (["--nope"], "llambo-replay --help"),
    ],
)
def test_an_unknown_flag_points_to_the_help_of_the_command_it_was_given_to(args, where):
    """An unknown flag points to the help of the command it was given to."""
    result = main_in_process(*args)
    assert result.returncode == 2 and result.stderr.strip().endswith(f"(see '{where}')"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_one_task_vocabulary_in_every_command_that_takes_one_task():
    """Every command that takes one task takes it as --task DATASET/MODEL or as --dataset and --model."""

    def dry(*args: str) -> subprocess.CompletedProcess:
        return cli(*args, "--dry-run", timeout=300)

    assert dry("run", "--task", "wine/SVM").stdout == dry("run", "--dataset", "wine", "--model", "SVM").stdout != ""
    assert (
        dry("warmstart", "--task", "breast/RandomForest").stdout
        == dry("warmstart", "--dataset", "breast", "--model", "RandomForest").stdout
        != ""
    )
    both = dry("run", "--task", "wine/SVM", "--model", "SVM")
    assert both.returncode == 2 and both.stderr.startswith("error: give the task as --task DATASET/MODEL or as")


@pytest.mark.parametrize("args", [["run"], ["check"], ["tables"], ["components"], ["grid", "--methods", "random"]])
def test_run_from_another_folder_says_so_and_leaves_nothing_behind(tmp_path, args):
    """Run from another folder, a command says "run from the clone root" and leaves no empty output folder."""
    result = cli(*args, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run from the clone's root folder" in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_flag_of_every_command_is_documented():
    """The docs' `run` synopsis names every flag `run --help` has."""
    import argparse

    from llambo_replay.cli import build_parser

    docs = "\n".join(DOCS.values())

    def flags(parser: argparse.ArgumentParser, name: str):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    yield from flags(sub, f"{name} {sub_name}".strip())
            else:
                yield from ((name, o) for o in action.option_strings if o.startswith("--") and o != "--help")

    undocumented = sorted(
        {
            (name, flag)
            for name, flag in flags(build_parser(), "")
            if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", docs)
        }
    )
    assert undocumented == []


@pytest.mark.slow
def test_one_manifest_replays_on_its_own():
    """`check --results <manifest>` replays one committed result with no flag read from its manifest by hand."""
    result = cli("check", "--results", "results/recorded/demo/iris/SVM/0.manifest.json", cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("1/1 committed results reproduce: 1 replayed byte for byte")


def test_help_says_a_default_once_in_words():
    out = cli("check", "--help").stdout
    assert "PosixPath" not in out
    assert " ".join(out.split()).count("(default: the committed results/recorded") == 1


def test_check_takes_a_runs_own_file_for_the_manifest_beside_it(tmp_path):
    from llambo_replay.errors import UsageError
    from llambo_replay.experiments.results.check import run_manifests

    run = REPO / "results/recorded/demo/iris/SVM"
    for name in ("0.csv", "0.trials.csv", "0.manifest.json"):
        assert run_manifests(run / name) == [run / "0.manifest.json"]
    notes = tmp_path / "notes.txt"
    notes.write_text("not a run\n")
    with pytest.raises(UsageError, match=r"is a file, but neither a run manifest"):
        run_manifests(notes)


@pytest.mark.slow
def test_the_progress_bar_counts_the_runs_requests_as_they_arrive(tmp_path):
    """On a terminal: the bar's request count is the whole run's (it ends at the summary's count, not at the
    last trial's), and it moves within a trial, not only when one ends."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))  # a terminal has a width
    command = [sys.executable, "-m", "llambo_replay.cli", "run", "--out", str(tmp_path), "--no-memo"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    shown = b""
    while True:  # read the terminal while the run writes to it (a closed terminal drops what is unread)
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the run has closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    summary = process.stdout.read().decode()
    assert process.wait(timeout=300) == 0, shown
    total = int(re.search(r"LLM requests\s+(\d+)", summary).group(1))
    counts = [int(n) for n in re.findall(rb"requests=(\d+)", shown)]
    assert counts and counts[-1] == total, counts
    assert len(set(counts)) > 11, counts  # more values than the 11 trial ends: it moved within trials
