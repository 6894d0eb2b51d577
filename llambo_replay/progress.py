"""The one progress bar of every command: tqdm on a terminal, plain lines elsewhere.

Long work (a grid of hours, a recording) mostly runs in the background with its output in a log,
where tqdm's bar would be either missing (tqdm disables itself off a terminal) or a single line
rewritten with carriage returns. Off a terminal the same bar is written as whole lines, at most one
every `LOG_EVERY_S` seconds and none for work shorter than that, so a short command's output (and
its one-line errors) stays as it was."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

from tqdm import tqdm

LOG_EVERY_S = 30.0
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit}s done, {elapsed} elapsed, {remaining} to go{postfix}"


class _Lines:
    """A stream that turns tqdm's redrawn status (carriage return, text, padding) into whole lines: at
    most one per `every` seconds, none in the first `every` seconds, and on close the last state if
    anything was shown before."""

    def __init__(self, stream: TextIO, every: float) -> None:
        self.stream, self.every = stream, every
        self._last_time, self._last_line, self._pending = time.monotonic(), "", ""

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if not line:  # tqdm ends a closed bar with a newline: the final state, if the bar was ever shown
            if self._pending and self._last_line:
                self._emit(self._pending)
            return
        if line == self._last_line:
            return
        if time.monotonic() - self._last_time >= self.every:
            self._emit(line)
        else:
            self._pending = line

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self._last_time, self._last_line, self._pending = time.monotonic(), line, ""

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(iterable: Iterable[Any] | None = None, *, enabled: bool = True, **options: Any) -> tqdm:
    """A tqdm bar on stderr (`options` are tqdm's: total, desc, unit, initial, ...); `enabled=False` shows
    nothing anywhere."""
    stream = sys.stderr
    if not enabled:
        return tqdm(iterable, disable=True, **options)
    if stream.isatty():
        return tqdm(iterable, file=stream, **options)
    return tqdm(iterable, file=_Lines(stream, LOG_EVERY_S), bar_format=LOG_FORMAT, **options)
