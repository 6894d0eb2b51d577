"""Cassette storage: content-addressed responses in append-only JSON Lines packs (format 2).

Layout: ``<root>/<namespace>/<pack>.jsonl`` holds every response recorded for the namespace's
keys whose first byte rounds down to the pack's name (``packs.pack_name``: 128 packs per namespace),
one line per (key, slot); the first
line of a key in a pack also carries its canonical request. Data that repeats across entries
(the numerical environment of every recorded evaluation) is stored once, by its sha256, in
``<root>/_shared.jsonl``. ``<root>/_store.json`` names the format.

A lookup is one read: the path follows from the namespace and key, and a per-process index of
the pack (built by slicing line heads, refreshed by reading only what was appended) gives the
line's offset. Writers lock one pack, not the store, so concurrent recorders of different keys
never wait for each other; a slot already stored wins, so every process of a run sees one
history. Why this format rather than SQLite or one file per key: docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from llambo_replay.errors import CassetteCorrupt, UsageError, missing_folder
from llambo_replay.replay.canonical import content_hash, request_key
from llambo_replay.replay.storage import packs
from llambo_replay.replay.storage.layout import MARKER_NAME, check_format, write_marker
from llambo_replay.replay.storage.shared import SharedValues
from llambo_replay.replay.storage.walk import files_under

CACHED_ENTRIES = 2048
SLOT_FIELDS = frozenset({"slot", "response", "meta", "sha256"})
TEMP_GLOB = ".*.tmp"  # what an interrupted pack rewrite leaves behind
_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]*(/[A-Za-z0-9][A-Za-z0-9._=+-]*)*$")
_TEMP_OF_PACK_RE = re.compile(r"^\.([0-9a-f]+\.jsonl)\..*\.tmp$")


class _StaleIndex(Exception):
    """A line is not where this process's index of the pack says: the pack was rewritten meanwhile."""


@dataclass(frozen=True)
class EntryRef:
    namespace: str
    key: str
    path: Path  # the pack that holds it
    bytes: int = 0  # its lines' size in the pack


@lru_cache(maxsize=4096)
def check_namespace(namespace: str) -> str:
    if (
        not _NAMESPACE_RE.match(namespace)
        or ".." in namespace
        or any(part.endswith(packs.PACK_SUFFIX) for part in namespace.split("/"))
    ):
        raise UsageError(
            f"invalid cassette namespace {namespace!r}: use letters, digits, '._=+-' and '/' between "
            f"parts, no part ending in {packs.PACK_SUFFIX}"
        )
    return namespace


def slot_hash(slot: dict[str, Any]) -> str:
    """What a slot's sha256 covers: its number, the raw response and the (expanded) metadata."""
    return content_hash({"slot": slot["slot"], "response": slot["response"], "meta": slot["meta"]})


def _find_slot(entry: dict[str, Any], slot: int) -> dict[str, Any] | None:
    for stored in entry["responses"]:
        if stored["slot"] == slot:
            return stored
    return None


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    packs.atomic_write(path, text.encode("utf-8"))


# Pack indexes shared by every store of this process: the next store over the same folder (`check` makes
# one per result) brings an index up to date from the pack's inode, size and last line, instead of reading
# the whole pack again. Each store keeps the indexes it has brought up to date in its own `_indexes`.
_PROCESS_INDEXES: dict[Path, packs.PackIndex] = {}


