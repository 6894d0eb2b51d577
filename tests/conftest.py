"""Shared helpers and fixtures: the command line in a child process, a real OpenAI-protocol server on
127.0.0.1, throw-away stores, and one `check` of every committed result per test session (the tests
that read it run in one xdist worker)."""

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


# Tests that share an expensive fixture run in one xdist worker, so that it is made once per suite.
SHARED_IN_ONE_WORKER = {"committed_check": "committed", "clone": "committed"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        groups = {
            SHARED_IN_ONE_WORKER[name] for name in getattr(item, "fixturenames", ()) if name in SHARED_IN_ONE_WORKER
        }
        for group in groups:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def committed_check() -> subprocess.CompletedProcess:
    """`llambo-replay check` of every committed result, run once for the tests that read it."""
    return run_cli("check", timeout=1800)


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
