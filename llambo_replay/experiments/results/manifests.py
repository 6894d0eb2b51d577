"""Result manifests: the one writer (canonical JSON, naming the command that replays the result) and the one
reader (each field that steers a replay checked for its type, the kind stated or upgraded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llambo_replay.errors import UsageError
from llambo_replay.experiments.results import kinds
from llambo_replay.experiments.results.presets import DEFAULT_STORE
from llambo_replay.experiments.results.replay_commands import replay_command
from llambo_replay.replay.storage.store import atomic_write_text


def store_field(cassettes: Path) -> dict[str, str]:
    """The store a result was recorded into, as the manifest names it when it is not the default: its
    replay command must name it too, and `check --results` finds it there."""
    return {} if Path(cassettes).resolve() == DEFAULT_STORE.resolve() else {"cassette_store": str(cassettes)}


def manifest_text(manifest: dict[str, Any]) -> str:
    """A manifest as it is committed: sorted keys, one space of indent, a final newline."""
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"


def write_manifest(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write `manifest` (atomically) with the command line that replays its result; returns it so."""
    manifest["replay_command"] = replay_command(manifest)
    atomic_write_text(path, manifest_text(manifest))
    return manifest


# The type of each top-level manifest field that steers a replay (where the field is present).
MANIFEST_FIELD_TYPES: dict[str, type] = {
    "format": int,
    "kind": str,
    "seed": int,
    "method": str,
    "history_sha256": str,
    "task": dict,
    "settings": dict,
    "engine": dict,
    "budget": dict,
    "cassettes": dict,
    "cassette_store": str,
}


MAX_JSON_BYTES = 64 * 2**20  # far above any manifest or list of initial points; a FIFO or /dev/zero is refused


def read_json_file(path: Path, what: str = "") -> Any:
    """The JSON in a regular file of bounded size; anything else (a device, a FIFO, too deep a nesting,
    not JSON) is a one-line error naming the file (after `what` it was given as, if said)."""
    named = f"{what} {path}" if what else str(path)
    try:
        if not path.is_file():
            raise UsageError(f"{named} is not a regular file")
        if path.stat().st_size > MAX_JSON_BYTES:
            raise UsageError(f"{named} is larger than {MAX_JSON_BYTES // 2**20} MB")
        return json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise UsageError(f"{named} is not readable JSON ({exc.__class__.__name__})") from None


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest as a dict with its `kind` (`kinds.upgrade`), or a one-line error saying what is wrong."""
    try:
        manifest = read_json_file(path)
    except UsageError as exc:
        raise UsageError(f"{exc.message}; restore it from git") from None
    if not isinstance(manifest, dict):
        raise UsageError(f"{path} is not a manifest (not a JSON object); restore it from git")
    for name, kind in MANIFEST_FIELD_TYPES.items():
        value = manifest.get(name, kind())
        if isinstance(value, bool) or not isinstance(value, kind):
            raise UsageError(
                f"{path}: {name} is {json.dumps(value)[:40]}, not {'an integer' if kind is int else kind.__name__}; "
                "restore it from git"
            )
    manifest = kinds.upgrade(manifest, path)
    field = "history_sha256" if kinds.kind_of(manifest).reproduction == "replayed" else "outputs"
    if field not in manifest:
        raise UsageError(f"{path} is not a manifest of its kind (no {field}); restore it from git")
    return manifest