class CassetteStore:
    """A folder of cassettes. Cheap to construct; pack indexes are shared within a process, parsed entries
    cached per store."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._cache: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()  # the most recent entries
        self._indexes: dict[Path, packs.PackIndex] = {}
        self._shared = SharedValues(self.root)
        self._usable: set[bool] = set()
        self._format_checked = False

    # -- the folder ---------------------------------------------------------------------
    def check_usable(self, writes: bool) -> CassetteStore:
        """Fail with one line, before any paid request, if the folder cannot serve (or take) recordings.

        A store that will be written is created if missing, and the temporary files of an
        interrupted pack rewrite are removed (each under its pack's lock, so no live rewrite is touched)."""
        if writes in self._usable:
            return self
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"cassette folder {self.root} is a file, not a folder; pass --cassettes DIR")
        if not writes:
            if not self.root.is_dir():
                raise missing_folder("cassette folder", self.root, "--cassettes DIR")
            if not os.access(self.root, os.R_OK | os.X_OK):
                raise UsageError(f"cassette folder {self.root} is not readable (permission denied)")
            self._check_format()
            self._usable.add(writes)
            return self
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
                raise PermissionError(13, "permission denied")
            self._check_format()
            for stale in self.leftovers():
                pack = stale.parent / _TEMP_OF_PACK_RE.match(stale.name)[1]
                if pack.is_file():
                    with packs.locked(pack):  # a rewrite in progress holds this lock
                        stale.unlink(missing_ok=True)
                else:
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(
                f"cannot record into the cassette folder {self.root} "
                f"({exc.strerror or exc.__class__.__name__}); pass --cassettes DIR"
            ) from None
        self._usable.add(writes)
        return self

    def _check_format(self) -> None:
        if not self._format_checked:
            check_format(self.root)
            self._format_checked = True

    def _mark(self) -> None:
        if not (self.root / MARKER_NAME).is_file():
            write_marker(self.root)

    # -- addressing -------------------------------------------------------------------
    def pack_path(self, namespace: str, key: str) -> Path:
        return self.root / check_namespace(namespace) / packs.pack_name(key)

    def _index(self, path: Path, refresh: bool = False) -> packs.PackIndex | None:
        known = self._indexes.get(path)
        if known is not None and not refresh:
            return known
        shared = path.absolute()
        try:
            with open(path, "rb") as handle:
                index = packs.read_index(handle, known or _PROCESS_INDEXES.get(shared))
        except FileNotFoundError:
            self._forget(path)
            return None
        self._indexes[path] = _PROCESS_INDEXES[shared] = index
        return index

    def _forget(self, path: Path) -> None:
        self._indexes.pop(path, None)
        _PROCESS_INDEXES.pop(path.absolute(), None)

    # -- reading ----------------------------------------------------------------------
    def _entry(
        self,
        namespace: str,
        key: str,
        path: Path,
        index: packs.PackIndex,
        check_request: bool,
        data: bytes | None = None,
    ) -> dict[str, Any] | None:
        """The entry's lines, checked; `data` is the whole pack when the caller has read it already."""
        spans = index.lines.get((namespace, key))
        if not spans:
            if index.damaged:
                raise CassetteCorrupt(
                    f"cassette pack {path} has a damaged line at byte {index.damaged[0]}, which "
                    f"may hold {namespace} {key}; restore the pack from git or re-record it"
                )
            return None
        request, slots = None, {}
        lines = packs.read_lines(path, spans) if data is None else [data[o : o + n] for _, o, n in spans]
        for (slot_number, offset, _), raw in zip(spans, lines):
            where = f"cassette pack {path} (line at byte {offset}, {namespace} {key} slot {slot_number})"
            if packs.head_of(raw) != (namespace, key, slot_number) or not raw.endswith(b"\n"):
                raise _StaleIndex(path)
            try:
                line = json.loads(raw)
            except ValueError as exc:
                raise CassetteCorrupt(
                    f"{where} is unreadable ({exc}); restore the pack from git or re-record it"
                ) from None
            if not SLOT_FIELDS - {"slot"} <= line.keys():
                raise CassetteCorrupt(
                    f"{where} is corrupt: it lacks "
                    f"{', '.join(sorted(SLOT_FIELDS - {'slot'} - line.keys()))}; restore the "
                    "pack from git or re-record it"
                )
            stored = {
                "slot": slot_number,
                "response": line["response"],
                "meta": self._shared.expand(line["meta"], where),
                "sha256": line["sha256"],
            }
            if stored["sha256"] != slot_hash(stored):
                raise CassetteCorrupt(
                    f"{where} is corrupt: it does not match its sha256; restore the pack from git or re-record it"
                )
            earlier = slots.setdefault(slot_number, stored)
            if earlier["sha256"] != stored["sha256"]:
                raise CassetteCorrupt(
                    f"{where} is recorded twice with different responses (two recordings merged); "
                    "keep one of the two lines and delete the other"
                )
            if request is None and "request" in line:
                request = line["request"]
        if request is None:
            raise CassetteCorrupt(
                f"cassette pack {path} holds responses of {namespace} {key} but not its request; "
                "restore the pack from git or re-record it"
            )
        if check_request and request_key(request) != key:
            raise CassetteCorrupt(
                f"cassette pack {path}: the stored request of {namespace} {key} does not hash to "
                "its key; restore the pack from git or re-record it"
            )
        return {"namespace": namespace, "key": key, "request": request, "responses": [slots[n] for n in sorted(slots)]}

    def _load(self, namespace: str, key: str, path: Path, check_request: bool) -> dict[str, Any] | None:
        index = self._index(path)
        if index is not None and (namespace, key) not in index.lines:
            index = self._index(path, refresh=True)  # another process may have appended it since
        try:
            return None if index is None else self._entry(namespace, key, path, index, check_request)
        except _StaleIndex:
            self._forget(path)  # the pack was rewritten (a prune elsewhere): index it afresh, once
            index = self._index(path)
            return None if index is None else self._entry(namespace, key, path, index, check_request)

    def read(self, ref: EntryRef, check_request: bool = True) -> dict[str, Any]:
        """Every slot of one entry, checked (`verify` and reports use this; replay uses `get`)."""
        entry = self._load(ref.namespace, ref.key, ref.path, check_request)
        if entry is None:
            raise CassetteCorrupt(f"cassette pack {ref.path} no longer holds {ref.namespace} {ref.key}")
        return entry

    def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        cached = self._cache.get((namespace, key))
        if cached is not None:
            self._cache.move_to_end((namespace, key))
            return cached
        self._check_format()
        entry = self._load(namespace, key, self.pack_path(namespace, key), check_request=False)
        if entry is not None:
            self._remember({(namespace, key): entry})
        return entry

    def _remember(self, entries: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Keep parsed entries for repeated lookups, a bounded number: a store-sized cache would make every
        garbage collection walk the whole store."""
        self._cache.update(entries)
        while len(self._cache) > CACHED_ENTRIES:
            self._cache.popitem(last=False)

    def get_slot(self, namespace: str, key: str, slot: int) -> dict[str, Any] | None:
        entry = self.get(namespace, key)
        return None if entry is None else _find_slot(entry, slot)

    # -- writing ----------------------------------------------------------------------
    def put(
        self, namespace: str, key: str, slot: int, request: dict[str, Any], response: Any, meta: dict[str, Any]
    ) -> dict[str, Any]:
        """Store `response` as occurrence `slot` of `key`; return what is stored there.

        If another process filled that slot first, its response wins and is returned,
        so every process of a run sees one history.
        """
        new = {"slot": slot, "response": response, "meta": meta}
        new["sha256"] = slot_hash(new)
        stored = self.add_entries([{"namespace": namespace, "key": key, "request": request, "responses": [new]}])
        return _find_slot(stored[0], slot)  # type: ignore[return-value]

    def add_entries(self, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store every slot of whole entries (their sha256 already computed); slots already stored win.
        Returns what is stored for each entry, in the order given.

        Entries of one pack are appended with one write and one fsync, under that pack's lock."""
        self._check_format()
        self._mark()
        entries = list(entries)
        by_pack: dict[Path, list[dict[str, Any]]] = defaultdict(list)
        for entry in entries:
            by_pack[self.pack_path(entry["namespace"], entry["key"])].append(entry)
        stored: dict[tuple[str, str], dict[str, Any]] = {}
        for path, group in by_pack.items():
            with packs.locked(path) as handle:
                packs.cut_torn_tail(handle)
                index = packs.read_index(handle, self._indexes.get(path))
                lines, offset, has_request = [], index.size, set(index.lines)
                for entry in group:
                    where = (entry["namespace"], entry["key"])
                    if where not in stored:
                        on_disk = (
                            self._entry(*where, path, index, check_request=False) if where in index.lines else None
                        )
                        stored[where] = on_disk or {
                            "namespace": where[0],
                            "key": where[1],
                            "request": entry["request"],
                            "responses": [],
                        }
                    current = stored[where]
                    taken = {s["slot"] for s in current["responses"]}
                    for slot in sorted(entry["responses"], key=lambda s: s["slot"]):
                        if slot["slot"] in taken:
                            continue
                        body = {
                            "meta": self._shared.intern(slot["meta"]),
                            "response": slot["response"],
                            "sha256": slot["sha256"],
                        }
                        if where not in has_request:
                            body["request"] = entry["request"]
                            has_request.add(where)
                        line = packs.render_line(*where, slot["slot"], body)
                        index.note(where, slot["slot"], offset, len(line))
                        lines.append(line)
                        offset += len(line)
                        taken.add(slot["slot"])
                        current["responses"].append(
                            {name: slot[name] for name in ("slot", "response", "meta", "sha256")}
                        )
                    current["responses"].sort(key=lambda s: s["slot"])
                if lines:
                    packs.append(handle, b"".join(lines))
                index.size = offset
                self._indexes[path] = index
        self._remember(stored)
        return [stored[(entry["namespace"], entry["key"])] for entry in entries]

    # -- whole-store operations --------------------------------------------------------
    def pack_paths(self, namespace: str | None = None) -> list[Path]:
        base = self.root / check_namespace(namespace) if namespace else self.root
        if not base.is_dir():
            return []
        return sorted(p for p in files_under(base, f"*{packs.PACK_SUFFIX}") if packs.PACK_NAME_RE.match(p.name))

    def iter_entries(self, namespace: str | None = None) -> Iterator[EntryRef]:
        """Every entry, in a stable order (pack by pack, namespace then key)."""
        self._check_format()
        for path in self.pack_paths(namespace):
            index = self._index(path, refresh=True)
            if index is None:
                continue
            for (ns, key), spans in sorted(index.lines.items()):
                if namespace is None or ns == namespace or ns.startswith(namespace + "/"):
                    yield EntryRef(ns, key, path, sum(length for _, _, length in spans))

    def namespaces(self) -> list[str]:
        return sorted({ref.namespace for ref in self.iter_entries()})

    def leftovers(self) -> list[Path]:
        """Temporary files of pack rewrites that were killed: never read, removed by the next recording.
        Only a pack's are: other files' temporaries (an output folder inside the store) are not the store's."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in files_under(self.root, TEMP_GLOB) if _TEMP_OF_PACK_RE.match(p.name))

    def remove(self, ref: EntryRef) -> None:
        self.remove_many([ref])

    def remove_many(self, refs: Iterable[EntryRef]) -> None:
        """Rewrite each pack without the given entries' lines (atomically, under the pack's lock)."""
        by_pack: dict[Path, set[tuple[str, str]]] = defaultdict(set)
        for ref in refs:
            by_pack[ref.path].add((ref.namespace, ref.key))
        for path, drop in by_pack.items():
            with packs.locked(path) as handle:
                index = packs.read_index(handle)
                data = os.pread(handle.fileno(), index.size, 0)
                dropped = sorted(offset for where in drop for _, offset, _ in index.lines.get(where, []))
                packs.rewrite(path, packs.without_lines(data, dropped))
            self._forget(path)
            for where in drop:
                self._cache.pop(where, None)
            for parent in path.parents:
                if parent == self.root or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
