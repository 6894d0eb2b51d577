"""vcrpy pins our client's HTTP traffic: per-test YAML cassettes, body matching, credentials filtered."""

from __future__ import annotations

import pytest

from llambo_replay.replay.loopback import LoopbackServer
from llambo_replay.replay.pytest_plugin import vcr_for

KEY = "sk-test-vcrvcrvcrvcrvcrvcrvcrvcr"


def ask(base_url: str, content: str) -> str:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    response = client.chat.completions.create(model="m", messages=[{"role": "user", "content": content}])
    return response.choices[0].message.content


def test_vcrpy_records_without_credentials_and_replays_by_body(tmp_path):
    with LoopbackServer() as server:
        base_url = server.base_url
        with vcr_for(tmp_path, "once").use_cassette("chat.yaml"):
            recorded = ask(base_url, "hello")
    text = (tmp_path / "chat.yaml").read_text()
    assert "hello" in text and KEY not in text and "authorization" not in text.lower()

    with vcr_for(tmp_path, "none").use_cassette("chat.yaml"):
        assert ask(base_url, "hello") == recorded  # the server is gone: vcrpy answered
        with pytest.raises(Exception):
            ask(base_url, "a different body")


def test_the_plugin_fixture_is_registered(pytestconfig):
    assert pytestconfig.getoption("--llm-record-mode") == "none"


def test_vcrpy_cassettes_hold_no_key_query_and_no_account_response_header(tmp_path):
    """Issue: `?api-key=`, `openai-organization`, `openai-project` and `set-cookie` reached the YAML."""
    import openai

    from llambo_replay.replay.secrets import scan_text

    account = {"openai-organization": "org-abcdefghijklmnopqrstu", "openai-project": "proj_abcdefghijklmnopqrstu",
               "set-cookie": "session=abcdefghijklmnop"}
    with LoopbackServer(response_headers=account) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0,
                               default_query={"api-key": "QUERYSECRET123456"})
        with vcr_for(tmp_path, "once").use_cassette("chat.yaml"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello"}])
        assert server.received_headers  # the request did go out
        with vcr_for(tmp_path, "none").use_cassette("chat.yaml"):  # and replays, the query filtered alike
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello"}])
    text = (tmp_path / "chat.yaml").read_text()
    for secret in ("QUERYSECRET123456", "org-abcdefghijklmnopqrstu", "proj_abcdefghijklmnopqrstu", "session="):
        assert secret not in text
    assert scan_text(text) == []
