"""Cassette storage: one pretty-printed JSON file per request key, under its namespace.

Layout: ``<root>/<namespace>/<key[:2]>/<key>.json``. The path is the index, so a lookup
is one file read whatever the cassette's size. A file holds the canonical request once
and the responses to its 1st, 2nd, ... occurrence ("slots"), each with its own sha256,
sorted by slot. Concurrent identical requests may finish out of order, and an interrupted
recording may leave a gap: a later run fills it. Writes take an exclusive lock, re-read
the file, add the slot if it is still free and replace the file atomically, so
concurrent recorders lose nothing and never duplicate.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from llambo_replay.errors import CassetteCorrupt, UsageError
from llambo_replay.replay.canonical import content_hash, request_key

FORMAT_VERSION = 1
LOCK_NAME = ".write.lock"
SLOT_FIELDS = frozenset({"slot", "response", "meta", "sha256"})
TEMP_GLOB = ".*.tmp"  # what `atomic_write_text` leaves behind when a writer is killed mid-write
_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]*(/[A-Za-z0-9][A-Za-z0-9._=+-]*)*$")
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class EntryRef:
    namespace: str
    key: str
    path: Path


@lru_cache(maxsize=4096)
def check_namespace(namespace: str) -> str:
    if not _NAMESPACE_RE.match(namespace) or ".." in namespace:
        raise UsageError(f"invalid cassette namespace {namespace!r}: use letters, digits, '._=+-' and '/' between parts")
    return namespace


def slot_hash(slot: dict[str, Any]) -> str:
    """What a slot's sha256 covers: its number, the raw response and the metadata."""
    return content_hash({"slot": slot["slot"], "response": slot["response"], "meta": slot["meta"]})


