"""Credentials: the shapes `cassettes scan` knows, the forms in which an echoed key is masked before it
is stored or printed, and the places a key is refused (a URL's user info or path, a model name)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from llambo_replay.errors import UsageError
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_client, unwrap
from llambo_replay.replay.canonical import redact_url
from llambo_replay.replay.http.session import resolve_base_url
from llambo_replay.replay.loopback import Fault, LoopbackServer
from llambo_replay.replay.secrets import LITERAL_KEY, mask, refuse_credential, scan_text

A = "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zA"  # 32 characters that look random, to build keys of each shape
HEX = "3f9a0c1d2e3f4a5b6c7d8e9f00112233"

# (kind scan must name, text holding a credential of that shape). Built by concatenation so that no
# scanner of this repository's own source mistakes the test data for a leak.
SHAPES = [
    ("OpenAI-style API key", "sk-" + "proj-" + A),
    ("OpenAI-style API key", "SK-" + A.upper()),
    ("OpenAI Token", "sk-" + A[:20] + "T3BlbkFJ" + A[:20]),
    ("bearer token", "bearer " + A),
    ("authorization header", '{"Authorization": "x"}'),
    ("Azure-style 32-hex key", f'"key": "{HEX}"'),
    ("JSON Web Token", "eyJ" + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"),
    ("AWS Access Key", "AKIA" + "IOSFODNN7EXAMPLE"),
    ("Google API key", "AIza" + "Sy" + A + "abc"),
    ("Hugging Face token", "hf_" + A),
    ("GitHub Token", "ghp_" + A + "abcd"),
    ("Groq API key", "gsk_" + A),
    ("xAI API key", "xai-" + A),
    ("api-key header or query parameter", "x-goog-api-key: " + A),
    ("api-key header or query parameter", "Ocp-Apim-Subscription-Key: " + HEX.upper()),
    ("api-key header or query parameter", "https://h/v1?api_key=" + A),
    ("api-key header or query parameter", '"api-key": "' + A + '"'),
    ("password or client secret", "password=" + A),
    ("password or client secret", '"client_secret": "' + A + '"'),
    ("access token parameter", "https://h/v1?access_token=" + A),
    ("OpenAI-style API key", '"sk\\u002dproj\\u002d' + A + '"'),  # JSON-escaped
    ("OpenAI-style API key", "key=sk%2Dproj%2D" + A),  # percent-encoded
    ("organisation id", "org-" + A),
    ("project id", "proj_" + A),
    ("organisation header", "OpenAI-Organization: x"),
    ("project header", "openai-project: x"),
    ("GitLab Token", "glpat-" + A),
    ("Slack Token", "xoxb-" + "1234567890-" + A.lower()),
    ("Private Key", "-----BEGIN RSA " + "PRIVATE KEY-----"),
    ("Stripe Access Key", "sk_" + "live_" + A[:24]),
    ("SendGrid API Key", "SG." + A[:22] + "." + (A + A)[:43]),
    ("Basic Auth Credentials", "https://user:" + A + "@example.com/v1"),
    ("NPM tokens", "//registry.npmjs.org/:_authToken=npm_" + A),
]

# What stores and histories are full of, and must not be taken for a credential.
HARMLESS = [
    '"x-request-id":"72da3ea4c7754860b3ccf47ff5f4dd15"',
    "x-request-id: 72da3ea4c7754860b3ccf47ff5f4dd15",
    '"key": "' + "ab" * 32 + '"',  # a sha256 content key
    '"id":"chatcmpl-' + HEX + '"',
    '{"usage": {"prompt_tokens": 812, "completion_tokens": 40}}',
    "risk-averse task-scheduling with a mask-rcnn backbone",
    "## learning_rate: 0.012, max_depth: 7 ## 0.9583",
    "Bearer",
]


def test_scan_knows_more_than_25_shapes():
    assert len({text for _, text in SHAPES}) >= 25


@pytest.mark.parametrize(("kind", "text"), SHAPES, ids=[f"{k}:{t[:12]}" for k, t in SHAPES])
def test_scan_finds_each_shape(kind, text):
    assert kind in scan_text(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_scan_leaves_identifiers_hashes_and_prompts_alone(text):
    assert scan_text(text) == []


KEY = "hosting-" + A  # no recognisable shape: only its value can find it


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


ECHOES = {
    "as is": KEY,
    "upper case": KEY.upper(),
    "lower case": KEY.lower(),
    "reversed": KEY[::-1],
    "base64": _b64(KEY.encode()),
    "base64 inside a longer text, shifted one byte": _b64(b"k=" + KEY.encode() + b";"),
    "base64 inside a longer text, shifted two bytes": _b64(b"key=" + KEY.encode()),
    "url-safe base64": base64.urlsafe_b64encode(b"\xff" + KEY.encode()).decode(),
    "hex": KEY.encode().hex(),
    "percent-encoded": quote("x" + KEY + "/", safe=""),
    "starred out in its middle": KEY[:8] + "*" * 20 + KEY[-4:],
}


@pytest.mark.parametrize("form", ECHOES)
def test_an_echoed_key_is_masked_in_each_form_and_scan_finds_it(form):
    text = f"you sent: {ECHOES[form]} (bad key)"
    masked = mask({"message": text}, (KEY,))["message"]
    assert masked.startswith("you sent: ") and masked.endswith(" (bad key)") and "***" in masked
    assert KEY[8:20] not in masked and KEY[8:20].upper() not in masked and ECHOES[form] not in masked
    assert scan_text(text) == [] and scan_text(text, extra=(KEY,)) == [LITERAL_KEY]


def test_masking_leaves_text_without_the_key_alone():
    text = "## learning_rate: 0.012 ## " + _b64(b"something else entirely")
    assert mask(text, (KEY,)) == text


def test_a_transformed_echo_never_reaches_the_store_nor_a_message(tmp_path):
    echoed = " | ".join(ECHOES.values())
    answer = {"id": "x", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": echoed}}]}
    refusal = {"error": {"message": f"Incorrect API key provided: {ECHOES['starred out in its middle']}"}}
    with LoopbackServer(faults={0: Fault(body=answer), 1: Fault(status=401, body=refusal)}) as server:
        transport = make_transport(CassetteStore(tmp_path / "cassettes"), "t/r", RecordMode.RECORD, server.base_url)
        client = open_client(transport, api_key=KEY)
        first = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
        with pytest.raises(Exception) as caught:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "b"}])
    parts = first.choices[0].message.content.split(" | ")
    assert len(parts) == len(ECHOES) and all("***" in part for part in parts)  # (what frames a key is kept)
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cassettes").rglob("*") if p.is_file()).decode()
    assert scan_text(stored, extra=(KEY,)) == []
    message = str(unwrap(caught.value))
    assert "HTTP 401" in message and "Incorrect API key provided: ***" in message and KEY[-4:] not in message


@pytest.mark.parametrize(
    "url",
    ["http://sk-" + A + "@api.example.com/v1", "http://user:" + A + "@api.example.com/v1"],
)
def test_a_base_url_with_user_info_is_refused_without_printing_it(url):
    with pytest.raises(UsageError) as caught:
        resolve_base_url(url)
    assert "user info" in str(caught.value) and A not in str(caught.value)


@pytest.mark.parametrize(
    "secret_segment",
    [HEX, "eyJ" + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", quote("sk-proj-" + A, safe="")],
    ids=["32-hex", "JWT", "percent-encoded key"],
)
def test_a_key_in_a_url_path_is_refused_and_never_printed(secret_segment):
    url = f"https://res.openai.azure.com/openai/{secret_segment}/v1"
    assert redact_url(url) == "https://res.openai.azure.com/openai/***/v1"
    with pytest.raises(UsageError) as caught:
        resolve_base_url(url)
    assert secret_segment not in str(caught.value) and A not in str(caught.value)


def test_the_environments_key_is_masked_in_urls_whatever_its_shape(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert redact_url(f"https://h/{KEY}/v1") == "https://h/***/v1"


@pytest.mark.parametrize("model", [HEX, "sk-proj-" + A, "eyJ" + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"])
def test_a_model_name_that_looks_like_a_key_is_refused_without_printing_it(model):
    with pytest.raises(UsageError) as caught:
        refuse_credential("the model name", model)
    assert model not in str(caught.value)
    assert "\n" not in str(caught.value)
