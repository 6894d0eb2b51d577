"""What a completion must look like before it is stored: a stored answer is replayed forever, so a
malformed one (numbers for text, a usage block that is a string, NaN) would break every later run.

The rules are data: per endpoint path, what each choice must hold; the usage block and the body as a
whole are checked the same way for every path.
"""

from __future__ import annotations

import math
from typing import Any

# endpoint path suffix -> (field of each choice, the types its value may have)
CHOICE_RULES: dict[str, tuple[str, tuple[type, ...]]] = {
    "chat/completions": ("message", (dict,)),
    "completions": ("text", (str,)),
}
MESSAGE_CONTENT_TYPES = (str, type(None), list)  # text, none (a tool call or a refusal), or a list of parts
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


def _bad_value(value: Any, depth: int = 0) -> str:
    """A non-finite number or a string that is not valid Unicode anywhere in the body."""
    if depth > 64:
        return "nested more than 64 levels deep"
    if isinstance(value, float) and not math.isfinite(value):
        return f"a non-finite number ({value})"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a string that is not valid Unicode (a lone surrogate)"
        return ""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        problem = _bad_value(child, depth + 1)
        if problem:
            return problem
    return ""


EVENT_STREAM = "text/event-stream"
# Answers that are bytes, not text (speech, images, file contents): stored as base64 beside their type.
BINARY_TYPES = ("audio/", "image/", "video/", "application/octet-stream", "application/pdf", "application/zip")


def answer_kind(content_type: str) -> str:
    """How an answer of this content type is stored: "event-stream" (its events), "binary" (base64) or
    "json"; the one rule for recording, replaying and verifying."""
    content_type = content_type.lower()
    if content_type.startswith(EVENT_STREAM):
        return "event-stream"
    return "binary" if content_type.startswith(BINARY_TYPES) else "json"


def recorded_http(meta: Any) -> dict[str, Any]:
    """A stored slot's status and headers (`{}` for entries recorded before they were kept: 200, JSON)."""
    http = meta.get("http") if isinstance(meta, dict) else None
    return http if isinstance(http, dict) and isinstance(http.get("headers", {}), dict) else {}


def stored_kind(meta: Any) -> str:
    """The `answer_kind` of a stored slot, from its recorded content type; "error" for a recorded client error."""
    http = recorded_http(meta)
    status = http.get("status", 200)
    if isinstance(status, int) and status >= 400:
        return "error"
    return answer_kind(str(http.get("headers", {}).get("content-type", "")))


def stream_problem(body: Any) -> str:
    """Why `body` is not a stored event stream (`{"sse": [{"event", "data"}, ...]}`), or ""."""
    events = body.get("sse") if isinstance(body, dict) else None
    if not isinstance(events, list) or not events:
        return "a streamed answer without events"
    for event in events:
        if (
            not isinstance(event, dict)
            or set(event) != {"event", "data"}
            or not (event["event"] is None or isinstance(event["event"], str))
        ):
            return "a streamed answer with a malformed event"
        if isinstance(event["data"], dict) and event["data"].get("error"):
            return "a streamed answer that ends in an error event"
    problem = _bad_value(body)
    return f"a streamed answer holding {problem}" if problem else ""


def completion_problem(body: Any, path: str) -> str:
    """Why `body` is not a completion for `path`, or "" if it is one (other paths: any JSON)."""
    problem = _bad_value(body)
    if problem:
        return f"a response holding {problem}"
    rule = next((rule for suffix, rule in CHOICE_RULES.items() if path.split("?")[0].endswith(suffix)), None)
    if rule is None:
        return ""
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):  # [] is an answer: a content filter's
        return "a completion without choices"
    field, types = rule
    for choice in body["choices"]:
        if not isinstance(choice, dict) or not isinstance(choice.get(field), types):
            return f"a completion whose choices lack a {field}"
        content = choice["message"].get("content") if field == "message" else None
        if field == "message" and (
            not isinstance(content, MESSAGE_CONTENT_TYPES)
            or isinstance(content, list)
            and not all(isinstance(part, dict) and isinstance(part.get("type"), str) for part in content)
        ):
            return "a completion whose message content is not text"
    usage = body.get("usage")
    if usage is not None and (
        not isinstance(usage, dict)
        or any(
            not isinstance(usage.get(name, 0), int) or isinstance(usage.get(name), bool) or usage.get(name, 0) < 0
            for name in USAGE_FIELDS
        )
    ):
        return "a completion whose usage is not token counts"
    return ""
