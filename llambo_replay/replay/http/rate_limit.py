"""A client-side rate limit for recording: requests and tokens per minute, and the endpoint's own word.

Against a rate-limited API a paper-scale recording otherwise meets 429s and backs off; the official
code's limiter (100,000 tokens and 720 requests a minute) slept inside the event loop, so its own
requests in flight timed out and were sent again. Here a request waits for its turn *before* it is
sent, in a sliding window of 60 s; an async caller awaits it (the event loop runs on); and when an
answer's `x-ratelimit-remaining-*` header says nothing is left, no request goes out before its
`x-ratelimit-reset-*` time. Only requests that reach the endpoint count: a replay never waits."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from llambo_replay.replay.pricing import approx_tokens

WINDOW_S = 60.0
OFFICIAL_REQUESTS_PER_MINUTE = 720  # the official code's RateLimiter
OFFICIAL_TOKENS_PER_MINUTE = 100_000
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def reset_seconds(value: str) -> float | None:
    """OpenAI's reset durations (`1s`, `6m0s`, `250ms`, `1h2m3.5s`) or plain seconds; None if unreadable."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.match(value)
        if not value or match is None:
            return None
        h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
        seconds = h * 3600 + m * 60 + s + ms / 1000
    return seconds if 0 <= seconds <= 3600 else None  # a day-long or negative reset is not believed


def request_tokens(body: bytes) -> int:
    """About how many tokens a request spends: its prompt (the body's text, as `approx_tokens` counts) and
    the completion it allows (`max_tokens` or `max_completion_tokens`, times `n`)."""
    try:
        asked = json.loads(body)
    except (ValueError, RecursionError):
        asked = None
    allowed = 0
    if isinstance(asked, dict):
        most = asked.get("max_tokens") or asked.get("max_completion_tokens") or 0
        n = asked.get("n") or 1
        allowed = int(most * n) if isinstance(most, int) and isinstance(n, int) else 0
    return approx_tokens(body.decode("utf-8", "replace")) + max(allowed, 0)


@dataclass
class RateLimit:
    """Requests and tokens per minute (None: no limit of that kind), shared by every transport given it."""

    requests_per_minute: float | None = OFFICIAL_REQUESTS_PER_MINUTE
    tokens_per_minute: float | None = OFFICIAL_TOKENS_PER_MINUTE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    waited_s: float = 0.0  # in all, for a summary
    on_wait: Callable[[float], None] | None = None  # told each wait before it starts (a progress line)
    _sent: deque[tuple[float, int]] = field(default_factory=deque)
    _closed_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive (got {value})")

    def turn(self, tokens: int) -> float:
        """Seconds to wait before a request of about `tokens` tokens may go; 0 books it as sent now."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0][0] <= now - WINDOW_S:
                self._sent.popleft()
            waits = [self._closed_until - now]
            if self.requests_per_minute and len(self._sent) + 1 > self.requests_per_minute:
                waits.append(self._sent[len(self._sent) - int(self.requests_per_minute)][0] + WINDOW_S - now)
            if self.tokens_per_minute:
                over, spent = sum(t for _, t in self._sent) + tokens - self.tokens_per_minute, 0
                for sent_at, used in self._sent:  # wait until enough of the window has slid out
                    if over <= 0:
                        break
                    over -= used
                    spent = sent_at + WINDOW_S - now
                waits.append(spent)
            wait = max(waits)
            if wait <= 0:
                self._sent.append((now, tokens))
                return 0.0
            self.waited_s += wait
        if self.on_wait is not None:
            self.on_wait(wait)
        return wait

    def wait_turn(self, tokens: int) -> None:
        """Sleep until a request of about `tokens` tokens may go, and book it."""
        while wait := self.turn(tokens):
            self.sleep(wait)

    async def await_turn(self, tokens: int) -> None:
        """`wait_turn` for a coroutine: the event loop runs on meanwhile."""
        while wait := self.turn(tokens):
            await self.async_sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """An answer's rate-limit headers: when one says nothing is left, close until its reset."""
        for kind in ("requests", "tokens"):
            remaining, reset = headers.get(f"x-ratelimit-remaining-{kind}"), headers.get(f"x-ratelimit-reset-{kind}")
            if remaining is None or reset is None or remaining.strip() not in ("0", "0.0"):
                continue
            seconds = reset_seconds(reset)
            if seconds is not None:
                with self._lock:
                    self._closed_until = max(self._closed_until, self.clock() + seconds)


@functools.cache
def process_pace(requests_per_minute: int | None, tokens_per_minute: int | None) -> RateLimit | None:
    """This process's one `RateLimit` for a pace (None when neither is given: as fast as the endpoint answers,
    its rate-limit headers unread), so every run or grid cell the process makes shares one sliding minute."""
    if requests_per_minute is None and tokens_per_minute is None:
        return None
    return RateLimit(requests_per_minute, tokens_per_minute)
