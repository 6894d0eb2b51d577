"""Retrying live calls: exponential backoff with jitter, unless the provider says how long to wait, and the
failure that asks for another attempt (never stored)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2

from llambo_replay.errors import EndpointError

_JITTER = random.Random()  # its own generator: retry timing never touches anyone's random state


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for live calls, with jitter (so parallel workers do not retry in step) unless
    the provider says how long to wait (`retry-after-ms`, or `Retry-After` in seconds or as an HTTP
    date). Failed answers are retried, never stored."""

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    jitter: float = 0.5  # a backoff is drawn from [(1 - jitter) * b, b]
    retry_statuses: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504})

    def delay(self, attempt: int, hints: Mapping[str, str] | None = None) -> float:
        hinted = provider_delay(hints or {})
        if hinted is not None:
            return min(max(hinted, 0.0), self.max_delay_s)
        backoff = min(self.base_delay_s * 2**attempt, self.max_delay_s)
        return backoff * (1.0 - self.jitter * _JITTER.random())


def provider_delay(headers: Mapping[str, str]) -> float | None:
    """Seconds the provider asks to wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date);
    None for anything else, a non-finite number (`nan`, `inf`) included: then the back-off decides."""
    try:
        if headers.get("retry-after-ms"):
            seconds = float(headers["retry-after-ms"]) / 1000
        elif value := headers.get("retry-after"):
            try:
                seconds = float(value)
            except ValueError:
                seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        else:
            return None
    except (ValueError, TypeError, OverflowError):
        return None
    return seconds if math.isfinite(seconds) else None


class RetryableFailure(Exception):
    """An answer or a connection that failed in a way another attempt may not (retried, never stored)."""

    def __init__(self, reason: str, hints: Mapping[str, str] | None = None, answer: ErrorAnswer | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hints = dict(hints or {})  # the provider's retry headers
        self.answer = answer  # the error answer itself, if there was one: what the client gets in the end


class ErrorAnswer(EndpointError):
    """An error answer (HTTP 4xx/5xx) that is never stored: handed to the client as the endpoint sent it
    (credentials masked), so the SDK raises its own exception (`AuthenticationError`, `RateLimitError`, ...);
    this message travels with it for those who report it (`session.unwrap`)."""

    def __init__(self, message: str, status: int, headers: Mapping[str, str], content: bytes) -> None:
        super().__init__(message)
        self.status, self.headers, self.content = status, dict(headers), content

    def response(self, request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            self.status,
            headers=self.headers,
            content=self.content,
            request=request,
            extensions={NOTE: self.message.encode()},
        )


NOTE = "llambo_replay_note"  # the response extension that carries the layer's own account of a failure
