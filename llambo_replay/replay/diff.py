"""Explain a replay miss: find the nearest recorded request and say which fields differ."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from llambo_replay.errors import ReplayMiss

if TYPE_CHECKING:
    from llambo_replay.replay.storage.store import CassetteStore

MAX_FIELDS_SHOWN = 8
CONTEXT_CHARS = 40
NEAREST_SCAN_LIMIT = 20_000


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": [{"b": 1}]}` -> `{"a[0].b": 1}`: leaves by path, so two requests compare field by field."""
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for key in sorted(value):
            items.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return items or {prefix: {}}
    if isinstance(value, list):
        items = {}
        for index, item in enumerate(value):
            items.update(flatten(item, f"{prefix}[{index}]"))
        return items or {prefix: []}
    return {prefix: value}


def differing_fields(recorded: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    a, b = flatten(recorded), flatten(wanted)
    return [path for path in sorted(a.keys() | b.keys()) if a.get(path, _ABSENT) != b.get(path, _ABSENT)]


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def describe_value_change(old: Any, new: Any) -> str:
    """Short text for one differing field; long strings are shown around the first change."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 2 * CONTEXT_CHARS:
        at = _common_prefix(old, new)
        lo = max(0, at - CONTEXT_CHARS)
        return (
            f"first differs at character {at}: recorded {old[lo : at + CONTEXT_CHARS]!r} "
            f"vs requested {new[lo : at + CONTEXT_CHARS]!r}"
        )
    return f"recorded {old!r} vs requested {new!r}"


def nearest(
    candidates: Iterable[tuple[str, str, dict[str, Any]]], wanted: dict[str, Any]
) -> tuple[str, str, dict[str, Any], list[str]] | None:
    """The candidate (namespace, key, request) with the fewest differing fields.

    Ties go to the one sharing the longest common text in its differing fields, which
    puts a prompt that changed in one number ahead of an unrelated prompt.
    """
    flat_wanted = flatten(wanted)
    best = None
    best_score: tuple[int, int] | None = None
    for namespace, key, request in candidates:
        flat = flatten(request)
        paths = [p for p in flat.keys() | flat_wanted.keys() if flat.get(p, _ABSENT) != flat_wanted.get(p, _ABSENT)]
        shared = sum(_common_prefix(str(flat.get(p, "")), str(flat_wanted.get(p, ""))) for p in paths)
        score = (len(paths), -shared)
        if best_score is None or score < best_score:
            best, best_score = (namespace, key, request, sorted(paths)), score
    return best


def render_diff(recorded: dict[str, Any], wanted: dict[str, Any], paths: list[str]) -> list[str]:
    a, b = flatten(recorded), flatten(wanted)
    lines = [
        f"  {path}: {describe_value_change(a.get(path, _ABSENT), b.get(path, _ABSENT))}"
        for path in paths[:MAX_FIELDS_SHOWN]
    ]
    if len(paths) > MAX_FIELDS_SHOWN:
        lines.append(f"  ... and {len(paths) - MAX_FIELDS_SHOWN} more differing fields")
    return lines


def explain_miss(store: CassetteStore, namespace: str, wanted: dict[str, Any]) -> list[str]:
    """The nearest recorded request of the same kind (same top-level fields), looked for in
    `namespace` first, then in the whole store."""
    found = None
    for scope in (namespace, None):
        refs = itertools.islice(store.iter_entries(scope), NEAREST_SCAN_LIMIT)
        requests = ((r.namespace, r.key, store.read(r, check_request=False)["request"]) for r in refs)
        found = nearest(
            ((ns, key, request) for ns, key, request in requests if request.keys() == wanted.keys()), wanted
        )
        if found:
            break
    if not found:
        return [f"  the cassette folder {store.root} holds no recordings of this kind at all"]
    near_namespace, key, request, paths = found
    return [
        f"nearest recorded request: key {key} in namespace {near_namespace!r}, {len(paths)} field(s) differ:",
        *render_diff(request, wanted, paths),
    ]


def miss(
    store: CassetteStore, namespace: str, key: str, slot: int, wanted: dict[str, Any], rules: dict[str, Any] | None
) -> ReplayMiss:
    """The error of a replay that finds no answer: a key recorded fewer times than asked, or one never
    recorded, with the nearest recorded request and the fields that differ."""
    entry = store.get(namespace, key)
    where = f"namespace {namespace!r}, occurrence {slot}"
    if entry is not None:
        return ReplayMiss(
            f"replay miss: key {key} ({where}) is recorded, but only as occurrence(s) "
            f"{_ranges([s['slot'] for s in entry['responses']])}; the run asks for it more often "
            "than when it was recorded (record the rest with --mode auto against a live endpoint)"
        )
    message = (
        f"replay miss: no recording for key {key} ({where}{f', keyed with {rules}' if rules else ''}); record it "
        "with --mode auto or --mode record against a live endpoint"
    )
    return ReplayMiss(message, details="\n".join(explain_miss(store, namespace, wanted)))


def _ranges(numbers: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)
