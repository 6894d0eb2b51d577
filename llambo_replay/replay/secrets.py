"""What a credential looks like, where it must never go, and a scanner for it.

Two sources of shapes: the rules of a maintained scanner (detect-secrets' plugins whose rules are
anchored on a literal, so a 100 MB store scans in seconds) and the shapes those rules lack, below.
The key a request sends is known by value: it is masked, before anything is stored or printed, in
every form an endpoint has been seen to echo it (as is, in another case, reversed, base64, hex,
percent-encoded, or with its middle starred out)."""

from __future__ import annotations

import base64
import functools
import importlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from llambo_replay.errors import UsageError
from llambo_replay.replay.storage.walk import files_under

# detect-secrets' plugins used, by class name. Left out: the entropy plugins and the public-IP rule (every
# content hash of a store is high-entropy hex; answers quote addresses), the keyword plugin (no rule to
# reuse), and the rules anchored on a keyword rather than a literal (Artifactory, Cloudant, IBM, SoftLayer,
# Mailchimp, Telegram), which take 1-5 s each per 100 MB.
DETECT_SECRETS_PLUGINS = {  # class name: its module in detect_secrets.plugins
    "AWSKeyDetector": "aws",
    "AzureStorageKeyDetector": "azure_storage_key",
    "BasicAuthDetector": "basic_auth",
    "DiscordBotTokenDetector": "discord",
    "GitHubTokenDetector": "github_token",
    "GitLabTokenDetector": "gitlab_token",
    "JwtTokenDetector": "jwt",
    "NpmDetector": "npm",
    "OpenAIDetector": "openai",
    "PrivateKeyDetector": "private_key",
    "PypiTokenDetector": "pypi_token",
    "SendGridDetector": "sendgrid",
    "SlackDetector": "slack",
    "StripeDetector": "stripe",
    "TwilioKeyDetector": "twilio",
}

# Policy as data: per shape the plugins above miss, a regular expression and the words (lower case) of
# which one must be in a text for the expression to be worth running (case-blind expressions are slow).
# Header and parameter names are matched in any serialisation (JSON `"name": v`, `name: v`, `name=v`).
_NAMED = r"""(?<![A-Za-z0-9_-])["']?(?:{name})["']?\s*[:=]\s*["']?[^\s"',&]{{8,}}"""
_ANY_CASE = re.IGNORECASE
OWN_RULES: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "OpenAI-style API key": (re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}", _ANY_CASE), ("sk-",)),
    "bearer token": (re.compile(r"(?<![A-Za-z0-9])Bearer\s+[A-Za-z0-9._~+/-]{16,}", _ANY_CASE), ("bearer",)),
    "authorization header": (re.compile(r"""["']?authorization["']?\s*:""", _ANY_CASE), ("authorization",)),
    "organisation header": (re.compile(r"openai-organization", _ANY_CASE), ("openai-organization",)),
    "project header": (re.compile(r"openai-project", _ANY_CASE), ("openai-project",)),
    "api-key header or query parameter": (
        re.compile(_NAMED.format(name=r"(?:x-)?api[-_]?key|x-goog-api-key|ocp-apim-subscription-key"), _ANY_CASE),
        ("api-key", "api_key", "apikey", "ocp-apim-subscription-key"),
    ),
    "password or client secret": (
        re.compile(_NAMED.format(name=r"password|passwd|client[-_]secret"), _ANY_CASE),
        ("password", "passwd", "client_secret", "client-secret"),
    ),
    "access token parameter": (
        re.compile(_NAMED.format(name="access_token|token|sig"), _ANY_CASE),
        ("token", "sig"),
    ),
    "organisation id": (re.compile(r"(?<![A-Za-z0-9])org-[A-Za-z0-9]{16,}"), ("org-",)),
    "project id": (re.compile(r"(?<![A-Za-z0-9])proj_[A-Za-z0-9]{16,}"), ("proj_",)),
    # (not the value of a field named like `x-request-id`: identifiers have this shape too)
    "Azure-style 32-hex key": (
        re.compile(r"(?<![0-9A-Za-z_-])(?<!id\":\")(?<!id\": \")(?<!id=)(?<!id: )[0-9a-fA-F]{32}(?![0-9A-Za-z_-])"),
        (),
    ),
    "Google API key": (re.compile(r"AIza[0-9A-Za-z_-]{35}"), ()),
    "Hugging Face token": (re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"), ("hf_",)),
    "Groq API key": (re.compile(r"(?<![A-Za-z0-9])gsk_[A-Za-z0-9]{20,}"), ("gsk_",)),
    "xAI API key": (re.compile(r"(?<![A-Za-z0-9])xai-[A-Za-z0-9]{20,}"), ("xai-",)),
}


@functools.cache
def secret_rules() -> dict[str, tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]]:
    """Every shape `scan` looks for: the chosen detect-secrets rules (anchored already), then this
    package's own, each with its words."""
    plugins = [
        getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        for name, module in DETECT_SECRETS_PLUGINS.items()
    ]  # imported here, not with this module: only recording, scans and refusals need them
    rules = {cls.secret_type: tuple((pattern, ()) for pattern in cls.denylist) for cls in plugins}
    return rules | {kind: (rule,) for kind, rule in OWN_RULES.items()}


