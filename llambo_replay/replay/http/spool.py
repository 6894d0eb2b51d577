"""An answer's body while it arrives and while it is judged and stored, in bounded memory.

Parsing, masking and storing an answer takes many times its size in memory (a 50 MB answer held
1.3 GB), so with several requests in flight memory grew with the concurrency. Here a body is kept in
memory up to `SPOOL_ABOVE_BYTES` and on disk beyond (the standard library's spooled file), and the
larger ones are worked on one at a time per process: memory stays near the cap of one answer,
whatever the concurrency. The wait for that turn comes after the body has fully arrived, so it never
counts against the attempt's time limit nor keeps an endpoint waiting."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager

from llambo_replay.replay.http.answers import BodyLimit

SPOOL_ABOVE_BYTES = 4 * 2**20  # a completion with n = 30 and logprobs is about 1 MB
_LARGE_ANSWERS = threading.Lock()  # one large answer at a time is read back, judged and stored


class SpooledBody:
    """The chunks of one answer under its `BodyLimit`, in memory or, past `spool_above` bytes, on disk."""

    def __init__(self, limit: BodyLimit, spool_above: int = SPOOL_ABOVE_BYTES) -> None:
        self._limit, self._spool_above = limit, spool_above
        self._file = tempfile.SpooledTemporaryFile(max_size=spool_above)
        self.size = 0

    def fill(self, chunks: Iterable[bytes]) -> None:
        try:
            for chunk in chunks:
                self._write(chunk)
        except BaseException:
            self._file.close()
            raise

    async def afill(self, chunks: AsyncIterable[bytes]) -> None:
        try:
            async for chunk in chunks:
                self._write(chunk)
        except BaseException:
            self._file.close()
            raise

    def _write(self, chunk: bytes) -> None:
        self._file.write(self._limit.take(chunk))
        self.size += len(chunk)

    @property
    def large(self) -> bool:
        return self.size > self._spool_above

    def _read(self) -> bytes:
        with self._file:
            self._file.seek(0)
            return self._file.read()

    @contextmanager
    def content(self) -> Iterator[bytes]:
        """The whole body, for as long as the caller works on it: a large one only in its turn."""
        if not self.large:
            yield self._read()
            return
        with _LARGE_ANSWERS:
            yield self._read()

    @asynccontextmanager
    async def acontent(self) -> AsyncIterator[bytes]:
        """`content` for a coroutine: its turn is awaited in a thread, so the event loop runs on."""
        if not self.large:
            yield self._read()
            return
        await asyncio.to_thread(_LARGE_ANSWERS.acquire)
        try:
            yield self._read()
        finally:
            _LARGE_ANSWERS.release()
