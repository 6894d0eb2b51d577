"""The canonical form of a request, and the key derived from it.

A key must change when, and only when, the model would see a different request.
So it covers the HTTP method, the API path relative to the base URL (with its query,
minus anything secret) and the JSON body; never headers, host, timeouts or retries.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from llambo_replay.replay.secrets import MASK, known_keys, scan_text

# Query parameters that may carry credentials (Azure accepts `api-key` in the query).
SECRET_QUERY_PARAMS = frozenset({"api-key", "api_key", "key", "token", "access_token", "sig"})

# What the key covers: policy as data, read by `canonical_request`.
KEY_FIELDS = ("method", "path", "body")


def normalise_numbers(value: Any) -> Any:
    """Make equal numbers serialise equally: 1.0 and 1 are one key, floats use repr."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(k): normalise_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise_numbers(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 kept readable."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def relative_path(url_path: str, query: str, base_path: str) -> str:
    """The API path below the base URL, with non-secret query parameters sorted."""
    base = base_path.rstrip("/")
    path = url_path[len(base) :] if base and url_path.startswith(base + "/") else url_path
    path = "/" + path.lstrip("/")
    params = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() not in SECRET_QUERY_PARAMS)
    return path + ("?" + urlencode(params) if params else "")


def multipart_parts(body: bytes, content_type: str) -> list[dict[str, Any]] | None:
    """A multipart/form-data body as its parts, in order, without the random boundary httpx draws: a
    field's text, or a file's name, type, size and sha256 (the bytes themselves are not kept)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    if not content_type.lower().startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    if not message.is_multipart():
        return None
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True) or b""
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        if filename is None:
            parts.append({"name": name, "value": payload.decode("utf-8", "replace")})
        else:
            parts.append(
                {
                    "name": name,
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    "size": len(payload),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                }
            )
    return parts


def parse_body(body: bytes, content_type: str = "") -> Any:
    """JSON bodies are canonicalised, multipart ones reduced to their parts; anything else is kept as text."""
    if not body:
        return None
    parts = multipart_parts(body, content_type)
    if parts is not None:
        return {"multipart": parts}
    try:
        return normalise_numbers(json.loads(body))
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")


def canonical_request(method: str, path: str, body: bytes, content_type: str = "") -> dict[str, Any]:
    values = {"method": method.upper(), "path": path, "body": parse_body(body, content_type)}
    return {field: values[field] for field in KEY_FIELDS}


def without_fields(canonical: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """The canonical request without the fields at these dotted paths (`body.user`, `body.metadata.run`):
    what a volatile field should not change, the key and the stored request. A missing path is no error."""
    if not paths:
        return canonical
    out = json.loads(json.dumps(canonical))
    for path in paths:
        *parents, leaf = path.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return out


def request_key(canonical: dict[str, Any]) -> str:
    """Full sha256 hex of the canonical request: the entry's address in the store."""
    return hashlib.sha256(canonical_json(canonical).encode("utf-8")).hexdigest()


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def redact_url(url: str) -> str:
    """`url` fit for a message: its user info, the values of secret query parameters and any path
    segment that looks like a credential (percent-encoded or not) become ***."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unparseable: show it only where it cannot hold a password or a query
        return url if "@" not in url and "?" not in url else "(an unparseable URL)"
    netloc = parts.netloc if "@" not in parts.netloc else MASK + "@" + parts.netloc.rpartition("@")[2]
    keys = known_keys()
    path = "/".join(MASK if scan_text(unquote(seg), keys) else seg for seg in parts.path.split("/"))
    query = urlencode(
        [
            (k, MASK if k.lower() in SECRET_QUERY_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
