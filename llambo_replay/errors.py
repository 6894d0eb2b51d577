"""Errors meant for users: one line each, saying what to do next.

The CLI turns any `LlamboReplayError` into its message and `exit_code`; every other
exception is a bug and keeps its traceback.
"""


class LlamboReplayError(Exception):
    """A user-facing failure. `details` are extra lines printed after the message."""

    exit_code = 2

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class UsageError(LlamboReplayError):
    """Bad input: an unknown name, a malformed file, an impossible setting."""

    exit_code = 2


class ReplayMiss(LlamboReplayError):
    """Replay mode met a request that was never recorded."""

    exit_code = 3


class CassetteCorrupt(LlamboReplayError):
    """A stored entry no longer matches its own hashes."""

    exit_code = 4


class EndpointError(LlamboReplayError):
    """The live endpoint failed after the retry budget, or refused the request."""

    exit_code = 5
