"""`cassettes verify`: every pack of a store re-read and every entry re-hashed, in parallel where the
store is large. Reads the store's packs as the store does (its index and entry parser), writes nothing."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from llambo_replay.errors import CassetteCorrupt
from llambo_replay.replay.http.schema import completion_problem, stored_kind, stream_problem
from llambo_replay.replay.storage import packs
from llambo_replay.replay.storage.layout import FORMAT_VERSION
from llambo_replay.replay.storage.shared import SHARED_NAME
from llambo_replay.replay.storage.store import CassetteStore, _StaleIndex
from llambo_replay.replay.storage.walk import files_under

PACKS_PER_VERIFY_JOB = 2000  # below this many packs per core, verifying in one process is quicker


def verify_store(store: CassetteStore, jobs: int | None = None) -> list[str]:
    """One line per damaged entry, damaged line or misplaced line; empty when everything checks out.

    Checking re-hashes every request and response; a large store is split across `jobs`
    processes (default: one per core)."""
    problems = []
    try:
        store._shared.values(reload=True)
    except CassetteCorrupt as exc:
        problems.append(str(exc))
    found = sorted(files_under(store.root, f"*{packs.PACK_SUFFIX}")) if store.root.is_dir() else []  # one walk
    paths = [p for p in found if packs.PACK_NAME_RE.match(p.name)]
    strays = [p for p in found if not packs.PACK_NAME_RE.match(p.name) and p != store.root / SHARED_NAME]
    problems += [
        f"{stray} is not a pack of store format {FORMAT_VERSION} (packs are named like "
        f"{packs.pack_name('0' * 64)}), so nothing reads it; move its lines into the pack "
        "`cassettes verify` would expect, or remove it"
        for stray in strays
    ]
    jobs = min(jobs or os.cpu_count() or 1, max(1, len(paths) // PACKS_PER_VERIFY_JOB))
    if jobs == 1:
        return problems + verify_packs(store, paths)
    chunks = [paths[i * len(paths) // jobs : (i + 1) * len(paths) // jobs] for i in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for found in pool.map(_verify_chunk, [store.root] * jobs, chunks):
            problems += found
    return problems


def verify_packs(store: CassetteStore, paths: Iterable[Path]) -> list[str]:
    """The problems of the given packs of `store` (what `verify_store` reports for them)."""
    problems = []
    for path in paths:
        try:
            data = path.read_bytes()  # one read of the pack serves its index and every entry's check
        except FileNotFoundError:
            continue
        index = packs.PackIndex()
        index.add(data, 0)
        namespace = path.parent.relative_to(store.root).as_posix()
        problems += [
            f"cassette pack {path} has a damaged line at byte {offset}; restore the pack from git"
            for offset in index.damaged
        ]
        torn = len(data) - index.size
        if torn:
            problems.append(
                f"cassette pack {path} ends in an incomplete line of {torn} bytes (an interrupted "
                "write, or damage): it is never read; the next recording into the pack removes "
                "it, or restore the pack from git"
            )
        for (ns, key), _ in sorted(index.lines.items()):
            if ns != namespace or packs.pack_name(key) != path.name:
                problems.append(
                    f"cassette pack {path} holds {ns} {key}, which belongs in "
                    f"{store.pack_path(ns, key)}; move the line there"
                )
                continue
            try:
                entry = store._entry(ns, key, path, index, check_request=True, data=data)
            except (CassetteCorrupt, _StaleIndex) as exc:
                problems.append(
                    str(exc)
                    if isinstance(exc, CassetteCorrupt)
                    else f"cassette pack {path}: a line of {ns} {key} is not where its head says"
                )
                continue
            where = entry["request"].get("path") if isinstance(entry["request"], dict) else None
            for slot in entry["responses"] if isinstance(where, str) else ():
                kind = stored_kind(slot.get("meta"))
                if kind == "error":
                    continue  # a client error replayed as such: not a completion
                malformed = (
                    stream_problem(slot["response"])
                    if kind == "event-stream"
                    else completion_problem(slot["response"], where)
                )
                if malformed:
                    problems.append(
                        f"cassette pack {path}: {ns} {key} slot {slot['slot']} is {malformed}, which "
                        "no replay can use; delete its line and re-record it"
                    )
    return problems


def _verify_chunk(root: Path, paths: list[Path]) -> list[str]:
    return verify_packs(CassetteStore(root), paths)


def used_answers_sha256(store: CassetteStore, used: dict[str, dict[str, int]]) -> str:
    """One sha256 over every stored answer a result used (each namespace's keys, occurrences 0..count-1,
    by the sha256 each answer is stored with), so that a manifest binds the answers, not only their keys:
    an answer edited with its own hash made right again no longer matches. A missing one counts as such."""
    digest = hashlib.sha256()
    for namespace in sorted(used):
        for key, count in sorted(used[namespace].items()):
            entry = store.get(namespace, key)
            stored = {r["slot"]: r["sha256"] for r in entry["responses"]} if entry else {}
            for slot in range(count):
                digest.update(f"{namespace}\0{key}\0{slot}\0{stored.get(slot, 'missing')}\n".encode())
    return digest.hexdigest()
