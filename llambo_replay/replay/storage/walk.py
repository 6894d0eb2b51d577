"""The one way this package walks a folder tree: following symlinked folders (a recording writes
through them, so whatever reads the store must see what it wrote), each real folder once (a link
cycle ends), and never the whole file system by mistake."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG

from llambo_replay.errors import UsageError


def refuse_whole_file_system(root: Path) -> None:
    resolved = Path(root).resolve()
    if resolved == Path(resolved.anchor):
        raise UsageError(f"refusing to search the whole file system ({root}); name the folder meant")


def files_under(root: Path, pattern: str = "*", max_folders: int | None = None) -> Iterator[Path]:
    """Regular files under `root` whose names match the glob `pattern`, in sorted order folder by folder.
    With `max_folders`, the walk stops quietly after that many folders (for a bounded probe).

    Anything else is passed over with a one-line warning: a FIFO or a device named like a data file (reading
    one hangs or never ends), and a symlinked folder that leads to the root or above it (to `/`, say)."""
    refuse_whole_file_system(root)
    top = Path(root).resolve()
    seen: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        stat = os.stat(folder)
        if (stat.st_dev, stat.st_ino) in seen or (max_folders is not None and len(seen) >= max_folders):
            subfolders[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        subfolders[:] = sorted(name for name in subfolders if not _leads_above(Path(folder) / name, top))
        for name in sorted(fnmatch.filter(names, pattern)):
            path = Path(folder) / name
            try:
                regular = S_ISREG(os.stat(path).st_mode)
            except OSError:  # a dangling link: what reads it says what is wrong
                regular = True
            if regular:
                yield path
            else:
                _warn(f"{path} is not a regular file (a FIFO, a device or a socket?); passed over")


def _leads_above(folder: Path, top: Path) -> bool:
    """A symlinked folder whose target contains the walk's root: following it would walk that again, or more."""
    if not folder.is_symlink():
        return False
    target = folder.resolve()
    if target == top or target in top.parents:
        _warn(f"{folder} links to {target}, which holds the folder being read; not followed")
        return True
    return False


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
