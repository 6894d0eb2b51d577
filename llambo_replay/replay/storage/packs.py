"""Pack files: append-only JSON Lines, one complete line per stored response.

A pack holds the responses of one namespace whose keys start alike (`pack_name`): 128 packs per
namespace, and a namespace per run keeps a run's lines together (a replay reads its own packs).
Every line is one JSON object that starts with a fixed head, ``{"key":"<sha256>","ns":"<namespace>",
"slot":<n>,``, so a pack is indexed by slicing line heads, without parsing the bodies. A line is
written with one ``write`` under the pack's own lock and fsynced; a writer killed mid-line leaves
a tail without its newline, which readers ignore and the next writer to the pack cuts off. Lines
are only ever appended (pruning rewrites a pack whole, atomically), which is what lets git merge
two recordings of one pack by taking both sides' lines (``merge=union``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

try:
    import fcntl
except ImportError:  # Windows: replay needs no lock; recording takes msvcrt's byte-range lock instead
    fcntl = None  # type: ignore[assignment]


PACK_SUFFIX = ".jsonl"
PACKS_PER_NAMESPACE = 128  # a namespace of a LLAMBO run (~1,500 answers) makes packs of ~50 kB
_PACK_MASK = 0x100 - 0x100 // PACKS_PER_NAMESPACE
PACK_NAME_RE = re.compile(r"^[0-9a-f]{2}\.jsonl$")


def pack_name(key: str) -> str:
    """The pack of a key: its first byte, rounded down to an even number (pack `fe` holds keys fe..–ff..)."""
    return f"{int(key[:2], 16) & _PACK_MASK:02x}{PACK_SUFFIX}"


_LAST_LINE_PROBE = 160  # bytes of a line's start compared to tell an append from a rewrite: its head and more
_HEAD_RE = re.compile(rb'\{"key":"([0-9a-f]{64})","ns":"([A-Za-z0-9._=+/-]+)","slot":(0|[1-9][0-9]*),')


def render_line(namespace: str, key: str, slot: int, body: dict[str, Any]) -> bytes:
    """One line: the fixed head, then the body's fields, sorted, compact."""
    rest = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f'{{"key":"{key}","ns":"{namespace}","slot":{slot},{rest[1:]}\n'.encode()


@dataclass
class PackIndex:
    """Where each (namespace, key)'s lines are in one pack, as of `size` bytes of complete lines."""

    inode: int = -1
    size: int = 0
    # (namespace, key) -> ((slot, offset, length), ...): tuples of numbers, which the garbage collector skips
    lines: dict[tuple[str, str], tuple[tuple[int, int, int], ...]] = field(default_factory=dict)
    damaged: list[int] = field(default_factory=list)  # offsets of lines whose head does not parse
    last: tuple[int, bytes] = (0, b"")  # where the last indexed line starts, and its first bytes

    def still_describes(self, fd: int) -> bool:
        """The pack under `fd` still starts its last indexed line where it did: not a rewrite that reused
        the inode (a pruned pack's number freed and taken again) since this index was made."""
        offset, start = self.last
        return os.pread(fd, len(start), offset) == start

    def note(self, where: tuple[str, str], slot: int, offset: int, length: int) -> None:
        self.lines[where] = (*self.lines.get(where, ()), (slot, offset, length))

    def add(self, data: bytes, base: int) -> None:
        """Index the complete lines of `data`, which starts at byte `base` of the pack."""
        pos = 0
        while (end := data.find(b"\n", pos)) >= 0:
            head = _HEAD_RE.match(data, pos)
            if head is None:
                self.damaged.append(base + pos)
            else:
                where = (head[2].decode("ascii"), head[1].decode("ascii"))
                self.note(where, int(head[3]), base + pos, end + 1 - pos)
                self.last = (base + pos, data[pos : min(end, pos + _LAST_LINE_PROBE)])
            pos = end + 1
        self.size = base + pos


def head_of(line: bytes) -> tuple[str, str, int] | None:
    """(namespace, key, slot) of a line, or None if it does not start with a line head."""
    head = _HEAD_RE.match(line)
    return None if head is None else (head[2].decode("ascii"), head[1].decode("ascii"), int(head[3]))


def read_index(handle: BinaryIO, known: PackIndex | None = None) -> PackIndex:
    """Bring an index up to date with an open pack: read only the new tail when the pack just grew."""
    stat = os.fstat(handle.fileno())
    if (
        known is not None
        and known.inode == stat.st_ino
        and known.size <= stat.st_size
        and known.still_describes(handle.fileno())
    ):
        if known.size < stat.st_size:
            known.add(os.pread(handle.fileno(), stat.st_size - known.size, known.size), known.size)
        return known
    index = PackIndex(inode=stat.st_ino)
    index.add(os.pread(handle.fileno(), stat.st_size, 0), 0)
    return index


def read_lines(path: Path, spans: tuple[tuple[int, int, int], ...]) -> list[bytes]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return [os.pread(fd, length, offset) for _, offset, length in spans]
    finally:
        os.close(fd)


def lock_exclusive(handle: BinaryIO) -> None:
    """Block until this process holds the pack's exclusive lock (released when the handle closes)."""
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return
    import msvcrt  # noqa: PLC0415  (Windows only)

    handle.seek(0)
    while True:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # gives up after 10 s; a rewrite may take longer
            return
        except OSError:
            continue


@contextmanager
def locked(path: Path) -> Iterator[BinaryIO]:
    """The pack open for appending, under its exclusive lock; the pack a rewrite replaced is never written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        created = not path.exists()
        handle = open(path, "a+b")
        if created:
            fsync_folder(path.parent)  # the new pack's name survives a power cut with its first line
        lock_exclusive(handle)
        try:
            if os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()
    try:
        yield handle
    finally:
        handle.close()  # closing releases the lock


def cut_torn_tail(handle: BinaryIO) -> int:
    """Drop the bytes after the last complete line (a write that was killed); call under the lock."""
    torn = torn_tail(handle)
    if torn:
        os.ftruncate(handle.fileno(), os.fstat(handle.fileno()).st_size - torn)
    return torn


def append(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def torn_tail(pack: BinaryIO, step: int = 4096) -> int:
    """How many bytes at the end of an open pack are not a complete line."""
    fd = pack.fileno()
    size = end = os.fstat(fd).st_size
    while end > 0:
        start = max(0, end - step)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            return size - (start + newline + 1)
        end = start
    return size


def without_lines(data: bytes, offsets: list[int]) -> bytes:
    """The pack's bytes without the lines starting at the given (sorted) offsets; damaged lines stay."""
    kept, pos = [], 0
    for offset in offsets:
        kept.append(data[pos:offset])
        pos = data.index(b"\n", offset) + 1
    kept.append(data[pos:])
    return b"".join(kept)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Files are created as `open` would create them (mkstemp's 0600 would make a shared clone unreadable).
FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, rename over it, then fsync the folder, so that
    after a power cut the file is either the old one or the new one, and is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rewrite(path: Path, data: bytes) -> None:
    """Replace a pack's content atomically; an empty pack is deleted."""
    if data:
        atomic_write(path, data)
    else:
        path.unlink(missing_ok=True)
