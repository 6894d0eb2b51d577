"""Convert a one-file-per-key store (format 1) into packs (format 2) in place, losslessly; copy
entries between stores of either format.

Every entry is read and checked against its hashes first; the packs are written beside the old
files; then every entry is read back from the packs and rendered in the old layout, and the old
files are deleted only if each rendering is byte-identical to its file. A migration that is
interrupted leaves a marker that says so, and running it again starts it over.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llambo_replay.errors import CassetteCorrupt, UsageError, missing_folder
from llambo_replay.replay.canonical import request_key
from llambo_replay.replay.storage.layout import (
    FORMAT_VERSION,
    MARKER_NAME,
    legacy_entry_files,
    marker_state,
    write_marker,
)
from llambo_replay.replay.storage.shared import SHARED_NAME
from llambo_replay.replay.storage.store import SLOT_FIELDS, CassetteStore, atomic_write_text, slot_hash

LEGACY_FORMAT = 1
LEGACY_LOCK = ".write.lock"
BATCH = 2000  # entries appended per round: bounds memory on large stores


@dataclass(frozen=True)
class Migration:
    entries: int
    responses: int
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int


def render_legacy_entry(entry: dict[str, Any]) -> str:
    """An entry exactly as the format-1 store wrote it."""
    return json.dumps({"format": LEGACY_FORMAT, **entry}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_legacy_entry(path: Path) -> dict[str, Any]:
    """One format-1 entry file, checked as format 1 checked it (request hash, name, slot order, sha256)."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CassetteCorrupt(
            f"cassette entry {path} is unreadable ({exc.__class__.__name__}); restore it from git before migrating"
        ) from None
    problem = ""
    if not isinstance(entry, dict) or not {"key", "namespace", "request", "responses"} <= entry.keys():
        problem = "missing fields"
    elif request_key(entry["request"]) != entry["key"] or path.stem != entry["key"]:
        problem = "its request, key and file name disagree"
    elif not isinstance(entry["responses"], list) or not all(
        isinstance(s, dict) and SLOT_FIELDS <= s.keys() and s["sha256"] == slot_hash(s) for s in entry["responses"]
    ):
        problem = "a response does not match its sha256"
    elif [s["slot"] for s in entry["responses"]] != sorted({s["slot"] for s in entry["responses"]}):
        problem = "slot numbers are repeated or out of order"
    if problem:
        raise CassetteCorrupt(f"cassette entry {path} is corrupt ({problem}); restore it from git before migrating")
    return {name: entry[name] for name in ("namespace", "key", "request", "responses")}


def _batches(paths: list[Path], progress: Callable[[int], None]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(paths), BATCH):
        chunk = paths[start : start + BATCH]
        yield [load_legacy_entry(path) for path in chunk]
        progress(len(chunk))


def _size(paths: Iterable[Path]) -> int:
    return sum(path.stat().st_size for path in paths)


def migrate(root: Path, progress: Callable[[int], None] = lambda n: None) -> Migration:
    """Convert the store at `root`; returns what it converted. Raises if nothing is there to convert."""
    if not root.is_dir():
        raise missing_folder("cassette folder", root, "--cassettes DIR")
    legacy = sorted(legacy_entry_files(root))
    if not legacy:
        raise UsageError(f"cassette folder {root} holds no one-file-per-key entries; nothing to migrate")
    store = CassetteStore(root)
    state = marker_state(root)
    if state is not None:
        if "migrating_from" not in state:
            raise UsageError(
                f"cassette folder {root} is already in store format {state.get('format')} and also "
                "holds one-file-per-key entries; move those into a folder of their own and migrate it"
            )
        for path in [*store.pack_paths(), root / SHARED_NAME]:  # an interrupted migration: start over
            path.unlink(missing_ok=True)
    write_marker(root, {"format": FORMAT_VERSION, "migrating_from": LEGACY_FORMAT})
    store._format_checked = True  # the folder is mid-conversion on purpose
    for batch in _batches(legacy, progress):
        store.add_entries(batch)

    readback = CassetteStore(root)
    readback._format_checked = True
    responses = 0
    for path in legacy:
        namespace = path.parent.parent.relative_to(root).as_posix()
        entry = readback.get(namespace, path.stem)
        if entry is None or render_legacy_entry(entry) != path.read_text(encoding="utf-8"):
            raise CassetteCorrupt(
                f"migrating {path} would change it; nothing was deleted (the packs beside it are "
                "a half-done migration that the next `cassettes migrate` starts over)"
            )
        responses += len(entry["responses"])
    bytes_before = _size(legacy)
    write_marker(root)
    for path in legacy:
        path.unlink()
        if not any(path.parent.iterdir()):
            path.parent.rmdir()
    (root / LEGACY_LOCK).unlink(missing_ok=True)
    after = [*store.pack_paths(), *(p for p in (root / SHARED_NAME, root / MARKER_NAME) if p.is_file())]
    return Migration(
        entries=len(legacy),
        responses=responses,
        files_before=len(legacy),
        files_after=len(after),
        bytes_before=bytes_before,
        bytes_after=_size(after),
    )


def export_legacy(store: CassetteStore, dest: Path) -> int:
    """Write every entry of a pack store in the one-file-per-key layout (for round trips and old tools)."""
    count = 0
    for ref in store.iter_entries():
        path = dest / ref.namespace / ref.key[:2] / f"{ref.key}.json"
        atomic_write_text(path, render_legacy_entry(store.read(ref)))
        count += 1
    os.makedirs(dest, exist_ok=True)
    return count


def source_entries(root: Path) -> Iterable[dict[str, Any]]:
    """Every entry of a store of either format, checked."""
    legacy = sorted(legacy_entry_files(root)) if not (root / MARKER_NAME).is_file() else []
    if legacy:
        yield from (load_legacy_entry(path) for path in legacy)
        return
    store = CassetteStore(root).check_usable(writes=False)
    yield from (store.read(ref) for ref in store.iter_entries())


@dataclass(frozen=True)
class Copy:
    entries: int
    added: int  # responses newly stored
    conflicts: list[str]  # slots the destination already holds with another response


def copy_entries(source: Path, dest: CassetteStore, progress: Callable[[int], None] = lambda n: None) -> Copy:
    """Add every response of `source` that `dest` lacks; a slot `dest` holds is kept, and named if it differs."""
    if not source.is_dir():
        raise missing_folder("cassette folder", source, "--from DIR")
    if source.resolve() == dest.root.resolve():
        raise UsageError(f"{source} is the destination folder itself")
    count = added = 0
    conflicts: list[str] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal added
        before = {}
        for entry in batch:
            existing = dest.get(entry["namespace"], entry["key"])
            before[(entry["namespace"], entry["key"])] = len(existing["responses"]) if existing else 0
        for wanted, stored in zip(batch, dest.add_entries(batch)):
            kept = {slot["slot"]: slot["sha256"] for slot in stored["responses"]}
            conflicts.extend(
                f"{wanted['namespace']} {wanted['key']} slot {slot['slot']}"
                for slot in wanted["responses"]
                if kept[slot["slot"]] != slot["sha256"]
            )
            added += len(stored["responses"]) - before.pop(
                (wanted["namespace"], wanted["key"]), len(stored["responses"])
            )
        progress(len(batch))
        batch.clear()

    for entry in source_entries(source):
        batch.append(entry)
        count += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    return Copy(entries=count, added=added, conflicts=conflicts)
