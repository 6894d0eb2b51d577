"""Patterns of credentials that must never reach a cassette, and a scanner for them."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from llambo_replay.errors import UsageError
from llambo_replay.replay.storage.walk import files_under

# Policy as data: a name and a regular expression per kind of secret. Header names are matched
# in any serialisation (JSON `"name": v`, YAML or HTTP `name: v`, a query `name=v`).
_NAMED = r"""(?<![A-Za-z0-9_-])["']?{name}["']?\s*[:=]\s*["']?[^\s"',&]{{8,}}"""
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "OpenAI-style API key": re.compile(r"sk-[A-Za-z0-9_-]{16,}"),
    "bearer token": re.compile(r"Bearer\s+[A-Za-z0-9._~+/-]{16,}"),
    "authorization header": re.compile(r"""["']?authorization["']?\s*:""", re.IGNORECASE),
    "organisation header": re.compile(r"openai-organization", re.IGNORECASE),
    "project header": re.compile(r"openai-project", re.IGNORECASE),
    "api-key header or query parameter": re.compile(_NAMED.format(name="(?:x-)?api[-_]key"), re.IGNORECASE),
    "access token parameter": re.compile(_NAMED.format(name="(?:access_token|token|sig)"), re.IGNORECASE),
    "organisation id": re.compile(r"\borg-[A-Za-z0-9]{16,}"),
    "project id": re.compile(r"\bproj_[A-Za-z0-9]{16,}"),
}


# Request headers whose values are credentials; a value shorter than this is not worth masking.
CREDENTIAL_HEADERS = ("authorization", "api-key", "x-api-key", "openai-organization", "openai-project")
MIN_SECRET_LENGTH = 8
MASK = "***"
KEY_ENV_VARS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")  # `cassettes scan` looks for their literal values


def credentials_in(headers: Any) -> tuple[str, ...]:
    """The credential values a request sends (the token of `Authorization: Bearer ...`, API-key headers)."""
    values = []
    for name in CREDENTIAL_HEADERS:
        value = headers.get(name) if headers is not None else None
        if value:
            token = value.split(None, 1)[1] if name == "authorization" and " " in value else value
            values += [v for v in (token, value) if len(v) >= MIN_SECRET_LENGTH]
    return tuple(sorted(set(values), key=len, reverse=True))


def mask(value: Any, secrets: tuple[str, ...]) -> Any:
    """`value` with every occurrence of each secret in its strings (and keys) replaced by ***."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {mask(k, secrets): mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secrets) for v in value]
    return value


def known_keys() -> tuple[str, ...]:
    """The literal keys this environment holds, for scans."""
    return tuple(v for v in (os.environ.get(name) for name in KEY_ENV_VARS) if v and len(v) >= MIN_SECRET_LENGTH)


def scan_text(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Names of the secret kinds found in `text`; `extra` adds literal strings (a known key)."""
    found = [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
    if any(value and value in text for value in extra):  # never a piece of the key itself: that would print it
        found.append(f"the literal value of ${' or $'.join(KEY_ENV_VARS)}")
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
