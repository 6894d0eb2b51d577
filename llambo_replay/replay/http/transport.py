"""An httpx2 transport (sync and async) that answers from cassettes or records live answers.

It is passed to the official `openai` client as ``http_client=httpx2.Client(transport=...)``,
so every API the client speaks is covered without monkey-patching. The k-th identical
request of a namespace is occurrence ("slot") k; slots are assigned when the request
enters the transport, before anything is awaited, so they follow the order of arrival, not of
completion. Identical requests that are in flight together need more than that (a client may
await before the transport): `scope` and `occurrences.Batch` fix their slots by the program.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2

from llambo_replay.errors import EndpointError, ReplayMiss, UsageError
from llambo_replay.replay import diff, occurrences
from llambo_replay.replay.canonical import (
    canonical_request,
    redact_url,
    relative_path,
    request_key,
    without_fields,
)
from llambo_replay.replay.http.answers import BodyLimit, judge_answer, stored_response
from llambo_replay.replay.http.rate_limit import RateLimit, request_tokens
from llambo_replay.replay.http.retry import ErrorAnswer, RetryableFailure, RetryPolicy
from llambo_replay.replay.http.spool import SpooledBody
from llambo_replay.replay.http.tee import TeedStream, teeable, teed_response
from llambo_replay.replay.modes import RecordMode, policy
from llambo_replay.replay.pricing import cost_usd
from llambo_replay.replay.secrets import credentials_in
from llambo_replay.replay.storage.store import CassetteStore

# An address that is never contacted (the .invalid top-level domain): the base URL of every offline replay.
OFFLINE_URL = "http://replay.invalid/v1"
DEFAULT_TIMEOUT_S = 120.0  # per attempt; a 135M model on two cores needs ~40 s for a 2,600-token prompt
# Response headers never stored: credentials and cookies, and the framing of a body that is stored re-encoded.
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "set-cookie",
        "cookie",
        "authorization",
        "api-key",
        "x-api-key",
        "openai-organization",
        "openai-project",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "date",
    }
)
# Client errors that the same request always gets: recorded and replayed, so the SDK raises its own exception
# both times (a context-length fallback behaves alike). Credentials (401, 403) and transient failures
# (408, 409, 429, 5xx) are never stored.
RECORDED_ERROR_STATUSES = frozenset({400, 404, 405, 413, 415, 422})
# No completion comes near this (n = 30 with logprobs is ~1 MB); a compressed body is capped after decoding.
MAX_RESPONSE_BYTES = 64 * 2**20


@dataclass
class _Ticket:
    key: str
    slot: int
    canonical: dict[str, Any]


@dataclass
class ReplayTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    store: CassetteStore
    namespace: str
    mode: RecordMode
    base_url: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    upstream: httpx2.BaseTransport | None = None
    async_upstream: httpx2.AsyncBaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Any] = asyncio.sleep
    timeout_s: float = DEFAULT_TIMEOUT_S  # per attempt, the whole answer included (not per byte)
    max_response_bytes: int = MAX_RESPONSE_BYTES
    recorded_error_statuses: frozenset[int] = RECORDED_ERROR_STATUSES
    dropped_response_headers: frozenset[str] = DROPPED_RESPONSE_HEADERS
    # Request hooks: dotted fields left out of the key and the stored request (`("body.user",)`), and a
    # function applied to the request (as keyed and stored) and to the answer (as stored), e.g. to mask a
    # key pasted into a prompt. What is sent to the endpoint is not changed. Both are noted in each entry.
    ignore: tuple[str, ...] = ()
    redact: Callable[[Any], Any] | None = None
    rate_limit: RateLimit | None = None  # requests and tokens per minute sent to the endpoint (`rate_limit`)

    def __post_init__(self) -> None:
        self.policy = policy(self.mode)
        self._base_path = urlsplit(self.base_url).path
        self.endpoint_host = urlsplit(self.base_url).hostname or ""
        self._lock = threading.Lock()
        self._next_slot: Counter[str] = Counter()
        self._scope: contextvars.ContextVar[str | None] = contextvars.ContextVar(f"scope-{id(self)}", default=None)
        self._first_thread: dict[str, int] = {}  # key -> the thread that first sent it (outside any scope)
        self.live_calls = 0  # requests sent to the endpoint, retries included
        self.live_cost_usd = 0.0  # what the answers received from it cost
        # An async connection pool belongs to the event loop it was made in: without one given, each loop
        # that sends gets its own, so `asyncio.run` twice over one transport works.
        self._async_upstreams: weakref.WeakKeyDictionary[Any, httpx2.AsyncBaseTransport] = weakref.WeakKeyDictionary()
        if self.policy.calls_endpoint:
            self.upstream = self.upstream or httpx2.HTTPTransport()

    # -- bookkeeping ------------------------------------------------------------------
    def used_keys(self) -> dict[str, int]:
        """Key -> number of occurrences this transport served, for run manifests."""
        with self._lock:
            return dict(sorted(self._next_slot.items()))

    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Requests sent inside get their own occurrence slots (the name is part of their key). The scope
        belongs to the current asyncio task or thread: give each concurrent work item its own
        (`with transport.scope(f"item-{i}"):`), and identical requests from several tasks or threads
        replay to the item that sent them."""
        outer = self._scope.get()
        token = self._scope.set(name if outer is None else f"{outer}/{name}")
        try:
            yield
        finally:
            self._scope.reset(token)

    def _reserve(self, key: str, count: int) -> int:
        """The first of `count` consecutive slots of `key`, taken now (the caller holds no lock)."""
        with self._lock:
            first = self._next_slot[key]
            self._next_slot[key] += count
        return first

    def _begin(self, request: httpx2.Request) -> _Ticket:
        path = relative_path(
            request.url.path,
            request.url.query.decode("ascii", "replace")
            if isinstance(request.url.query, bytes)
            else str(request.url.query),
            self._base_path,
        )
        canonical = without_fields(
            canonical_request(request.method, path, request.content, request.headers.get("content-type", "")),
            self.ignore,
        )
        if self.redact is not None:
            canonical = self.redact(canonical)
        scope = self._scope.get()
        if scope is not None:
            canonical["scope"] = scope
        key = request_key(canonical)
        batch = occurrences.current_batch()
        if batch is not None:
            return _Ticket(key, batch.slot(self, key, self._reserve), canonical)
        thread = threading.get_ident()
        with self._lock:
            first = self._first_thread.setdefault(key, thread) if scope is None else thread
            if first != thread:
                raise UsageError(
                    "the same request came from two threads through one transport: occurrence slots would follow "
                    "their arrival order, which changes from run to run, so answers would change hands on replay; "
                    "give each thread (or work item) its own `with transport.scope(name):`"
                )
            slot = self._next_slot[key]
            self._next_slot[key] += 1
        return _Ticket(key, slot, canonical)

    def _recorded(self, ticket: _Ticket) -> httpx2.Response | None:
        if not self.policy.reads_store:
            return None
        stored = self.store.get_slot(self.namespace, ticket.key, ticket.slot)
        return None if stored is None else stored_response(stored)

    def _miss(self, ticket: _Ticket) -> ReplayMiss:
        rules = self.key_rules() if self.ignore or self.redact else None
        return diff.miss(self.store, self.namespace, ticket.key, ticket.slot, ticket.canonical, rules)

    def _meta(
        self, body: dict[str, Any], http: dict[str, Any], latency_s: float, attempts: int, asked: str | None
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            parts: list[dict[str, Any]] = []
        else:
            parts = [e["data"] for e in body["sse"] if isinstance(e["data"], dict)] if "sse" in body else [body]
            parts += [p["response"] for p in parts if isinstance(p.get("response"), dict)]  # Responses API events
        usage = next((p["usage"] for p in reversed(parts) if isinstance(p.get("usage"), dict)), None)
        model = next((p["model"] for p in parts if isinstance(p.get("model"), str)), None)
        return {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "endpoint_host": self.endpoint_host,
            "latency_s": round(latency_s, 4),
            "attempts": attempts,
            "usage": usage,
            "cost_usd": cost_usd(asked, usage, answered_by=model),
            "http": http,
            **({"key_rules": self.key_rules()} if self.ignore or self.redact else {}),
        }

    def key_rules(self) -> dict[str, Any]:
        """The request hooks, as entries note them (a replay must key with the same ones)."""
        redact = (
            self.redact and f"{getattr(self.redact, '__module__', '?')}.{getattr(self.redact, '__qualname__', '?')}"
        )
        return {"ignore": list(self.ignore), "redact": redact}

    def _store(
        self, ticket: _Ticket, answer: tuple[Any, dict[str, Any]], latency_s: float, attempts: int
    ) -> dict[str, Any]:
        body, http = answer
        if self.redact is not None:
            body = self.redact(body)
        request = ticket.canonical.get("body")
        asked = request.get("model") if isinstance(request, dict) else None
        meta = self._meta(body, http, latency_s, attempts, asked if isinstance(asked, str) else None)
        with self._lock:
            self.live_cost_usd += meta["cost_usd"]
        if not self.policy.writes_store:
            return {"response": body, "meta": meta}
        return self.store.put(self.namespace, ticket.key, ticket.slot, ticket.canonical, body, meta)

    def _judge(
        self, response: httpx2.Response, content: bytes, path: str, secrets: tuple[str, ...] = ()
    ) -> tuple[Any, dict[str, Any]]:
        if self.rate_limit:
            self.rate_limit.observe(response.headers)
        return judge_answer(
            response,
            content,
            path,
            secrets,
            host=self.endpoint_host,
            retry_statuses=self.retry.retry_statuses,
            recorded_error_statuses=self.recorded_error_statuses,
            dropped_headers=self.dropped_response_headers,
        )

    def _gave_up(self, failure: BaseException) -> EndpointError:
        """The failure that ends the attempts: an error answer goes to the client as sent (so the SDK raises
        its own exception), carrying this account; a connection failure is this package's error."""
        reason = str(failure) or failure.__class__.__name__
        if isinstance(failure, httpx2.TimeoutException):
            reason = f"timed out after {self.timeout_s:g} s ({failure.__class__.__name__})"
        message = (
            f"endpoint {redact_url(self.base_url)} failed after {self.retry.max_attempts} attempts "
            f"(last: {reason}); nothing was stored, rerun to resume"
        )
        answer = getattr(failure, "answer", None)
        if isinstance(answer, ErrorAnswer):
            return ErrorAnswer(message, answer.status, answer.headers, answer.content)
        return EndpointError(message)

    def _from_store(self, request: httpx2.Request) -> tuple[_Ticket, httpx2.Response | None]:
        """Assign the occurrence slot and answer from the cassette if it can; a miss replay may not fill raises."""
        ticket = self._begin(request)
        hit = self._recorded(ticket)
        if hit is None and not self.policy.calls_endpoint:
            raise self._miss(ticket)
        return ticket, hit

    def _backoff(self, attempt: int, failure: BaseException) -> float:
        """Seconds to wait before the next attempt; past the budget, the final error."""
        if attempt + 1 == self.retry.max_attempts:
            raise self._gave_up(failure) from None
        return self.retry.delay(attempt, getattr(failure, "hints", None))

    def _teed(self, response: httpx2.Response, request: httpx2.Request, ticket: _Ticket, *rest: Any) -> httpx2.Response:
        """A successful stream, passed on to the client as it arrives and stored once whole (`tee`)."""
        secrets, started, attempt, limit = rest

        def finish(content: bytes) -> None:
            answer = self._judge(response, content, ticket.canonical["path"], secrets)
            self._store(ticket, answer, time.perf_counter() - started, attempt + 1)

        return teed_response(response, request, TeedStream(response, limit, finish))

    # -- sync -------------------------------------------------------------------------
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        ticket, hit = self._from_store(request)
        if hit is not None:
            return hit
        assert self.upstream is not None
        started = time.perf_counter()
        secrets = credentials_in(request.headers)  # masked in what comes back
        try:
            for attempt in range(self.retry.max_attempts):
                try:
                    self.live_calls += 1
                    if self.rate_limit:
                        self.rate_limit.wait_turn(request_tokens(request.content))
                    limit = BodyLimit(self.max_response_bytes, self.timeout_s, self.endpoint_host)
                    response = self.upstream.handle_request(request)
                    if teeable(response):
                        return self._teed(response, request, ticket, secrets, started, attempt, limit)
                    body = SpooledBody(limit)
                    try:
                        body.fill(response.iter_bytes())
                    finally:
                        response.close()
                    with body.content() as content:
                        answer = self._judge(response, content, ticket.canonical["path"], secrets)
                        stored = self._store(ticket, answer, time.perf_counter() - started, attempt + 1)
                        return stored_response(stored, request)
                except (RetryableFailure, httpx2.TransportError) as failure:
                    self.sleep(self._backoff(attempt, failure))
        except ErrorAnswer as final:
            return final.response(request)
        raise AssertionError("unreachable")

    # -- async ------------------------------------------------------------------------
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if isinstance(request.stream, httpx2.AsyncByteStream) and not hasattr(request, "_content"):
            await request.aread()  # a streamed body (the SDK sends bytes, so this is rare) must be read first
        ticket, hit = self._from_store(request)  # before any other await: slots follow program order
        if hit is not None:
            return hit
        upstream = self._async_upstream()
        started = time.perf_counter()
        secrets = credentials_in(request.headers)  # masked in what comes back
        try:
            for attempt in range(self.retry.max_attempts):
                try:
                    self.live_calls += 1
                    if self.rate_limit:
                        await self.rate_limit.await_turn(request_tokens(request.content))
                    limit = BodyLimit(self.max_response_bytes, self.timeout_s, self.endpoint_host)
                    response = await upstream.handle_async_request(request)
                    if teeable(response):
                        return self._teed(response, request, ticket, secrets, started, attempt, limit)
                    body = SpooledBody(limit)
                    try:
                        await body.afill(response.aiter_bytes())
                    finally:
                        await response.aclose()
                    async with body.acontent() as content:
                        answer = self._judge(response, content, ticket.canonical["path"], secrets)
                        # the store fsyncs under a lock: off the event loop, so other requests stay in flight
                        stored = await asyncio.to_thread(
                            self._store, ticket, answer, time.perf_counter() - started, attempt + 1
                        )
                        return stored_response(stored, request)
                except (RetryableFailure, httpx2.TransportError) as failure:
                    await self.async_sleep(self._backoff(attempt, failure))
        except ErrorAnswer as final:
            return final.response(request)
        raise AssertionError("unreachable")

    def _async_upstream(self) -> httpx2.AsyncBaseTransport:
        if self.async_upstream is not None:  # given: its owner answers for the loops it serves
            return self.async_upstream
        loop = asyncio.get_running_loop()
        with self._lock:
            if loop not in self._async_upstreams:
                self._async_upstreams[loop] = httpx2.AsyncHTTPTransport()
            return self._async_upstreams[loop]

    def close(self) -> None:
        if self.upstream is not None:
            self.upstream.close()

    async def aclose(self) -> None:
        if self.async_upstream is not None:
            await self.async_upstream.aclose()
        with self._lock:
            mine = self._async_upstreams.pop(asyncio.get_running_loop(), None)
        if mine is not None:  # those of loops already closed went with them
            await mine.aclose()
