"""Reading a test's cassette folder back, whatever the store's layout on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llambo_replay.replay.storage.store import CassetteStore


def only_entry(root: Path) -> dict[str, Any]:
    """The one entry a test recorded (the first, if it recorded several)."""
    store = CassetteStore(root)
    return store.read(next(store.iter_entries()))


def entry_keys(root: Path) -> list[tuple[str, str]]:
    return [(ref.namespace, ref.key) for ref in CassetteStore(root).iter_entries()]
