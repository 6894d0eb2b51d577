"""A pytest plugin for users' own tests of LLM code.

`llm_replay` (the one to use): openai clients whose every request goes through this package's
transport and store, one namespace per test (named by its node id, so tests of one name in two files
never share answers), matched on the request alone (host and port are never part of a key, so a stub
server on port 0 replays). Options, as pytest-recording has them:

- ``--llm-mode replay|record|auto|live|rewrite`` (default: $LLAMBO_REPLAY_MODE, else replay; rewrite
  forgets what each test recorded and records it afresh);
- ``--llm-cassette-dir DIR`` (default: ``cassettes/`` beside each test file);
- ``--block-network``: any connection to a host other than the loopback fails the test (when pytest-recording
  is installed, its option of that name, which this plugin then honours too; ``--llm-block-network`` always);
- ``@pytest.mark.llm_replay(namespace=..., ignore=(...), redact=..., mode=..., base_url=...)`` for one test,
  and an ``llm_replay_config`` fixture (a dict of the same keys) to override for a folder, as
  pytest-recording's ``vcr_config``.

`vcr_llm`: the same traffic through vcrpy (YAML per test) with credentials filtered, for those who
want vcrpy's cassettes (``--llm-record-mode=none|once|new_episodes|all``).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from llambo_replay.replay.canonical import SECRET_QUERY_PARAMS

SECRET_HEADERS = ("authorization", "openai-organization", "openai-project", "api-key", "x-api-key", "cookie")
SECRET_RESPONSE_HEADERS = ("openai-organization", "openai-project", "set-cookie", "x-request-id")
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop response headers that name the account (vcrpy's `filter_headers` covers requests only)."""
    headers = response.get("headers") or {}
    for name in [n for n in headers if n.lower() in SECRET_RESPONSE_HEADERS]:
        del headers[name]
    return response


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--llm-record-mode",
        default="none",
        choices=["none", "once", "new_episodes", "all"],
        help="vcrpy record mode for the vcr_llm fixture (default: none = replay only)",
    )
    group = parser.getgroup("llm_replay", "record and replay LLM calls (llambo-replay)")
    group.addoption(
        "--llm-mode",
        default=None,
        choices=["replay", "record", "auto", "live", "rewrite"],
        help="record mode of the llm_replay fixture (default: $LLAMBO_REPLAY_MODE, else replay); "
        "rewrite: forget what each test recorded, then record it afresh",
    )
    group.addoption(
        "--llm-cassette-dir",
        default=None,
        help="one cassette store for every test (default: cassettes/ beside each test file)",
    )
    blocking = "fail any test that connects to a host other than the loopback"
    group.addoption("--llm-block-network", action="store_true", help=blocking)
    if find_spec("pytest_recording") is None:  # pytest-recording registers --block-network itself: two would clash
        try:
            group.addoption("--block-network", action="store_true", help=blocking)
        except ValueError:  # another plugin registered it first: honoured below all the same
            pass


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "llm_replay(namespace=None, ignore=(), redact=None, mode=None, base_url=None): "
        "options of the llm_replay fixture for this test",
    )


@pytest.fixture(autouse=True)
def _block_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    options = request.config.option
    if not (options.llm_block_network or getattr(options, "block_network", False)):
        return
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK_HOSTS:
            raise RuntimeError(f"--block-network: {request.node.nodeid} tried to connect to {address}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def llm_replay_config() -> dict[str, Any]:
    """Override in a conftest.py to set the llm_replay options of every test below it."""
    return {}


class LlmReplay:
    """What `llm_replay` gives a test: its transport, and openai clients built on it."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    def client(self) -> Any:
        from llambo_replay.replay.http.session import open_client

        return open_client(self.transport)

    def async_client(self) -> Any:
        from llambo_replay.replay.http.session import open_async_client

        return open_async_client(self.transport)


def namespace_of_test(nodeid: str) -> str:
    """A test's node id as a namespace: `tests/test_chat.py::test_hello[a]` -> `tests/test_chat.py/test_hello-a-`."""
    path, _, name = nodeid.partition("::")
    return f"{path}/{re.sub(r'[^A-Za-z0-9._=+-]+', '-', name.replace('::', '/'))}".strip("/")


@pytest.fixture
def llm_replay(request: pytest.FixtureRequest, llm_replay_config: dict[str, Any]) -> Iterator[LlmReplay]:
    """openai clients for this test that record and replay through llambo-replay's store."""
    from llambo_replay.replay.http.session import make_transport
    from llambo_replay.replay.modes import parse_mode
    from llambo_replay.replay.storage.store import CassetteStore

    marker = request.node.get_closest_marker("llm_replay")
    options = {**llm_replay_config, **(marker.kwargs if marker else {})}
    folder = request.config.getoption("--llm-cassette-dir") or Path(request.node.path).parent / "cassettes"
    wanted = options.get("mode") or request.config.getoption("--llm-mode")
    store = CassetteStore(folder)
    namespace = options.get("namespace") or namespace_of_test(request.node.nodeid)
    if wanted == "rewrite":  # pytest-recording's rewrite: this test's recordings go, then it records
        if store.root.is_dir():
            store.remove_many(list(store.iter_entries(namespace)))
        wanted = "record"
    transport = make_transport(
        store,
        namespace,
        parse_mode(wanted),
        options.get("base_url"),
        ignore=tuple(options.get("ignore", ())),
        redact=options.get("redact"),
    )
    try:
        yield LlmReplay(transport)
    finally:
        transport.close()


def vcr_for(cassette_dir: Path, record_mode: str) -> Any:
    import vcr

    return vcr.VCR(
        cassette_library_dir=str(cassette_dir),
        record_mode=record_mode,
        match_on=list(MATCH_ON),
        filter_headers=list(SECRET_HEADERS),
        filter_query_parameters=sorted(SECRET_QUERY_PARAMS),
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )


@pytest.fixture
def vcr_llm(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Wraps the test in a vcrpy cassette at ``<test dir>/cassettes/<test name>.yaml``."""
    folder = Path(request.node.path).parent / "cassettes"
    recorder = vcr_for(folder, request.config.getoption("--llm-record-mode"))
    with recorder.use_cassette(f"{request.node.name}.yaml") as cassette:
        yield cassette
