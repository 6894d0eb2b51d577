"""Build `openai` clients whose every request goes through a `ReplayTransport`."""

from __future__ import annotations

import os

import httpx2
import openai

from llambo_replay.errors import EndpointError, LlamboReplayError
from llambo_replay.replay.modes import RecordMode, policy
from llambo_replay.replay.store import CassetteStore
from llambo_replay.replay.transport import ReplayTransport, RetryPolicy

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
# The openai client insists on a key; local servers and replay need none.
PLACEHOLDER_KEY = "no-key-needed"


def resolve_base_url(base_url: str | None) -> str:
    return base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


def _api_key(mode: RecordMode, api_key: str | None) -> str:
    if not policy(mode).calls_endpoint:
        return PLACEHOLDER_KEY  # replay never sends a key anywhere
    return api_key or os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY


def probe_endpoint(base_url: str, api_key: str, timeout_s: float = 10.0) -> None:
    """Fail fast, before a long recording, when the endpoint does not answer."""
    try:
        response = httpx2.get(base_url.rstrip("/") + "/models", headers={"Authorization": f"Bearer {api_key}"},
                              timeout=timeout_s)
    except httpx2.HTTPError as exc:
        raise EndpointError(f"cannot reach the endpoint {base_url} ({exc.__class__.__name__}); start it "
                            "(llambo-replay serve-local) or pass --base-url") from None
    if response.status_code >= 400:
        raise EndpointError(f"endpoint {base_url} answered GET /models with HTTP {response.status_code}; "
                            "check --base-url and OPENAI_API_KEY")


def make_transport(store: CassetteStore, namespace: str, mode: RecordMode, base_url: str | None = None,
                   retry: RetryPolicy | None = None, api_key: str | None = None) -> ReplayTransport:
    url = resolve_base_url(base_url)
    if policy(mode).probes_endpoint:
        probe_endpoint(url, _api_key(mode, api_key))
    return ReplayTransport(store=store, namespace=namespace, mode=mode, base_url=url, retry=retry or RetryPolicy())


def open_async_client(transport: ReplayTransport, api_key: str | None = None,
                      timeout_s: float = 120.0) -> openai.AsyncOpenAI:
    """An AsyncOpenAI client over `transport`; retries are the transport's, not the SDK's."""
    return openai.AsyncOpenAI(base_url=transport.base_url, api_key=_api_key(transport.mode, api_key),
                              max_retries=0, timeout=timeout_s,
                              http_client=httpx2.AsyncClient(transport=transport, timeout=timeout_s))


def open_client(transport: ReplayTransport, api_key: str | None = None, timeout_s: float = 120.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=transport.base_url, api_key=_api_key(transport.mode, api_key),
                         max_retries=0, timeout=timeout_s,
                         http_client=httpx2.Client(transport=transport, timeout=timeout_s))


def unwrap(exc: BaseException) -> BaseException:
    """The SDK wraps transport exceptions in APIConnectionError; give ours back."""
    cause = exc.__cause__
    if isinstance(exc, openai.APIConnectionError) and isinstance(cause, LlamboReplayError):
        return cause
    return exc
