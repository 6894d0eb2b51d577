"""Patterns of credentials that must never reach a cassette, and a scanner for them."""

from __future__ import annotations

import re
from pathlib import Path

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


def scan_text(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Names of the secret kinds found in `text`; `extra` adds literal strings (a known key)."""
    found = [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
    found += [f"literal {value[:6]}..." for value in extra if value and value in text]
    return found


def scan_tree(root: str | Path, extra: tuple[str, ...] = ()) -> list[str]:
    """One line per file under `root` that holds something that looks like a secret, or that cannot
    be read (a file nobody can read is a file nobody has checked)."""
    hits = []
    root = Path(root)
    for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            hits.append(f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__}), so it was not checked")
            continue
        kinds = scan_text(text, extra)
        if kinds:
            hits.append(f"{path}: {', '.join(kinds)}")
    return hits
