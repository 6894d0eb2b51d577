"""The record/replay layer against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from datetime import UTC

import pytest
from cassette_helpers import only_entry

from llambo_replay.errors import EndpointError, ReplayMiss, UsageError
from llambo_replay.replay import (
    CassetteStore,
    RecordMode,
    make_transport,
    open_async_client,
    open_client,
    parse_mode,
    unwrap,
)
from llambo_replay.replay.canonical import canonical_request, relative_path, request_key
from llambo_replay.replay.http.retry import RetryPolicy
from llambo_replay.replay.http.transport import OFFLINE_URL
from llambo_replay.replay.loopback import Fault, LoopbackServer
from llambo_replay.replay.pricing import cost_usd
from llambo_replay.replay.secrets import scan_tree
from llambo_replay.replay.storage.verify import verify_store

MESSAGES = [{"role": "user", "content": "Suggest a learning rate."}]
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05)


def chat(client, content="Suggest a learning rate.", n=2, temperature=0.7):
    return client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": content}], n=n, temperature=temperature
    )


def texts(response):
    return [c.message.content for c in response.choices]


def client_for(tmp_path, mode, base_url, namespace="test/run", retry=FAST_RETRY, api_key=None):
    transport = make_transport(CassetteStore(tmp_path / "cassettes"), namespace, mode, base_url, retry=retry)
    return open_client(transport, api_key=api_key), transport


def test_key_ignores_key_order_number_spelling_and_host():
    a = canonical_request("post", "/chat/completions", b'{"model": "m", "temperature": 1.0, "n": 2}')
    b = canonical_request("POST", "/chat/completions", b'{"n": 2, "temperature": 1, "model": "m"}')
    assert request_key(a) == request_key(b)
    assert re.fullmatch(r"[0-9a-f]{64}", request_key(a))
    assert relative_path("/v1/chat/completions", "", "/v1") == relative_path("/chat/completions", "", "")
    assert relative_path("/openai/chat", "api-version=1&api-key=SECRET", "/openai") == "/chat?api-version=1"


def test_record_then_replay(tmp_path, server, monkeypatch):
    client, transport = client_for(tmp_path, RecordMode.RECORD, server.base_url)
    recorded = [texts(chat(client)), texts(chat(client)), texts(chat(client, content="other"))]
    assert recorded[0] != recorded[1], "a repeated temperature>0 request must get a fresh sample when recording"
    assert len(server.received) == 3
    server.stop()

    import socket

    monkeypatch.setattr(socket.socket, "connect", lambda *a: (_ for _ in ()).throw(AssertionError("network")))
    replay, _ = client_for(tmp_path, RecordMode.REPLAY, "http://replay.invalid/v1")
    replayed = [texts(chat(replay)), texts(chat(replay)), texts(chat(replay, content="other"))]
    assert replayed == recorded


def test_replay_miss_names_key_slot_and_nearest_difference(tmp_path, server, monkeypatch):
    client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
    chat(client, content="The target performance is 0.950000. Recommend a configuration.")
    import socket

    monkeypatch.setattr(socket.socket, "connect", lambda *a: (_ for _ in ()).throw(AssertionError("network")))
    replay, _ = client_for(tmp_path, RecordMode.REPLAY, "http://replay.invalid/v1")
    with pytest.raises(Exception) as caught:
        chat(replay, content="The target performance is 0.960000. Recommend a configuration.")
    error = unwrap(caught.value)
    assert isinstance(error, ReplayMiss)
    message = str(error)
    assert "replay miss" in message and "namespace 'test/run', occurrence 0" in message
    assert re.search(r"key [0-9a-f]{64}", message)
    assert "body.messages[0].content" in error.details and "0.95" in error.details and "0.96" in error.details
    assert "1 field(s) differ" in error.details
    assert error.details in message and message.startswith(error.message + "\n")  # a failing test shows the diff


def test_replay_asking_more_occurrences_than_recorded_says_so(tmp_path, server):
    client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
    chat(client)
    replay, _ = client_for(tmp_path, RecordMode.REPLAY, "http://replay.invalid/v1")
    chat(replay)
    with pytest.raises(Exception) as caught:
        chat(replay)
    assert "only as occurrence(s) 0" in str(unwrap(caught.value))


def test_occurrence_slots_follow_program_order_under_asyncio_gather(tmp_path):
    async def burst(mode, base_url):
        transport = make_transport(CassetteStore(tmp_path / "c"), "ns", mode, base_url, retry=FAST_RETRY)
        client = open_async_client(transport)
        calls = [client.chat.completions.create(model="m", messages=MESSAGES, n=1, temperature=0.9) for _ in range(6)]
        results = await asyncio.gather(*calls)
        await client.close()
        return [r.choices[0].message.content for r in results]

    # the server answers slowly and in reverse arrival order's worth of delays
    with LoopbackServer(faults={i: Fault(delay_s=0.05 * (6 - i)) for i in range(6)}) as server:
        recorded = asyncio.run(burst(RecordMode.RECORD, server.base_url))
    assert len(set(recorded)) == 6
    # whatever order the server answered in, slot k holds the answer returned to the k-th call
    entry = only_entry(tmp_path / "c")
    assert [s["response"]["choices"][0]["message"]["content"] for s in entry["responses"]] == recorded
    replayed = asyncio.run(burst(RecordMode.REPLAY, "http://replay.invalid/v1"))
    assert replayed == recorded


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=429, retry_after="0.01"),
        Fault(status=500),
        Fault(status=503),
        Fault(reset=True),
        Fault(bad_json=True),
    ],
    ids=["429", "500", "503", "reset", "bad-json"],
)
def test_transient_failures_are_retried_and_never_stored(tmp_path, fault):
    with LoopbackServer(faults={0: fault, 1: fault}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        answer = texts(chat(client))
        assert len(server.received) == 3
    stored = only_entry(tmp_path / "cassettes")
    assert [s["slot"] for s in stored["responses"]] == [0]
    assert [c["message"]["content"] for c in stored["responses"][0]["response"]["choices"]] == answer
    assert stored["responses"][0]["meta"]["attempts"] == 3


def test_failure_after_the_retry_budget_is_clear_and_stores_nothing(tmp_path):
    with LoopbackServer(faults={i: Fault(status=500) for i in range(10)}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        with pytest.raises(Exception) as caught:
            chat(client)
    error = unwrap(caught.value)
    assert isinstance(error, EndpointError)
    assert "failed after 4 attempts" in str(error) and "HTTP 500" in str(error)
    assert list(CassetteStore(tmp_path / "cassettes").iter_entries()) == []


def test_a_client_error_is_recorded_once_and_replayed_as_the_sdks_own_exception(tmp_path):
    """A recorded client error replays as the SDK's own exception (`openai.BadRequestError`), so code that
    catches it (a context-length fallback) replays."""
    import openai

    too_long = {
        "error": {
            "message": "maximum context length is 8192 tokens",
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        }
    }
    with LoopbackServer(faults={0: Fault(status=400, body=too_long, headers={"x-request-id": "req_123"})}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        with pytest.raises(openai.BadRequestError) as recorded:
            chat(client)
        assert len(server.received) == 1  # not retried
    client, _ = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
    with pytest.raises(openai.BadRequestError) as replayed:
        chat(client)
    for caught in (recorded.value, replayed.value):
        assert caught.status_code == 400 and caught.code == "context_length_exceeded"
        assert caught.response.headers["x-request-id"] == "req_123"
    assert "HTTP 400" in str(unwrap(replayed.value)) and "maximum context length" in str(unwrap(replayed.value))
    assert verify_store(CassetteStore(tmp_path / "cassettes")) == []


@pytest.mark.parametrize("status", [401, 403, 408, 409])
def test_credential_and_transient_errors_are_never_stored(tmp_path, status):
    with LoopbackServer(faults={i: Fault(status=status) for i in range(5)}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        with pytest.raises(Exception) as caught:
            chat(client)
    assert f"HTTP {status}" in str(unwrap(caught.value))
    assert list(CassetteStore(tmp_path / "cassettes").iter_entries()) == []


def test_status_and_response_headers_replay_minus_secrets_cookies_and_framing(tmp_path):
    """Status and response headers replay as recorded, so `with_raw_response` code reads `x-request-id` and
    rate-limit headers."""
    sent = {
        "x-request-id": "req_abc",
        "x-ratelimit-remaining-requests": "99",
        "set-cookie": "session=s3cr3t",
        "openai-organization": "org-abcdefghijklmnopqrst",
        "x-echo": "sk-abcdefghijklmnopqrstuv",
    }
    with LoopbackServer(response_headers=sent) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        live = client.chat.completions.with_raw_response.create(model="m", messages=[{"role": "user", "content": "hi"}])
    client, _ = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
    again = client.chat.completions.with_raw_response.create(model="m", messages=[{"role": "user", "content": "hi"}])
    for raw in (live, again):
        assert raw.status_code == 200 and raw.headers["x-request-id"] == "req_abc"
        assert raw.headers["x-ratelimit-remaining-requests"] == "99"
    assert all(name not in again.headers for name in ("set-cookie", "openai-organization", "x-echo", "date"))
    assert scan_tree(tmp_path / "cassettes") == []


def test_live_mode_stores_nothing_and_auto_records_only_misses(tmp_path, server):
    live, _ = client_for(tmp_path, RecordMode.LIVE, server.base_url)
    chat(live)
    assert list(CassetteStore(tmp_path / "cassettes").iter_entries()) == []
    auto, _ = client_for(tmp_path, RecordMode.AUTO, server.base_url)
    first = texts(chat(auto))
    auto_again, _ = client_for(tmp_path, RecordMode.AUTO, server.base_url)
    assert texts(chat(auto_again)) == first
    assert len(server.received) == 2  # the live call and the first auto call; the second auto call replayed


def test_record_mode_checks_the_endpoint_before_starting(tmp_path):
    with pytest.raises(EndpointError, match="cannot reach the endpoint"):
        make_transport(CassetteStore(tmp_path), "ns", RecordMode.RECORD, "http://127.0.0.1:9/v1")


def test_modes_parse_from_flag_or_environment(monkeypatch):
    assert parse_mode("AUTO") is RecordMode.AUTO
    monkeypatch.setenv("LLAMBO_REPLAY_MODE", "live")
    assert parse_mode(None) is RecordMode.LIVE
    with pytest.raises(UsageError, match="record, replay, auto, live"):
        parse_mode("replay-ish")


def test_no_secret_reaches_the_store(tmp_path, server):
    key = "sk-test-abcdefghijklmnopqrstuvwxyz123456"
    client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url, api_key=key)
    client = client.with_options(
        default_headers={
            "OpenAI-Organization": "org-abcdefghijklmnopqrstu",
            "OpenAI-Project": "proj_abcdefghijklmnopqrstu",
        }
    )
    chat(client)
    assert server.received_headers[0]["authorization"] == f"Bearer {key}"  # it did reach the server
    assert server.received_headers[0]["openai-organization"] == "org-abcdefghijklmnopqrstu"
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cassettes").rglob("*") if p.is_file())
    for secret in (key, "org-abcdefghijklmnopqrstu", "proj_abcdefghijklmnopqrstu", "Bearer", "authorization"):
        assert secret.encode() not in stored


HEX_KEY = "3f9a0c1d2e3f4a5b6c7d8e9f00112233"  # an Azure-style key: no `sk-` for a pattern to find


def test_a_key_the_endpoint_echoes_is_masked_before_it_is_stored(tmp_path):
    """A key the endpoint echoes (in the content or `system_fingerprint`) is masked before it is stored."""
    echo = {
        "id": "x",
        "system_fingerprint": HEX_KEY,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"you sent Bearer {HEX_KEY}"}}],
    }
    with LoopbackServer(faults={0: Fault(body=echo)}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url, api_key=HEX_KEY)
        answer = texts(chat(client))
    assert answer == ["you sent ***"]
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cassettes").rglob("*") if p.is_file())
    assert HEX_KEY.encode() not in stored and b"***" in stored


def test_an_error_body_that_quotes_the_key_is_printed_masked(tmp_path):
    refusal = {"error": {"message": f"Incorrect API key provided: Bearer {HEX_KEY}"}}
    with LoopbackServer(faults={0: Fault(status=401, body=refusal)}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url, api_key=HEX_KEY)
        with pytest.raises(Exception) as caught:
            chat(client)
    message = str(unwrap(caught.value))
    assert "HTTP 401" in message and "Incorrect API key provided" in message and HEX_KEY not in message


def test_scan_finds_the_literal_key_the_environment_holds(tmp_path, monkeypatch):
    from llambo_replay.replay.secrets import known_keys, scan_tree

    shapeless = "hosting-aB3dE5gH7jK9mN1pQ2rS4tU6"
    (tmp_path / "leak.jsonl").write_text(f'{{"note": "{shapeless}"}}\n')
    assert scan_tree(tmp_path) == []  # no pattern knows this shape
    monkeypatch.setenv("OPENAI_API_KEY", shapeless)
    assert len(scan_tree(tmp_path, known_keys())) == 1


def test_async_and_sync_clients_share_recordings(tmp_path, server):
    client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
    recorded = texts(chat(client))

    async def replay_async():
        transport = make_transport(
            CassetteStore(tmp_path / "cassettes"), "test/run", RecordMode.REPLAY, "http://replay.invalid/v1"
        )
        async_client = open_async_client(transport)
        response = await async_client.chat.completions.create(model="m", messages=MESSAGES, n=2, temperature=0.7)
        await async_client.close()
        return texts(response)

    assert asyncio.run(replay_async()) == recorded


def test_a_timeout_is_retried_and_not_stored(tmp_path):
    with LoopbackServer(faults={0: Fault(delay_s=1.0)}) as server:
        transport = make_transport(
            CassetteStore(tmp_path / "cassettes"),
            "test/run",
            RecordMode.RECORD,
            server.base_url,
            retry=FAST_RETRY,
            timeout_s=0.3,
        )
        client = open_client(transport)
        answer = texts(chat(client))
        assert len(server.received) == 2
    stored = only_entry(tmp_path / "cassettes")
    assert [s["slot"] for s in stored["responses"]] == [0] and stored["responses"][0]["meta"]["attempts"] == 2
    assert [c["message"]["content"] for c in stored["responses"][0]["response"]["choices"]] == answer


def test_retries_wait_as_the_provider_says_and_otherwise_back_off_with_jitter(tmp_path):
    """Retries wait what `retry-after-ms` or `Retry-After` (seconds or an HTTP date) say, else back off with jitter."""
    from datetime import datetime, timedelta
    from email.utils import format_datetime

    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=30.0)
    assert policy.delay(0, {"retry-after-ms": "250"}) == 0.25
    assert policy.delay(0, {"retry-after": "2"}) == 2.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 < policy.delay(0, {"retry-after": soon}) <= 10.0
    assert policy.delay(0, {"retry-after": "in a while"}) <= 0.5  # unreadable: the backoff
    for nonsense in ("nan", "inf", "-inf", "1e999"):
        assert policy.delay(0, {"retry-after": nonsense}) <= 0.5, nonsense  # not a wait: the backoff
    assert policy.delay(0, {"retry-after-ms": "nan"}) <= 0.5
    drawn = [policy.delay(2) for _ in range(200)]
    assert all(1.0 <= d <= 2.0 for d in drawn) and len(set(drawn)) > 100
    with LoopbackServer(faults={0: Fault(status=429, headers={"retry-after-ms": "30"})}) as server:
        client, transport = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        waited: list[float] = []
        transport.sleep = waited.append
        chat(client)
    assert waited == [0.03] and len(server.received) == 2


def _streamed_texts(chunks) -> list[str]:
    return [c.choices[0].delta.content for c in chunks if c.choices]


def test_a_streamed_answer_is_recorded_once_and_replays_as_the_same_stream_sync_and_async(tmp_path):
    """A streamed answer is sent once, recorded as its events and replayed as the same events."""
    ask = dict(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        n=2,
        stream=True,
        stream_options={"include_usage": True},
    )
    with LoopbackServer() as server:
        client, transport = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        live = list(client.chat.completions.create(**ask))
        assert len(server.received) == 1 and transport.live_calls == 1
    client, _ = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
    replayed = list(client.chat.completions.create(**ask))
    assert _streamed_texts(replayed) == _streamed_texts(live) and len(_streamed_texts(live)) == 2
    assert replayed[-1].usage is not None and replayed[-1].usage.total_tokens == live[-1].usage.total_tokens

    async def replay_async() -> list[str]:
        transport = make_transport(CassetteStore(tmp_path / "cassettes"), "test/run", RecordMode.REPLAY)
        stream = await open_async_client(transport).chat.completions.create(**ask)
        return _streamed_texts([chunk async for chunk in stream])

    assert asyncio.run(replay_async()) == _streamed_texts(live)
    assert verify_store(CassetteStore(tmp_path / "cassettes")) == []
    (stored,) = only_entry(tmp_path / "cassettes")["responses"]
    assert stored["meta"]["usage"]["total_tokens"] == live[-1].usage.total_tokens  # priced like any answer


@pytest.mark.parametrize("raw", [b'data: {"choices": [\n\ndata: [DONE]\n\n', b'data: {"x": "\xff\xfe"}\n\n'])
def test_a_stream_with_an_event_that_is_not_json_fails_for_the_client_and_is_never_stored(tmp_path, raw):
    """A stream is passed on as it arrives, so one that turns out broken cannot be asked again on the
    client's behalf: the client gets an error, as from the endpoint itself, and nothing is stored; the
    rerun records it."""
    broken = Fault(raw=raw, headers={"content-type": "text/event-stream"})
    ask = dict(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
    with LoopbackServer(faults={0: broken}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        with pytest.raises(Exception):  # noqa: B017  (the SDK's own error or the layer's, as the bytes decide)
            list(client.chat.completions.create(**ask))
        assert not list(CassetteStore(tmp_path / "cassettes").iter_entries())
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        assert _streamed_texts(list(client.chat.completions.create(**ask)))
        assert len(server.received) == 2
    (stored,) = only_entry(tmp_path / "cassettes")["responses"]
    assert stored["meta"]["attempts"] == 1


def test_identical_requests_from_threads_need_a_scope_each_and_then_replay_to_their_own_thread(tmp_path):
    """Identical requests from several threads need a scope each, and then replay to their own thread."""
    from concurrent.futures import ThreadPoolExecutor

    def ask(client, transport, i, scoped=True):
        if not scoped:
            return texts(chat(client, n=1, temperature=1))[0]
        with transport.scope(f"item-{i}"):
            return texts(chat(client, n=1, temperature=1))[0]

    with LoopbackServer() as server:
        client, transport = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        with ThreadPoolExecutor(8) as pool:
            recorded = list(pool.map(lambda i: ask(client, transport, i), range(8)))
        with ThreadPoolExecutor(2) as pool, pytest.raises(Exception) as caught:
            list(pool.map(lambda i: ask(client, transport, i, scoped=False), range(8)))
    assert "came from two threads" in str(unwrap(caught.value))
    assert len(set(recorded)) == 8  # the server's k-th identical request gets answer k: a swap would show
    for _ in range(3):
        client, transport = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda i, c=client, t=transport: ask(c, t, i), range(8))) == recorded


def _mask_pasted_keys(value):
    import json as _json

    return _json.loads(re.sub(r"sk-[A-Za-z0-9]{16,}", "sk-***", _json.dumps(value)))


def test_request_hooks_leave_volatile_fields_out_of_the_key_and_redact_before_storing(tmp_path):
    """A volatile field left out of the key (`user=f"session-{uuid4()}"`) replays, and a key pasted into a
    prompt is stored redacted."""
    import uuid

    store = CassetteStore(tmp_path / "cassettes")
    hooks = dict(ignore=("body.user", "body.metadata"), redact=_mask_pasted_keys)
    pasted = "Why does sk-abcdefghijklmnopqrstuv fail?"
    with LoopbackServer() as server:
        live = open_client(make_transport(store, "hooks", RecordMode.RECORD, server.base_url, **hooks))
        recorded = live.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": pasted}],
            user=f"session-{uuid.uuid4()}",
            metadata={"run": "1"},
        )
        assert "sk-abcdefghijklmnopqrstuv" in json.dumps(server.received[0])  # the endpoint gets what was sent
    offline = open_client(make_transport(store, "hooks", RecordMode.REPLAY, **hooks))
    again = offline.chat.completions.create(
        model="m", messages=[{"role": "user", "content": pasted}], user=f"session-{uuid.uuid4()}", metadata={"run": "2"}
    )
    assert texts(again) == texts(recorded)
    assert scan_tree(tmp_path / "cassettes") == []
    (stored,) = only_entry(tmp_path / "cassettes")["responses"]
    assert stored["meta"]["key_rules"] == {
        "ignore": ["body.user", "body.metadata"],
        "redact": f"{__name__}._mask_pasted_keys",
    }
    with pytest.raises(Exception) as caught:  # without the same rules, a replay misses and says so
        open_client(make_transport(store, "hooks", RecordMode.REPLAY)).chat.completions.create(
            model="m", messages=[{"role": "user", "content": pasted}], user="someone"
        )
    assert isinstance(unwrap(caught.value), ReplayMiss)


def test_binary_answers_and_multipart_uploads_record_once_and_replay(tmp_path):
    """Binary answers (`audio.speech.create`) replay as the same bytes, and an upload (`files.create`) is keyed
    on its parts, not on httpx's random multipart boundary, so it replays and a re-record adds no entry."""
    with LoopbackServer() as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        speech = client.audio.speech.create(model="tts-1", voice="alloy", input="Hello").read()
        upload = client.files.create(file=("data.jsonl", b'{"a": 1}\n'), purpose="batch")
        again = client.files.create(file=("data.jsonl", b'{"a": 1}\n'), purpose="batch")  # a new boundary
        assert len(server.received) == 3 and speech.startswith(b"ID3")
    client, _ = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
    assert client.audio.speech.create(model="tts-1", voice="alloy", input="Hello").read() == speech
    replayed = [client.files.create(file=("data.jsonl", b'{"a": 1}\n'), purpose="batch").id for _ in range(2)]
    assert replayed == [upload.id, again.id]  # one key whatever the boundary: occurrences 0 and 1
    with pytest.raises(Exception) as caught:  # other file bytes are another request
        client.files.create(file=("data.jsonl", b'{"a": 2}\n'), purpose="batch")
    assert isinstance(unwrap(caught.value), ReplayMiss)
    keys = [e.key for e in CassetteStore(tmp_path / "cassettes").iter_entries()]
    assert len(keys) == 2  # the speech and the upload: both uploads share one key (occurrences 0 and 1)
    assert verify_store(CassetteStore(tmp_path / "cassettes")) == []


