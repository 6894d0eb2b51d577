"""Judging an answer (stored, retried or refused, with any credential masked) and reading it: chunk by
chunk under a time and size cap, server-sent events parsed into what is stored and rendered back into
the same events on replay."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx2

from llambo_replay.errors import EndpointError
from llambo_replay.replay.canonical import canonical_json
from llambo_replay.replay.http.retry import ErrorAnswer, RetryableFailure
from llambo_replay.replay.http.schema import (
    EVENT_STREAM,
    answer_kind,
    completion_problem,
    recorded_http,
    stored_kind,
    stream_problem,
)
from llambo_replay.replay.secrets import mask, scan_text


class BodyLimit:
    """An answer read chunk by chunk under the attempt's total time and the size cap (after decoding):
    neither a trickle (each byte inside the read timeout) nor a compressed bomb gets past them."""

    def __init__(self, max_bytes: int, timeout_s: float, host: str) -> None:
        self.max_bytes, self.timeout_s, self.host = max_bytes, timeout_s, host
        self.deadline = time.monotonic() + timeout_s
        self.size = 0

    def take(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise EndpointError(
                f"endpoint {self.host} sent an answer larger than {self.max_bytes // 2**20} MB "
                "(decoded); nothing was stored"
            )
        if time.monotonic() > self.deadline:
            raise RetryableFailure(f"timed out after {self.timeout_s:g} s (the answer was still arriving)")
        return chunk


def parse_events(content: bytes) -> list[dict[str, Any]]:
    """Server-sent events as `{"event": name or None, "data": JSON value or "[DONE]"}`, in order; a stream
    that is not UTF-8, or a data field that is not JSON, fails the answer (retried, never stored)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise RetryableFailure("a streamed answer that is not UTF-8") from None
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if not data:
            continue
        joined = "\n".join(data)
        try:
            events.append({"event": name, "data": joined if joined == "[DONE]" else json.loads(joined)})
        except (ValueError, RecursionError):
            raise RetryableFailure("a streamed event whose data is not JSON") from None
    return events


def render_events(body: dict[str, Any]) -> bytes:
    """A stored stream as server-sent events again."""
    out = []
    for event in body["sse"]:
        data = event["data"] if event["data"] == "[DONE]" else json.dumps(event["data"], ensure_ascii=False)
        out.append((f"event: {event['event']}\n" if event["event"] is not None else "") + f"data: {data}\n\n")
    return "".join(out).encode("utf-8")


def kept_headers(response: httpx2.Response, secrets: tuple[str, ...], dropped: frozenset[str]) -> dict[str, str]:
    """The response headers worth replaying (`x-request-id`, rate limits, ...): none that carries a
    credential, a cookie, or the framing of the body as it came over the wire."""
    kept: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        name = name.lower()
        if name in dropped or mask(value, secrets) != value or scan_text(f"{name}: {value}"):
            continue
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


def judge_answer(
    response: httpx2.Response,
    content: bytes,
    path: str,
    secrets: tuple[str, ...],
    *,
    host: str,
    retry_statuses: frozenset[int],
    recorded_error_statuses: frozenset[int],
    dropped_headers: frozenset[str],
) -> tuple[Any, dict[str, Any]]:
    """The JSON body of an answer worth storing and its status and headers, with any credential the
    request sent masked (an endpoint may echo it); raises for failures (retryable or not), whose
    messages are masked too. Stored are real completions (some servers answer HTTP 200 with an error
    object, or a redirect) and the client errors the same request always gets."""
    status = response.status_code
    http = {"status": status, "headers": kept_headers(response, secrets, dropped_headers)}
    refusal = None
    if status >= 400:  # what the client gets if this is the last word: the answer, masked, never stored
        text = mask(content.decode("utf-8", "replace"), secrets)
        refused = f"endpoint {host} refused the request with HTTP {status}: {excerpt(text)}"
        refusal = ErrorAnswer(refused, status, http["headers"], text.encode())
    if status in retry_statuses:
        raise RetryableFailure(
            f"HTTP {status}",
            {name: response.headers[name] for name in ("retry-after", "retry-after-ms") if name in response.headers},
            refusal,
        )
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("location", "")).hostname or "another address"
        raise EndpointError(
            f"endpoint {host} redirected the request (HTTP {status}) to {target}; "
            "nothing was stored: pass the final address as --base-url"
        )
    if status in recorded_error_statuses:
        try:
            error = json.loads(content)
        except (ValueError, RecursionError):
            error = None
        if isinstance(error, dict) and isinstance(error.get("error"), dict):
            return mask(error, secrets), http
    if refusal is not None:
        raise refusal
    kind = answer_kind(response.headers.get("content-type", ""))
    if kind == "binary":
        return {"base64": base64.b64encode(content).decode("ascii")}, http
    if kind == "event-stream":
        body = {"sse": parse_events(content)}
        problem = stream_problem(body)
        if "error" in problem:
            raise EndpointError(
                f"endpoint {host} streamed an error: {excerpt(mask(json.dumps(body['sse'][-1]['data']), secrets))}"
            )
        if problem:
            raise RetryableFailure(problem)
        return mask(body, secrets), http
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        raise RetryableFailure("invalid JSON in the response body") from None
    if isinstance(body, dict) and body.get("error"):
        raise EndpointError(
            f"endpoint {host} answered HTTP {status} with an error: {excerpt(mask(json.dumps(body['error']), secrets))}"
        )
    problem = completion_problem(body, path)
    if problem:
        raise RetryableFailure(problem)
    return mask(body, secrets), http


def stored_response(stored: dict[str, Any], request: httpx2.Request | None = None) -> httpx2.Response:
    """The HTTP answer a stored slot stands for: its status and headers (entries recorded before they
    were kept are 200 and JSON), the body as canonical JSON or, for a stream, its events again."""
    http = recorded_http(stored["meta"])
    kind = stored_kind(stored["meta"])
    if kind == "event-stream":
        headers, content = {**http["headers"], "content-type": EVENT_STREAM}, render_events(stored["response"])
    elif kind == "binary":
        headers, content = http["headers"], base64.b64decode(stored["response"]["base64"])
    else:
        headers = {**http.get("headers", {}), "content-type": "application/json"}
        content = canonical_json(stored["response"]).encode("utf-8")
    return httpx2.Response(http.get("status", 200), headers=sorted(headers.items()), content=content, request=request)


def excerpt(text: str, limit: int = 300) -> str:
    return text[:limit].replace("\n", " ")
