"""Build `openai` clients whose every request goes through a `ReplayTransport`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2
import openai

from llambo_replay.errors import EndpointError, LlamboReplayError, UsageError
from llambo_replay.replay.canonical import redact_url
from llambo_replay.replay.http.rate_limit import RateLimit
from llambo_replay.replay.http.retry import NOTE, RetryPolicy
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S, ReplayTransport
from llambo_replay.replay.modes import RecordMode, policy
from llambo_replay.replay.secrets import refuse_credential
from llambo_replay.replay.storage.store import CassetteStore

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
# The openai client insists on a key; local servers and replay need none.
PLACEHOLDER_KEY = "no-key-needed"


def resolve_base_url(base_url: str | None) -> str:
    """The endpoint to use; refuses URLs the client cannot use as a base (a query string would be
    glued in front of every API path, and a key in it would end up in messages)."""
    url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL {redact_url(url)} is not an http(s) URL such as http://127.0.0.1:8080/v1")
    if parts.query or parts.fragment:
        raise UsageError(
            f"base URL {redact_url(url)} has a query string, which the client would put in front of "
            "every API path; give the key in OPENAI_API_KEY (sent as a header, never stored) and, for "
            "Azure OpenAI, use its v1 endpoint https://<resource>.openai.azure.com/openai/v1"
        )
    if "@" in parts.netloc:
        raise UsageError(
            f"base URL {redact_url(url)} has user info (name@host), which the client would send as a "
            "password; give the key in OPENAI_API_KEY (sent as a header, never stored)"
        )
    refuse_credential("the base URL's path", unquote(parts.path))
    return url


def _api_key(mode: RecordMode, api_key: str | None) -> str:
    if not policy(mode).calls_endpoint:
        return PLACEHOLDER_KEY  # replay never sends a key anywhere
    return api_key or os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY


def probe_endpoint(base_url: str, api_key: str, timeout_s: float = 10.0) -> None:
    """Fail fast, before a long recording, when the endpoint does not answer."""
    shown = redact_url(base_url)
    try:
        response = httpx2.get(
            base_url.rstrip("/") + "/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout_s
        )
    except httpx2.HTTPError as exc:
        fix = (
            "start it with `llambo-replay serve-local`, or pass --base-url"
            if base_url == DEFAULT_BASE_URL
            else "check that it is up and that the URL is right"
        )
        raise EndpointError(f"cannot reach the endpoint {shown} ({exc.__class__.__name__}); {fix}") from None
    if response.status_code >= 400:
        raise EndpointError(
            f"endpoint {shown} answered GET /models with HTTP {response.status_code}; "
            "check --base-url and OPENAI_API_KEY"
        )


def make_transport(
    store: CassetteStore,
    namespace: str,
    mode: RecordMode,
    base_url: str | None = None,
    retry: RetryPolicy | None = None,
    api_key: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ignore: tuple[str, ...] = (),
    redact: Callable[[Any], Any] | None = None,
    rate_limit: RateLimit | None = None,
) -> ReplayTransport:
    """The transport for one namespace; checks the store (and, in record mode, the endpoint) first,
    so that a bad folder or a dead endpoint fails before anything is paid for."""
    url = resolve_base_url(base_url)
    if not timeout_s > 0:
        raise UsageError(f"the request timeout must be a positive number of seconds (got {timeout_s})")
    uses = policy(mode)
    if uses.reads_store or uses.writes_store:
        store.check_usable(writes=uses.writes_store)
    if uses.probes_endpoint:
        probe_endpoint(url, _api_key(mode, api_key), timeout_s=min(timeout_s, 10.0))
    return ReplayTransport(
        store=store,
        namespace=namespace,
        mode=mode,
        base_url=url,
        retry=retry or RetryPolicy(),
        timeout_s=timeout_s,
        ignore=tuple(ignore),
        redact=redact,
        rate_limit=rate_limit,
    )


def open_async_client(transport: ReplayTransport, api_key: str | None = None) -> openai.AsyncOpenAI:
    """An AsyncOpenAI client over `transport`; retries are the transport's, not the SDK's."""
    return openai.AsyncOpenAI(
        base_url=transport.base_url,
        api_key=_api_key(transport.mode, api_key),
        max_retries=0,
        timeout=transport.timeout_s,
        http_client=httpx2.AsyncClient(transport=transport, timeout=transport.timeout_s),
    )


def open_client(transport: ReplayTransport, api_key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=transport.base_url,
        api_key=_api_key(transport.mode, api_key),
        max_retries=0,
        timeout=transport.timeout_s,
        http_client=httpx2.Client(transport=transport, timeout=transport.timeout_s),
    )


def unwrap(exc: BaseException) -> BaseException:
    """The SDK wraps transport exceptions in APIConnectionError; give ours back. A recorded client error
    (HTTP 400, ...) reaches the SDK as the endpoint sent it, and comes back as one of ours here."""
    cause = exc.__cause__
    if isinstance(exc, openai.APIConnectionError) and isinstance(cause, LlamboReplayError):
        return cause
    if isinstance(exc, openai.APIStatusError):
        note = exc.response.extensions.get(NOTE) if exc.response is not None else None
        if isinstance(note, bytes):  # an error answer this layer passed through: its own account of it
            return EndpointError(note.decode())
        host = exc.request.url.host if exc.request is not None else "the endpoint"
        return EndpointError(
            f"endpoint {host} refused the request with HTTP {exc.status_code}: {str(exc.message)[:300]}"
        )
    return exc