def test_streamed_completions_and_responses_record_and_replay_like_chat(tmp_path):
    """The legacy completions stream and the Responses API's named events replay as they came."""
    with LoopbackServer() as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        legacy = [c.choices[0].text for c in client.completions.create(model="m", prompt="Once", stream=True)]
        events = [
            (e.type, getattr(e, "delta", None)) for e in client.responses.create(model="m", input="Hi", stream=True)
        ]
        plain = client.responses.create(model="m", input="Hi").output_text
        assert len(server.received) == 3
    client, _ = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
    assert [c.choices[0].text for c in client.completions.create(model="m", prompt="Once", stream=True)] == legacy
    assert [
        (e.type, getattr(e, "delta", None)) for e in client.responses.create(model="m", input="Hi", stream=True)
    ] == events
    assert events[-1][0] == "response.completed" and events[1][1].startswith("reply ") and plain.startswith("reply ")
    assert client.responses.create(model="m", input="Hi").output_text == plain
    store = CassetteStore(tmp_path / "cassettes")
    (streamed,) = [
        entry
        for entry in map(store.read, store.iter_entries())
        if entry["request"]["path"] == "/responses" and entry["request"]["body"].get("stream")
    ]
    assert streamed["responses"][0]["meta"]["usage"]["total_tokens"] > 0  # the completed event's usage is kept


