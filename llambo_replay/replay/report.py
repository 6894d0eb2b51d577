"""Whole-store reports: statistics, and pruning against run manifests."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from llambo_replay.errors import UsageError
from llambo_replay.replay.store import CassetteStore, EntryRef


@dataclass
class NamespaceStats:
    entries: int = 0
    responses: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    bytes: int = 0


def stats(store: CassetteStore) -> dict[str, NamespaceStats]:
    table: dict[str, NamespaceStats] = defaultdict(NamespaceStats)
    for ref in store.iter_entries():
        entry = store.load_entry(ref.path)
        row = table[ref.namespace]
        row.entries += 1
        row.bytes += ref.path.stat().st_size
        for slot in entry["responses"]:
            row.responses += 1
            usage = slot["meta"].get("usage") or {}
            row.prompt_tokens += usage.get("prompt_tokens") or 0
            row.completion_tokens += usage.get("completion_tokens") or 0
            row.cost_usd += slot["meta"].get("cost_usd") or 0.0
    return dict(sorted(table.items()))


def referenced_keys(manifest_dirs: list[Path]) -> set[tuple[str, str]]:
    """(namespace, key) pairs named by manifests (``*.manifest.json``) whose ``cassettes`` is either
    ``{"namespace": ns, "keys": {key: count}}`` or ``{ns: {key: count}, ...}``. A manifest without
    ``cassettes`` (a baseline run) references nothing."""
    keep: set[tuple[str, str]] = set()
    for folder in manifest_dirs:
        if not folder.is_dir():
            raise UsageError(f"manifest folder {folder} does not exist")
        for path in sorted(folder.rglob("*.manifest.json")):
            try:
                manifest = json.loads(path.read_text())
                cassettes = manifest.get("cassettes", {})
                by_namespace = ({cassettes["namespace"]: cassettes["keys"]} if "namespace" in cassettes
                                else cassettes)
                keep.update((namespace, key) for namespace, keys in by_namespace.items() for key in keys)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise UsageError(f"{path} is not a run manifest (no cassettes.namespace / cassettes.keys)") from None
    return keep


def unreferenced(store: CassetteStore, keep: set[tuple[str, str]]) -> list[EntryRef]:
    return [ref for ref in store.iter_entries() if (ref.namespace, ref.key) not in keep]
