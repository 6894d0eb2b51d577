"""`httpx` clients (which LangChain, LiteLLM and others build) through the replay layer: recorded from a
real server on 127.0.0.1, replayed offline, and sharing keys with the openai SDK's `httpx2` client."""

from __future__ import annotations

import asyncio

import pytest

from llambo_replay.errors import ReplayMiss
from llambo_replay.replay import CassetteStore, RecordMode, for_httpx, make_transport, open_client
from llambo_replay.replay.http.transport import OFFLINE_URL
from llambo_replay.replay.loopback import LoopbackServer

httpx = pytest.importorskip("httpx")
ASK = {"model": "m", "messages": [{"role": "user", "content": "Suggest a learning rate."}], "temperature": 0.7}


def client(tmp_path, mode, base_url):
    transport = make_transport(CassetteStore(tmp_path / "cassettes"), "t/httpx", mode, base_url)
    return httpx.Client(transport=for_httpx(transport), base_url=base_url + "/")


def test_an_httpx_client_records_and_replays_offline_and_shares_keys_with_the_sdk(tmp_path):
    with LoopbackServer() as server, client(tmp_path, RecordMode.RECORD, server.base_url) as live:
        recorded = [live.post("chat/completions", json=ASK).json() for _ in range(2)]
        assert len(server.received) == 2
    with client(tmp_path, RecordMode.REPLAY, OFFLINE_URL) as offline:
        assert [offline.post("chat/completions", json=ASK).json() for _ in range(2)] == recorded
        with pytest.raises(ReplayMiss):
            offline.post("chat/completions", json={**ASK, "temperature": 0.1})
    sdk = open_client(make_transport(CassetteStore(tmp_path / "cassettes"), "t/httpx", RecordMode.REPLAY))
    answer = sdk.chat.completions.create(**ASK)
    assert answer.choices[0].message.content == recorded[0]["choices"][0]["message"]["content"]


def test_an_async_httpx_client_records_and_replays(tmp_path):
    async def ask(mode, base_url):
        transport = make_transport(CassetteStore(tmp_path / "cassettes"), "t/async", mode, base_url)
        async with httpx.AsyncClient(transport=for_httpx(transport), base_url=base_url + "/") as c:
            return (await c.post("chat/completions", json=ASK)).json()

    with LoopbackServer() as server:
        recorded = asyncio.run(ask(RecordMode.RECORD, server.base_url))
    assert asyncio.run(ask(RecordMode.REPLAY, OFFLINE_URL)) == recorded
