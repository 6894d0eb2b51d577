"""Data that repeats across entries (the numerical environment of every recorded evaluation), stored once
by its sha256 in `<root>/_shared.jsonl` and referred to from each entry's meta."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llambo_replay.errors import CassetteCorrupt
from llambo_replay.replay.canonical import content_hash
from llambo_replay.replay.storage import packs

SHARED_NAME = "_shared.jsonl"
SHARED_META_FIELDS = ("environment",)  # meta values stored once, by content hash
SHARED_REF = "$shared"


class SharedValues:
    """One store's shared values, read once per process and appended to under the file's lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._values: dict[str, Any] | None = None

    def values(self, reload: bool = False) -> dict[str, Any]:
        if self._values is None or reload:
            shared: dict[str, Any] = {}
            path = self.root / SHARED_NAME
            if path.is_file():
                for number, line in enumerate(path.read_bytes().split(b"\n")[:-1], 1):
                    try:
                        record = json.loads(line)
                        value, digest = record["value"], record["sha256"]
                    except (ValueError, KeyError, TypeError):
                        raise CassetteCorrupt(f"{path} line {number} is unreadable; restore it from git") from None
                    if content_hash(value) != digest:
                        raise CassetteCorrupt(f"{path} line {number} does not match its sha256; restore it from git")
                    shared[digest] = value
            self._values = shared
        return self._values

    def expand(self, meta: dict[str, Any], where: str) -> dict[str, Any]:
        refs = {
            name: meta[name][SHARED_REF]
            for name in SHARED_META_FIELDS
            if isinstance(meta.get(name), dict) and set(meta[name]) == {SHARED_REF}
        }
        if not refs:
            return meta
        shared = self.values()
        if not all(ref in shared for ref in refs.values()):
            shared = self.values(reload=True)
        missing = [ref for ref in refs.values() if ref not in shared]
        if missing:
            raise CassetteCorrupt(
                f"{where} refers to shared data {missing[0]} that {self.root / SHARED_NAME} "
                "does not hold; restore it from git"
            )
        return {**meta, **{name: shared[ref] for name, ref in refs.items()}}

    def intern(self, meta: dict[str, Any]) -> dict[str, Any]:
        """The meta as stored: every shared field replaced by a reference, its value stored once."""
        values = {name: meta[name] for name in SHARED_META_FIELDS if isinstance(meta.get(name), dict)}
        if not values:
            return meta
        digests = {name: content_hash(value) for name, value in values.items()}
        known = self.values()
        new = {digest: values[name] for name, digest in digests.items() if digest not in known}
        if new:
            path = self.root / SHARED_NAME
            with packs.locked(path) as handle:
                packs.cut_torn_tail(handle)
                known = self.values(reload=True)
                lines = b"".join(
                    json.dumps(
                        {"sha256": d, "value": v}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
                    ).encode("utf-8")
                    + b"\n"
                    for d, v in new.items()
                    if d not in known
                )
                if lines:
                    packs.append(handle, lines)
                    known.update((d, v) for d, v in new.items())
        return {**meta, **{name: {SHARED_REF: digest} for name, digest in digests.items()}}