def _find_slot(entry: dict[str, Any], slot: int) -> dict[str, Any] | None:
    for stored in entry["responses"]:
        if stored["slot"] == slot:
            return stored
    return None


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_entry(entry: dict[str, Any]) -> str:
    return json.dumps(entry, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


class CassetteStore:
    """A folder of cassettes. Cheap to construct; parsed entries are cached per process."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._usable: set[bool] = set()  # the `writes` values already checked

    def check_usable(self, writes: bool) -> "CassetteStore":
        """Fail with one line, before any paid request, if the folder cannot serve (or take) recordings.

        A store that will be written is created if missing, and left-over temporary files of an
        interrupted write are removed (under the write lock, so no live write is touched)."""
        if writes in self._usable:
            return self
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"cassette folder {self.root} is a file, not a folder; pass --cassettes DIR")
        if not writes:
            if not self.root.is_dir():
                raise UsageError(f"cassette folder {self.root} does not exist; pass --cassettes DIR")
            if not os.access(self.root, os.R_OK | os.X_OK):
                raise UsageError(f"cassette folder {self.root} is not readable (permission denied)")
            self._usable.add(writes)
            return self
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
                raise PermissionError(13, "permission denied")
            with self._locked():
                for stale in self.root.rglob(TEMP_GLOB):
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot record into the cassette folder {self.root} "
                             f"({exc.strerror or exc.__class__.__name__}); pass --cassettes DIR") from None
        self._usable.add(writes)
        return self

    # -- addressing -------------------------------------------------------------------
    def entry_path(self, namespace: str, key: str) -> Path:
        return self.root / check_namespace(namespace) / key[:2] / f"{key}.json"

    # -- reading ----------------------------------------------------------------------
    def load_entry(self, path: Path, check_request: bool = True) -> dict[str, Any]:
        """Parse and check one entry file; a damaged file raises CassetteCorrupt naming it.

        Every response is always checked against its sha256, so altered data is never
        returned; `check_request=False` skips re-hashing the stored request, which replay
        does not return (`verify` always checks it).
        """
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except PermissionError:
            raise UsageError(f"cassette entry {path} is not readable (permission denied)") from None
        except (OSError, ValueError) as exc:
            raise CassetteCorrupt(f"cassette entry {path} is unreadable ({exc.__class__.__name__}: {exc}); "
                                  "restore it from git or re-record it") from None
        problem = self._entry_problem(entry, path, check_request)
        if problem:
            raise CassetteCorrupt(f"cassette entry {path} is corrupt: {problem}; restore it from git or re-record it")
        return entry

    @staticmethod
    def _entry_problem(entry: Any, path: Path, check_request: bool = True) -> str:
        if not isinstance(entry, dict) or not {"key", "request", "responses"} <= entry.keys():
            return "missing fields"
        if check_request and request_key(entry["request"]) != entry["key"]:
            return "the stored request does not hash to its key"
        if path.stem != entry["key"]:
            return "the file name does not match its key"
        if not isinstance(entry["responses"], list):
            return "responses is not a list"
        for slot in entry["responses"]:
            if not isinstance(slot, dict) or not SLOT_FIELDS <= slot.keys():
                missing = SLOT_FIELDS - set(slot) if isinstance(slot, dict) else SLOT_FIELDS
                return f"a response lacks {', '.join(sorted(missing))}"
        numbers = [slot["slot"] for slot in entry["responses"]]
        if any(not isinstance(n, int) or n < 0 for n in numbers) or numbers != sorted(set(numbers)):
            return "slot numbers are missing, repeated or out of order"
        for slot in entry["responses"]:
            if slot.get("sha256") != slot_hash(slot):
                return f"slot {slot['slot']} does not match its sha256"
        return ""

    def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        cached = self._cache.get((namespace, key))
        if cached is not None:
            return cached
        path = self.entry_path(namespace, key)
        if not path.is_file():
            return None
        entry = self.load_entry(path, check_request=False)
        self._cache[(namespace, key)] = entry
        return entry

    def get_slot(self, namespace: str, key: str, slot: int) -> dict[str, Any] | None:
        entry = self.get(namespace, key)
        return None if entry is None else _find_slot(entry, slot)

    # -- writing ----------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_NAME, "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def put(self, namespace: str, key: str, slot: int, request: dict[str, Any],
            response: Any, meta: dict[str, Any]) -> dict[str, Any]:
        """Store `response` as occurrence `slot` of `key`; return what is stored there.

        If another process filled that slot first, its response wins and is returned,
        so every process of a run sees one history.
        """
        path = self.entry_path(namespace, key)
        with self._locked():
            entry = self.load_entry(path) if path.exists() else {
                "format": FORMAT_VERSION, "namespace": namespace, "key": key, "request": request, "responses": []}
            existing = _find_slot(entry, slot)
            if existing is not None:
                self._cache[(namespace, key)] = entry
                return existing
            new = {"slot": slot, "response": response, "meta": meta}
            new["sha256"] = slot_hash(new)
            entry["responses"] = sorted([*entry["responses"], new], key=lambda s: s["slot"])
            atomic_write_text(path, render_entry(entry))
            self._cache[(namespace, key)] = entry
            return new

    # -- whole-store operations --------------------------------------------------------
    def iter_entries(self, namespace: str | None = None) -> Iterator[EntryRef]:
        """Every entry file, in a stable order."""
        base = self.root / check_namespace(namespace) if namespace else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*.json")):
            if not _KEY_RE.match(path.stem) or path.parent.name != path.stem[:2]:
                continue
            ns = path.parent.parent.relative_to(self.root).as_posix()
            yield EntryRef(ns, path.stem, path)

    def namespaces(self) -> list[str]:
        return sorted({ref.namespace for ref in self.iter_entries()})

    def verify(self) -> list[str]:
        """One line per damaged entry; empty when every entry checks out."""
        problems = []
        for ref in self.iter_entries():
            try:
                self.load_entry(ref.path)
            except CassetteCorrupt as exc:
                problems.append(str(exc))
        return problems

    def leftovers(self) -> list[Path]:
        """Temporary files of writes that were killed: never read, removed by the next recording."""
        return sorted(self.root.rglob(TEMP_GLOB)) if self.root.is_dir() else []

    def remove(self, ref: EntryRef) -> None:
        with self._locked():
            ref.path.unlink(missing_ok=True)
            self._cache.pop((ref.namespace, ref.key), None)
            for parent in (ref.path.parent, *ref.path.parent.parents):
                if parent == self.root or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
