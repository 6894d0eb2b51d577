"""Shared helpers and fixtures: the command line in a child process, a real OpenAI-protocol server on
127.0.0.1, throw-away stores, and one `check` of every committed result per test session."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_helpers import run_cli  # noqa: E402
from llm_responder import llambo_responder  # noqa: E402

from llambo_replay.replay.loopback import LoopbackServer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def committed_check(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    """`llambo-replay check` of every committed result, run once per suite for the tests that read it: the
    first xdist worker to need it runs it, under a lock, and the others read what it printed. (xdist's
    `--dist loadgroup` would keep them in one worker, but does not group under pytest 9.2:
    pytest-dev/pytest-xdist#1386.)"""
    import fcntl
    import json
    import os

    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent  # a worker's base is popen-gwN/ inside the session's: that one is shared
    saved = shared / "committed-check.json"
    with open(shared / "committed-check.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.is_file():
            done = run_cli("check", timeout=1800)
            saved.write_text(json.dumps([done.returncode, done.stdout, done.stderr]))
        code, out, err = json.loads(saved.read_text())
    return subprocess.CompletedProcess(["llambo-replay", "check"], code, out, err)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def llm_server() -> Iterator[LoopbackServer]:
    """Answers LLAMBO prompts; ignores `n` like llama.cpp's server, so top-ups are exercised."""
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as srv:
        yield srv


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a connection fails the test (the list records attempts)."""
    attempts: list[object] = []

    def guard(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket.socket, "connect_ex", guard)
    return attempts


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The paper's data as shipped with the package (what every command uses by default)."""
    from llambo_replay.bayesmark.reference import PACKAGED

    return PACKAGED