@pytest.mark.parametrize("answered_by", ["gpt-4o-mini", "an-unpriced-alias"])
def test_an_answer_is_priced_as_the_model_asked_for_whatever_model_it_names(tmp_path, answered_by):
    """What the budget counts: the price of the requested model; an answer naming a cheaper or unknown
    model cannot lower it (else `--max-cost` would let an aliasing endpoint spend without limit)."""
    usage = {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}
    answer = {
        "id": "x",
        "model": answered_by,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "0.01"}}],
        "usage": usage,
    }
    with LoopbackServer(faults={0: Fault(body=answer)}) as server:
        client, transport = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert transport.live_cost_usd == pytest.approx(cost_usd("gpt-4o", usage)) and transport.live_cost_usd > 0
    assert only_entry(tmp_path / "cassettes")["responses"][0]["meta"]["cost_usd"] == pytest.approx(
        transport.live_cost_usd
    )


@pytest.mark.parametrize(
    "details", [{"cached_tokens": 10**9}, {"cached_tokens": -5}, {"cached_tokens": "abc"}, {"cached_tokens": [1]}, "x"]
)
def test_a_malformed_usage_block_never_makes_a_cost_negative(details):
    usage = {"prompt_tokens": 1000, "completion_tokens": 100, "prompt_tokens_details": details}
    plain = cost_usd("gpt-4o", {"prompt_tokens": 1000, "completion_tokens": 100})
    assert 0 < cost_usd("gpt-4o", usage) <= plain
    assert cost_usd("gpt-4o", {"prompt_tokens": "many", "completion_tokens": None}) == 0.0


