"""Recordings in progress, as the store knows them: a run that records names its namespaces in a journal file
(`<store>/.incomplete/<owner's hash>.json`) before its first request and removes it when it has written what
references them (its manifest). A run stopped before that (a budget, Ctrl-C, a crash) leaves its journal, so
`cassettes prune` keeps the answers it paid for until it is resumed and completes, or is told to drop them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from llambo_replay.replay.storage.store import atomic_write_text

FOLDER = ".incomplete"


def _path(store_root: Path, owner: str) -> Path:
    return Path(store_root) / FOLDER / f"{hashlib.sha256(owner.encode()).hexdigest()[:16]}.json"


def begin(store_root: Path, owner: str, namespaces: Iterable[str]) -> Path:
    """Open the journal of a recording into `namespaces`; `end` it once what references them is written.
    Not a context manager on purpose: a recording that stops on any exception must leave its journal."""
    path = _path(store_root, owner)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    atomic_write_text(path, json.dumps({"owner": owner, "namespaces": sorted(set(namespaces)), "started": started}))
    return path


def end(journal: Path | None) -> None:
    if journal is not None:
        journal.unlink(missing_ok=True)


def incomplete(store_root: Path) -> dict[str, str]:
    """Namespace -> the owner of a recording that has not completed in it (one of them, if several)."""
    found: dict[str, str] = {}
    folder = Path(store_root) / FOLDER
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            journal = json.loads(path.read_text())
            owner, namespaces = str(journal["owner"]), [str(n) for n in journal["namespaces"]]
        except (OSError, ValueError, KeyError, TypeError):  # unreadable: protect nothing rather than stop a prune
            continue
        for namespace in namespaces:
            found.setdefault(namespace, owner)
    return found