# Request headers whose values are credentials; a value shorter than this is not worth masking.
CREDENTIAL_HEADERS = ("authorization", "api-key", "x-api-key", "openai-organization", "openai-project")
MIN_SECRET_LENGTH = 8
MASK = "***"
KEY_ENV_VARS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")  # `cassettes scan` looks for their values
LITERAL_KEY = f"the literal value of ${' or $'.join(KEY_ENV_VARS)}"


def credentials_in(headers: Any) -> tuple[str, ...]:
    """The credential values a request sends (the token of `Authorization: Bearer ...`, API-key headers)."""
    values = []
    for name in CREDENTIAL_HEADERS:
        value = headers.get(name) if headers is not None else None
        if value:
            token = value.split(None, 1)[1] if name == "authorization" and " " in value else value
            values += [v for v in (token, value) if len(v) >= MIN_SECRET_LENGTH]
    return tuple(sorted(set(values), key=len, reverse=True))


def echo_forms(secret: str) -> set[str]:
    """The forms in which an endpoint may echo `secret`, each to be masked wherever it appears (matched
    regardless of case, which also covers the upper- and lower-case echoes). Base64 is taken at the three
    byte alignments, so the key is found inside a longer base64 text too."""
    raw = secret.encode()
    forms = {secret, secret[::-1], raw.hex(), quote(secret, safe=""), json.dumps(secret)[1:-1]}
    for shift in range(3):
        whole_groups = (shift + len(raw)) // 3 * 4
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw).decode()
            forms.add(encoded[4 if shift else 0 : whole_groups])  # the characters only the key decides
            if not shift:
                forms |= {encoded, encoded.rstrip("=")}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


@functools.lru_cache(maxsize=64)
def _echo_pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    forms = sorted(set().union(*map(echo_forms, secrets)), key=len, reverse=True)
    # A key shown with its middle starred out (`sk-proj-****...XYZ`): its head, stars, and its tail.
    partial = [rf"{re.escape(secret[:4])}[^\s*\"']*[*•…]{{3,}}[^\s*\"']*" for secret in secrets if len(secret) >= 12]
    return re.compile("|".join([*map(re.escape, forms), *partial]), re.IGNORECASE)


def mask(value: Any, secrets: tuple[str, ...]) -> Any:
    """`value` with each secret, in every form of `echo_forms` (or starred out in part), replaced by
    *** in its strings and keys."""
    secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)
    if not secrets:
        return value
    if isinstance(value, str):
        return _echo_pattern(secrets).sub(MASK, value)
    if isinstance(value, dict):
        return {mask(k, secrets): mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secrets) for v in value]
    return value


def known_keys() -> tuple[str, ...]:
    """The literal keys this environment holds, for scans."""
    return tuple(v for v in (os.environ.get(name) for name in KEY_ENV_VARS) if v and len(v) >= MIN_SECRET_LENGTH)


def _views(text: str) -> list[str]:
    """`text`, and as JSON escapes and percent-encoding would hide nothing from it."""
    views = [text]
    if "\\u" in text:
        views.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text))
    if "%" in text:
        views.append(unquote(views[-1]))
    return views


def scan_text(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Names of the secret kinds found in `text`; `extra` adds known keys, in each of their echo forms."""
    views = _views(text)
    lowered = [view.lower() for view in views]
    found = [
        kind
        for kind, rules in secret_rules().items()
        if any(
            pattern.search(view)
            for pattern, words in rules
            for view, low in zip(views, lowered)
            if not words or any(word in low for word in words)
        )
    ]
    keys = tuple(value for value in extra if value and len(value) >= MIN_SECRET_LENGTH)
    if keys and any(_echo_pattern(keys).search(view) for view in views):  # never a piece of the key: it would print it
        found.append(LITERAL_KEY)
    return found


def refuse_credential(what: str, value: str) -> None:
    """Refuse a value that travels in request bodies, URLs or folder names when it looks like a key
    (or is the key this environment holds): it would be stored, printed and committed."""
    kinds = scan_text(value, known_keys())
    if kinds:
        raise UsageError(
            f"{what} looks like it holds a credential ({kinds[0]}); give the key in OPENAI_API_KEY, "
            "which is sent as a header and never stored"
        )


def scan_tree(root: str | Path, extra: tuple[str, ...] = ()) -> list[str]:
    """One line per file under `root` that holds something that looks like a secret, or that cannot
    be read (a file nobody can read is a file nobody has checked)."""
    hits = []
    root = Path(root)
    for path in sorted(files_under(root)) if root.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            hits.append(f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__}), so it was not checked")
            continue
        kinds = scan_text(text, extra)
        if kinds:
            hits.append(f"{path}: {', '.join(kinds)}")
    return hits
