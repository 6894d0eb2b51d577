"""`capture(transport)`: clients that libraries build for themselves (an openai client made without
`http_client`, a bare `httpx` client) go through the replay layer inside the block, and only there."""

from __future__ import annotations

import httpx2
import openai
import pytest

from llambo_replay.errors import ReplayMiss
from llambo_replay.replay import CassetteStore, RecordMode, capture, make_transport, unwrap
from llambo_replay.replay.loopback import LoopbackServer

httpx = pytest.importorskip("httpx")
ASK = {"model": "m", "messages": [{"role": "user", "content": "Suggest a learning rate."}]}


def own_clients(base_url: str) -> list[str]:
    """What a library does: an SDK client with its own HTTP client, and a bare httpx call."""
    sdk = openai.OpenAI(base_url=base_url, api_key="no-key-needed", max_retries=0)
    via_sdk = sdk.chat.completions.create(**ASK).choices[0].message.content
    with httpx.Client(base_url=base_url + "/") as bare:
        via_httpx = bare.post("chat/completions", json={**ASK, "temperature": 0.5}).json()
    return [via_sdk, via_httpx["choices"][0]["message"]["content"]]


def test_clients_made_inside_the_block_record_and_replay_offline(tmp_path):
    with LoopbackServer() as server:
        live = make_transport(CassetteStore(tmp_path / "c"), "t/capture", RecordMode.RECORD, server.base_url)
        with capture(live):
            recorded = own_clients(server.base_url)
        assert len(server.received) == 2
        offline = make_transport(CassetteStore(tmp_path / "c"), "t/capture", RecordMode.REPLAY)
        with capture(offline):
            assert own_clients(server.base_url) == recorded  # the server is up, yet hears nothing more
        assert len(server.received) == 2


def test_outside_the_block_nothing_is_patched_and_an_explicit_transport_keeps_precedence(tmp_path):
    (tmp_path / "c").mkdir()
    offline = make_transport(CassetteStore(tmp_path / "c"), "t/capture", RecordMode.REPLAY)
    init = httpx2.Client.__init__
    with LoopbackServer() as server:
        with capture(offline):
            assert httpx2.Client.__init__ is not init
            with pytest.raises(Exception) as caught:  # noqa: B017  (routed: a miss, not the server's answer)
                openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0).chat.completions.create(**ASK)
            assert isinstance(unwrap(caught.value), ReplayMiss)
            explicit = httpx2.Client(transport=httpx2.HTTPTransport())
            assert explicit.post(server.base_url + "/chat/completions", json=ASK).status_code == 200
        assert httpx2.Client.__init__ is init
        assert len(server.received) == 1  # only the explicitly transported request reached it