@pytest.mark.parametrize(
    "choices",
    [
        [],  # a content filter's answer
        [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": [{"type": "text", "text": "hi"}]},
            }
        ],
        [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": None, "refusal": "no"}}],
    ],
)
def test_an_answer_the_sdk_accepts_is_stored_once_and_replayed(tmp_path, choices):
    """Content as a list of parts, no content (a refusal) and no choices at all are answers, not garbage:
    stored at the first attempt (never retried, never billed again) and replayed as the SDK parsed them."""
    answer = {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": choices}
    with LoopbackServer(faults={0: Fault(body=answer)}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        recorded = client.chat.completions.create(model="m", messages=MESSAGES)
        assert len(server.received) == 1
    client, _ = client_for(tmp_path, RecordMode.REPLAY, OFFLINE_URL)
    replayed = client.chat.completions.create(model="m", messages=MESSAGES)
    assert replayed.model_dump() == recorded.model_dump() and len(replayed.choices) == len(choices)


def test_one_transport_records_across_event_loops(tmp_path):
    """`asyncio.run` twice over one client (or pydantic-ai's run_sync, then asyncio.run): each loop gets its
    own connection pool, where one pool would outlive its closed loop ("Event loop is closed")."""
    with LoopbackServer() as server:
        transport = make_transport(CassetteStore(tmp_path / "c"), "ns", RecordMode.RECORD, server.base_url)
        client = open_async_client(transport)
        first, second = asyncio.run(ask_with(client, "one")), asyncio.run(ask_with(client, "two"))
        assert len(server.received) == 2 and first != second
    replaying = open_async_client(make_transport(CassetteStore(tmp_path / "c"), "ns", RecordMode.REPLAY, OFFLINE_URL))
    assert [asyncio.run(ask_with(replaying, t)) for t in ("one", "two")] == [first, second]


async def ask_with(client, text: str) -> str:
    answer = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
    return answer.choices[0].message.content


@pytest.mark.parametrize(
    "status, sdk_error",
    [
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (429, "RateLimitError"),
        (503, "InternalServerError"),
    ],
)
def test_an_error_answer_reaches_user_code_as_the_sdks_own_exception(tmp_path, status, sdk_error):
    """After the retries (429, 5xx) or at once (401, 403), the SDK raises its own exception, so code that
    catches `openai.RateLimitError` behaves as without the layer; nothing is stored, the key is masked."""
    import openai

    body = {"error": {"message": f"no: you sent {HEX_KEY}", "type": "x", "code": str(status)}}
    with LoopbackServer(faults={i: Fault(status=status, body=body) for i in range(10)}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url, api_key=HEX_KEY)
        with pytest.raises(getattr(openai, sdk_error)) as caught:
            chat(client)
        sent = len(server.received)
    assert caught.value.status_code == status and HEX_KEY not in str(caught.value) and "***" in str(caught.value)
    assert sent == (FAST_RETRY.max_attempts if status in (429, 503) else 1)
    assert list(CassetteStore(tmp_path / "cassettes").iter_entries()) == []
    reported = str(unwrap(caught.value))  # what the command line prints: the layer's own account
    assert f"HTTP {status}" in reported and HEX_KEY not in reported


def test_a_client_error_without_an_error_object_reaches_user_code_as_the_sdks_exception(tmp_path):
    """An HTTP 400 whose body is not an error object is not recorded, and still ends as the SDK's exception."""
    import openai

    with LoopbackServer(faults={0: Fault(status=400, body={"detail": "bad request"})}) as server:
        client, _ = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        with pytest.raises(openai.BadRequestError) as caught:
            chat(client)
    assert "HTTP 400" in str(unwrap(caught.value)) and "bad request" in str(unwrap(caught.value))
    assert list(CassetteStore(tmp_path / "cassettes").iter_entries()) == []


def test_large_answers_are_judged_and_stored_one_at_a_time_whatever_the_concurrency(tmp_path):
    """Memory stays near one answer's cap however many requests are in flight: bodies above
    SPOOL_ABOVE_BYTES wait (after they arrived in full, on disk) for their turn; small ones never wait."""
    from concurrent.futures import ThreadPoolExecutor

    from llambo_replay.replay.http.spool import SPOOL_ABOVE_BYTES

    def big(body, sample):  # each request's own answer, larger than the spooling threshold when asked
        text = body["messages"][0]["content"]
        return text * (SPOOL_ABOVE_BYTES // len(text) + 1) if text.startswith("large") else text

    with LoopbackServer(responder=big) as server:
        client, transport = client_for(tmp_path, RecordMode.RECORD, server.base_url)
        judging, most = [0], [0]
        judge, guard = transport._judge, threading.Lock()

        def counted(response, content, *args):
            with guard:
                judging[0] += len(content) > SPOOL_ABOVE_BYTES
                most[0] = max(most[0], judging[0])
            time.sleep(0.2)  # long enough for the others to arrive meanwhile
            try:
                return judge(response, content, *args)
            finally:
                with guard:
                    judging[0] -= len(content) > SPOOL_ABOVE_BYTES

        transport._judge = counted
        prompts = [f"large answer {i} " for i in range(4)] + [f"small answer {i}" for i in range(4)]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda p: texts(chat(client, p, n=1))[0], prompts))
    assert most[0] == 1
    assert [len(a) > SPOOL_ABOVE_BYTES for a in answers] == [True] * 4 + [False] * 4
    assert answers[0].startswith("large answer 0 large answer 0 ")


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_while_recording_a_stream_reaches_the_client_as_it_arrives_and_is_stored_whole(tmp_path, asynchronous):
    """The server sends a stream's first event and holds the rest until the client has that event: a
    transport that read the whole stream before handing it over would make it wait (10 s) in vain."""
    gate = threading.Event()
    ask = dict(model="m", messages=[{"role": "user", "content": "hi"}], n=2, stream=True)
    with LoopbackServer(stream_gate=gate) as server:
        transport = make_transport(CassetteStore(tmp_path / "cassettes"), "t/tee", RecordMode.RECORD, server.base_url)

        def first_then_rest(chunks):
            gate.set()
            return chunks

        if asynchronous:

            async def consume():
                stream = await open_async_client(transport).chat.completions.create(**ask)
                return [first_then_rest(chunk) async for chunk in stream]

            live = asyncio.run(consume())
        else:
            live = [first_then_rest(chunk) for chunk in open_client(transport).chat.completions.create(**ask)]
    assert server.gate_waits == [True]
    replay = make_transport(CassetteStore(tmp_path / "cassettes"), "t/tee", RecordMode.REPLAY)
    assert _streamed_texts(list(open_client(replay).chat.completions.create(**ask))) == _streamed_texts(live)
