"""vcrpy pins our client's HTTP traffic: per-test YAML cassettes, body matching, credentials filtered."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
        with pytest.raises(Exception, match="(?i)cassette"):  # vcrpy's CannotOverwriteExistingCassetteException
            ask(base_url, "a different body")


def test_the_plugin_fixture_is_registered(pytestconfig):
    assert pytestconfig.getoption("--llm-record-mode") == "none"


def test_vcrpy_cassettes_hold_no_key_query_and_no_account_response_header(tmp_path):
    """`?api-key=`, `openai-organization`, `openai-project` and `set-cookie` never reach the YAML."""
    import openai

    from llambo_replay.replay.secrets import scan_text

    account = {
        "openai-organization": "org-abcdefghijklmnopqrstu",
        "openai-project": "proj_abcdefghijklmnopqrstu",
        "set-cookie": "session=abcdefghijklmnop",
    }
    with LoopbackServer(response_headers=account) as server:
        client = openai.OpenAI(
            base_url=server.base_url, api_key=KEY, max_retries=0, default_query={"api-key": "QUERYSECRET123456"}
        )
        with vcr_for(tmp_path, "once").use_cassette("chat.yaml"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello"}])
        assert server.received_headers  # the request did go out
        with vcr_for(tmp_path, "none").use_cassette("chat.yaml"):  # and replays, the query filtered alike
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello"}])
    text = (tmp_path / "chat.yaml").read_text()
    for secret in ("QUERYSECRET123456", "org-abcdefghijklmnopqrstu", "proj_abcdefghijklmnopqrstu", "session="):
        assert secret not in text
    assert scan_text(text) == []


USER_TEST = """
import uuid
import os
import subprocess
import sys
from pathlib import Path

import pytest

@pytest.mark.llm_replay(ignore=("body.user",))
def test_hello(llm_replay):
    client = llm_replay.client()
    answer = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "{content}"}],
                                            user=f"session-{uuid.uuid4()}")
    print("ANSWER", answer.choices[0].message.content)
"""


@pytest.mark.slow
def test_the_llm_replay_fixture_records_per_test_and_replays_anywhere_with_the_network_blocked(tmp_path):
    """The plugin matches without host and port (a stub on port 0 replays), gives two tests of one name in
    two files their own cassettes, and has a marker, a config override and --block-network."""
    for folder, content in (("a", "first"), ("b", "second")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "test_chat.py").write_text(USER_TEST.replace("{content}", content))

    def pytest_run(*args: str, **env: str) -> subprocess.CompletedProcess:
        return pytest_in(tmp_path, "-s", "--import-mode=importlib", *args, **env)

    with LoopbackServer() as server:
        recorded = pytest_run("--llm-mode", "record", OPENAI_BASE_URL=server.base_url)
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    replayed = pytest_run("--block-network")  # the server is gone, its port with it; replay is the default
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    import re

    answers = lambda out: sorted(re.findall(r"ANSWER (?:changed )?reply \w+ #\d+", out))  # noqa: E731
    assert answers(replayed.stdout) == answers(recorded.stdout) and len(set(answers(recorded.stdout))) == 2
    from llambo_replay.replay.storage.store import CassetteStore

    for folder in ("a", "b"):
        (entry,) = CassetteStore(tmp_path / folder / "cassettes").iter_entries()
        assert entry.namespace == f"{folder}/test_chat.py/test_hello"
    from llambo_replay.replay.loopback import echo_responder

    with LoopbackServer(responder=lambda body, k: "changed " + echo_responder(body, k)) as server:  # the model moved on
        rewritten = pytest_run("--llm-mode", "rewrite", "a", OPENAI_BASE_URL=server.base_url)
        assert rewritten.returncode == 0, rewritten.stdout + rewritten.stderr
    again = pytest_run("a")
    assert re.findall(r"ANSWER changed reply \w+ #0", again.stdout), again.stdout  # only the new answer is left
    (entry,) = CassetteStore(tmp_path / "a" / "cassettes").iter_entries()
    blocked = tmp_path / "test_blocked.py"
    blocked.write_text("import socket\n\ndef test_out():\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n")
    result = pytest_run("--llm-block-network", str(blocked))
    assert result.returncode == 1 and "tried to connect" in result.stdout, result.stdout


def test_the_plugin_starts_beside_pytest_recording_and_honours_its_block_network(tmp_path):
    """pytest-recording (installed with the test extra) registers `--block-network` too: with it present, this
    plugin leaves the option to it (two registrations would stop pytest from starting), and a connection
    fails under either plugin's option."""
    pytest.importorskip("pytest_recording")
    (tmp_path / "test_out.py").write_text(
        "import socket\n\ndef test_out():\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
    )
    started = pytest_in(tmp_path, "--help")
    assert started.returncode == 0 and "--block-network" in started.stdout and "--llm-block-network" in started.stdout
    blocked = pytest_in(tmp_path, "--block-network", "test_out.py")
    assert blocked.returncode == 1 and "Network is disabled" in blocked.stdout, blocked.stdout + blocked.stderr
    ours = pytest_in(tmp_path, "--llm-block-network", "test_out.py")
    assert ours.returncode == 1 and "tried to connect to ('192.0.2.1', 80)" in ours.stdout, ours.stdout + ours.stderr


def pytest_in(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """pytest run in `folder` as a user runs it, with this package's plugin installed (and `env` added)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
