"""No committed cassette holds a credential, and the scanner does find one when there is."""

from __future__ import annotations

from pathlib import Path

import pytest

from llambo_replay.replay.secrets import scan_text, scan_tree

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_repositorys_cassettes_hold_no_secret():
    assert (REPO / "cassettes").is_dir()
    assert scan_tree(REPO / "cassettes") == []


def test_the_scanner_finds_keys_and_headers():
    assert scan_text('{"authorization": "x"}') == ["authorization header"]
    assert "OpenAI-style API key" in scan_text("key sk-proj-abcdefghijklmnopqrstuvwx")
    assert scan_text("OpenAI-Project: p") == ["project header"]
    assert scan_text("nothing here but ## 0.95 ##") == []
    assert scan_text("literal hunter2-secret", extra=("hunter2-secret",)) == [
        "the literal value of $OPENAI_API_KEY or $AZURE_OPENAI_API_KEY"
    ]  # never a piece of the key itself
