"""What a store folder is: the marker that names its format, the git attributes that let two recordings
merge, and the one-file-per-key layout of store format 1 (which is refused with the command that
converts it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llambo_replay.errors import CassetteCorrupt, UsageError
from llambo_replay.replay.storage import packs
from llambo_replay.replay.storage.walk import files_under

FORMAT_VERSION = 2
MARKER_NAME = "_store.json"
GITATTRIBUTES = "*.jsonl merge=union\n"  # two recordings of one pack merge by keeping both sides' lines
MIGRATE_HINT = "llambo-replay cassettes migrate --cassettes {root}"
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


LEGACY_PROBE_FOLDERS = 10_000  # a format-1 store shows an entry within its first few folders


def legacy_entry_files(root: Path, max_folders: int | None = None) -> Iterator[Path]:
    """Entries of the format-1 layout, ``<namespace>/<key[:2]>/<key>.json``."""
    for path in files_under(root, "*.json", max_folders):
        if _KEY_RE.match(path.stem) and path.parent.name == path.stem[:2]:
            yield path


def marker_state(root: Path) -> dict[str, Any] | None:
    """What `_store.json` says (None when the folder has none); a damaged one is a one-line error."""
    marker = root / MARKER_NAME
    if not marker.is_file():
        return None
    try:
        state = json.loads(marker.read_text(encoding="utf-8"))
        state["format"]
    except (OSError, ValueError, KeyError, TypeError):
        raise CassetteCorrupt(f"{marker} is not a readable store marker; restore it from git") from None
    return state


def write_marker(root: Path, state: dict[str, Any] | None = None) -> None:
    """Mark a folder as a store of this format (or `state`), with the git attributes that let two
    recordings of one pack merge."""
    root.mkdir(parents=True, exist_ok=True)
    state = state or {"format": FORMAT_VERSION, "layout": "docs/reliability.md"}
    packs.atomic_write(root / MARKER_NAME, (json.dumps(state, indent=1, sort_keys=True) + "\n").encode())
    if not (root / ".gitattributes").exists():
        packs.atomic_write(root / ".gitattributes", GITATTRIBUTES.encode())


def check_format(root: Path) -> None:
    """Refuse a folder of another format with the command that converts it."""
    state = marker_state(root)
    if state is not None:
        version = state["format"]
        if "migrating_from" in state:
            raise UsageError(
                f"the conversion of cassette folder {root} to store format {version} was "
                f"interrupted; run `{MIGRATE_HINT.format(root=root)}` again"
            )
        if version != FORMAT_VERSION:
            raise UsageError(
                f"cassette folder {root} is in store format {version}; this version of "
                f"llambo-replay reads format {FORMAT_VERSION}"
            )
    elif root.is_dir() and next(legacy_entry_files(root, LEGACY_PROBE_FOLDERS), None) is not None:
        raise UsageError(
            f"cassette folder {root} is in the one-file-per-key layout (store format 1); "
            f"convert it once with `{MIGRATE_HINT.format(root=root)}`"
        )
