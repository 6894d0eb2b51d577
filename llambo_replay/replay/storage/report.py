"""Whole-store reports: statistics, and pruning against run manifests."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from llambo_replay.errors import UsageError, missing_folder
from llambo_replay.replay.pricing import cached_tokens
from llambo_replay.replay.storage.store import CassetteStore, EntryRef
from llambo_replay.replay.storage.walk import files_under


@dataclass
class NamespaceStats:
    entries: int = 0
    responses: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    bytes: int = 0


def stats(store: CassetteStore) -> dict[str, NamespaceStats]:
    table: dict[str, NamespaceStats] = defaultdict(NamespaceStats)
    for ref in store.iter_entries():
        entry = store.read(ref)
        row = table[ref.namespace]
        row.entries += 1
        row.bytes += ref.bytes
        for slot in entry["responses"]:
            row.responses += 1
            usage = slot["meta"].get("usage") or {}
            row.prompt_tokens += usage.get("prompt_tokens") or 0
            row.cached_prompt_tokens += cached_tokens(usage)
            row.completion_tokens += usage.get("completion_tokens") or 0
            row.cost_usd += slot["meta"].get("cost_usd") or 0.0
    return dict(sorted(table.items()))


def referenced_keys(manifest_dirs: list[Path]) -> set[tuple[str, str]]:
    """(namespace, key) pairs named by the manifests (``*.manifest.json``) under the folders, whose
    ``cassettes`` is ``{ns: {key: count}, ...}`` (or the older ``{"namespace": ns, "keys": {...}}``).

    Deleting is decided by what is *absent* from this set, so anything that could make it too small
    is refused: a folder without manifests, a manifest that cannot be read or has no ``cassettes``,
    and a set that names nothing at all."""
    keep: set[tuple[str, str]] = set()
    for folder in manifest_dirs:
        if not folder.is_dir():
            raise missing_folder("manifest folder", folder, "--manifests DIR")
        paths = sorted(files_under(folder, "*.manifest.json"))
        if not paths:
            raise UsageError(
                f"no *.manifest.json under {folder}; prune keeps what manifests name, so it refuses "
                "to go on without any"
            )
        for path in paths:
            try:
                cassettes = json.loads(path.read_text())["cassettes"]
                by_namespace = {cassettes["namespace"]: cassettes["keys"]} if "namespace" in cassettes else cassettes
                keep.update((namespace, key) for namespace, keys in by_namespace.items() for key in keys)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                raise UsageError(
                    f"{path} is not a manifest with a cassettes block; prune refuses to guess what "
                    "it uses (restore it, or leave its folder out of --manifests)"
                ) from None
    if not keep:
        raise UsageError("the manifests name no cassette entries at all; prune refuses to remove everything")
    return keep


def unreferenced(store: CassetteStore, keep: set[tuple[str, str]]) -> list[EntryRef]:
    return [ref for ref in store.iter_entries() if (ref.namespace, ref.key) not in keep]


def newest_manifest_time(manifest_dirs: list[Path]) -> str:
    """When the newest manifest under the folders was written, as the UTC timestamp entries carry."""
    newest = max(path.stat().st_mtime for folder in manifest_dirs for path in files_under(folder, "*.manifest.json"))
    return datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds")


def recorded_after(store: CassetteStore, refs: list[EntryRef], moment: str) -> list[EntryRef]:
    """The entries with a response recorded after `moment`: a recording that has not written its manifest yet
    (still running, or stopped by a budget) would lose them to a prune."""
    return [
        ref
        for ref in refs
        if any(
            str(slot["meta"].get("recorded_at") or "") > moment
            for slot in store.read(ref, check_request=False)["responses"]
        )
    ]
