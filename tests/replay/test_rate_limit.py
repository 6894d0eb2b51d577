"""The client-side rate limit: a request waits for its turn before it is sent (never after, so nothing
times out and is sent again), in a sliding window of a minute, and the endpoint's own headers close it."""

from __future__ import annotations

import asyncio
import re

import pytest

from llambo_replay.replay import CassetteStore, RateLimit, RecordMode, make_transport, open_async_client, open_client
from llambo_replay.replay.http.rate_limit import request_tokens, reset_seconds
from llambo_replay.replay.loopback import LoopbackServer


class FakeTime:
    """A clock that moves only when the transport sleeps, so waits are exact and tests take no time."""

    def __init__(self) -> None:
        self.now, self.slept = 1000.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def test_requests_per_minute_in_a_sliding_window():
    time, told = FakeTime(), []
    limit = RateLimit(requests_per_minute=2, tokens_per_minute=None, clock=time.clock, on_wait=told.append)
    assert limit.turn(10) == 0 and limit.turn(10) == 0
    time.now += 15
    assert limit.turn(10) == 45  # the first request leaves the window 60 s after it was sent
    time.now += 45
    assert limit.turn(10) == 0 and limit.waited_s == 45 and told == [45]


def test_tokens_per_minute_wait_until_enough_has_left_the_window_and_a_huge_request_goes_alone():
    time = FakeTime()
    limit = RateLimit(requests_per_minute=None, tokens_per_minute=1000, clock=time.clock)
    assert limit.turn(600) == 0
    time.now += 10
    assert limit.turn(300) == 0
    time.now += 10
    assert limit.turn(500) == 40  # 600 + 300 + 500 > 1000: the 600 must leave (sent at 0, out at 60)
    time.now += 40
    assert limit.turn(500) == 0
    time.now += 60
    assert limit.turn(5000) == 0  # larger than the limit itself: it goes once the window is empty


@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1.0), ("6m0s", 360.0), ("250ms", 0.25), ("1m2.5s", 62.5), ("1h", 3600.0), ("2", 2.0)]
)
def test_the_endpoints_reset_durations_are_read(text, seconds):
    assert reset_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-1", "nan", "inf", "99999"])
def test_unreadable_or_unbelievable_resets_are_ignored(text):
    assert reset_seconds(text) is None


def test_a_request_counts_its_prompt_and_the_completion_it_allows():
    assert request_tokens(b'{"messages": [], "max_tokens": 100, "n": 3}') > 300
    assert request_tokens(b'{"messages": [], "max_tokens": "a lot"}') < 20
    assert request_tokens(b"not json") >= 0


def _record(tmp_path, server, limit, time, asynchronous=False):
    transport = make_transport(
        CassetteStore(tmp_path / "cassettes"), "t/limit", RecordMode.RECORD, server.base_url, rate_limit=limit
    )
    asks = [dict(model="m", messages=[{"role": "user", "content": f"q{i}"}]) for i in range(3)]
    if not asynchronous:
        client = open_client(transport)
        return [client.chat.completions.create(**ask) for ask in asks]

    async def gather():
        client = open_async_client(transport)
        return await asyncio.gather(*(client.chat.completions.create(**ask) for ask in asks))

    return asyncio.run(gather())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_recording_waits_for_its_turn_before_sending(tmp_path, asynchronous):
    time = FakeTime()
    limit = RateLimit(2, None, time.clock, time.sleep, time.async_sleep)
    with LoopbackServer() as server:
        answers = _record(tmp_path, server, limit, time, asynchronous)
    assert len(answers) == 3 and len(server.received) == 3
    assert time.slept == [60.0]  # the third waited for the first to leave the window, before it was sent
    again = make_transport(CassetteStore(tmp_path / "cassettes"), "t/limit", RecordMode.REPLAY, rate_limit=limit)
    open_client(again).chat.completions.create(model="m", messages=[{"role": "user", "content": "q0"}])
    assert time.slept == [60.0]  # a replay never waits


def test_an_endpoint_that_says_nothing_is_left_is_not_asked_before_its_reset(tmp_path):
    time = FakeTime()
    limit = RateLimit(None, None, time.clock, time.sleep, time.async_sleep)
    exhausted = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}
    with LoopbackServer(response_headers=exhausted) as server:
        _record(tmp_path, server, limit, time)
    assert time.slept == [2.0, 2.0]


def test_a_run_paced_by_a_rate_limit_says_how_long_it_waited(tmp_path, monkeypatch):
    from llm_responder import llambo_responder

    from llambo_replay.experiments.runs.run_spec import RunSpec
    from llambo_replay.experiments.runs.runner import run, summary_lines
    from llambo_replay.llambo.loop import LlamboSettings
    from llambo_replay.llambo.sampler import SamplerSettings
    from llambo_replay.llambo.surrogate import SurrogateSettings

    time = FakeTime()
    limit = RateLimit(10, 2_000, time.clock, time.sleep, time.async_sleep)
    settings = LlamboSettings(
        n_initial=3,
        n_trials=2,
        sampler=SamplerSettings(n_candidates=4, n_templates=1),
        surrogate_settings=SurrogateSettings(n_templates=1, n_gens=2),
    )
    spec = RunSpec("iris", "SVM", 0, settings=settings)
    import io

    from llambo_replay import progress

    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        outcome = run(spec, RecordMode.RECORD, tmp_path / "o", tmp_path / "c", server.base_url, rate_limit=limit)
    assert re.search(r"waiting \d+ s for the rate limit, requests=\d+", log.getvalue()), log.getvalue()[-500:]
    assert len(server.received) > 10 and outcome.rate_limited_s == limit.waited_s > 60
    assert "s of it waiting for the rate limit" in "\n".join(summary_lines(outcome, spec, RecordMode.RECORD))
