"""A pytest plugin for users' own tests: `vcr_llm` records/replays a test's HTTP traffic with vcrpy.

vcrpy fits small per-test cassettes (YAML, one per test); our content-addressed store
fits whole runs. Both filter credentials and match on the request body. Choose the mode
with ``pytest --llm-record-mode=none|once|new_episodes|all`` (default: none, i.e. replay only).
"""

from __future__ import annotations

from collections.abc import Iterator
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
    parser.addoption("--llm-record-mode", default="none", choices=["none", "once", "new_episodes", "all"],
                     help="vcrpy record mode for the vcr_llm fixture (default: none = replay only)")


def vcr_for(cassette_dir: Path, record_mode: str) -> Any:
    import vcr

    return vcr.VCR(cassette_library_dir=str(cassette_dir), record_mode=record_mode, match_on=list(MATCH_ON),
                   filter_headers=list(SECRET_HEADERS), filter_query_parameters=sorted(SECRET_QUERY_PARAMS),
                   before_record_response=_scrub_response, decode_compressed_response=True)


@pytest.fixture
def vcr_llm(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Wraps the test in a vcrpy cassette at ``<test dir>/cassettes/<test name>.yaml``."""
    folder = Path(request.node.path).parent / "cassettes"
    recorder = vcr_for(folder, request.config.getoption("--llm-record-mode"))
    with recorder.use_cassette(f"{request.node.name}.yaml") as cassette:
        yield cassette
