"""The one way this package walks a folder tree: following symlinked folders (a recording writes
through them, so whatever reads the store must see what it wrote), each real folder once (a link
cycle ends), and never the whole file system by mistake."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

from llambo_replay.errors import UsageError


def refuse_whole_file_system(root: Path) -> None:
    resolved = Path(root).resolve()
    if resolved == Path(resolved.anchor):
        raise UsageError(f"refusing to search the whole file system ({root}); name the folder meant")


def files_under(root: Path, pattern: str = "*", max_folders: int | None = None) -> Iterator[Path]:
    """Files under `root` whose names match the glob `pattern`, in sorted order folder by folder.
    With `max_folders`, the walk stops quietly after that many folders (for a bounded probe)."""
    refuse_whole_file_system(root)
    seen: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        stat = os.stat(folder)
        if (stat.st_dev, stat.st_ino) in seen or (max_folders is not None and len(seen) >= max_folders):
            subfolders[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        subfolders.sort()
        for name in sorted(fnmatch.filter(names, pattern)):
            yield Path(folder) / name
