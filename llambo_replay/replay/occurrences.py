"""Occurrence slots fixed by the program, not by the order in which requests reach the transport.

The k-th identical request of a namespace is answered by the k-th recording of it. When several
identical requests are in flight at once (`asyncio.gather`), the order in which they reach the
transport is not the program's: the openai SDK awaits a thread on a client's first request, and
frameworks (LiteLLM, LangChain) await before the transport too, so on replay the callers could get
each other's answers. Two ways to fix the order, both carried by context variables (each asyncio
task and each thread sees its own), never part of a key or of what is sent:

- `scope(name)` (through `ReplayTransport.scope`): requests sent inside have their own slots, and the
  name is part of their key. For a user's concurrent work items: one scope per item.
- `Batch(size).member(i)`: the i-th of `size` identical requests sent together takes the i-th slot
  the batch reserves for its key, whenever it arrives. For a caller that sends one request several
  times at once (LLAMBO's engine, asking for more samples than an endpoint gives per request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_member: ContextVar[tuple[Batch, int] | None] = ContextVar("llambo_replay_batch_member", default=None)


class Batch:
    """`size` identical requests that are sent together and must keep their program order."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a batch holds at least one request, not {size}")
        self.size = size
        self._bases: dict[tuple[int, str], int] = {}  # (transport, key) -> the first slot reserved
        self._lock = threading.Lock()

    @contextmanager
    def member(self, index: int) -> Iterator[None]:
        """Requests sent inside are the batch's `index`-th (0-based)."""
        if not 0 <= index < self.size:
            raise ValueError(f"member {index} of a batch of {self.size}")
        token = _member.set((self, index))
        try:
            yield
        finally:
            _member.reset(token)

    def slot(self, owner: object, key: str, reserve: Callable[[str, int], int]) -> int:
        """The slot of the current member for `key`: the batch reserves `size` consecutive slots the first
        time any member sends it (`reserve(key, size)` gives the first), so the order of arrival does not matter."""
        member = _member.get()
        assert member is not None and member[0] is self
        with self._lock:
            base = self._bases.get((id(owner), key))
            if base is None:
                base = self._bases[(id(owner), key)] = reserve(key, self.size)
        return base + member[1]


def current_batch() -> Batch | None:
    """The batch the current task or thread sends for, if any."""
    member = _member.get()
    return None if member is None else member[0]
