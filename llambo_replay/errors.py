"""Errors meant for users: one line each, saying what to do next.

The CLI turns any `LlamboReplayError` into its message and `exit_code`; every other
exception is a bug and keeps its traceback. `EXIT_CODES` is the one table of exit codes,
for every command (docs/commands.md shows it, and a test holds the two together).
"""

import errno

EXIT_CODES: dict[int, str] = {
    0: "success",
    2: "bad input: an unknown name, a bad flag, a missing or malformed file or folder",
    3: "replay miss: an LLM call or an evaluation that was never recorded",
    4: "corrupt cassette: a stored entry no longer matches its hashes",
    5: "endpoint failure: the live endpoint refused, failed or timed out",
    6: "check failed: a committed result did not reproduce, a secret was found, or drift with --fail-on-drift",
    7: "budget reached: --max-requests or --max-cost stopped a recording at a trial boundary; rerun to continue",
    8: "model failed: the LLM's answers gave nothing usable where the official code fails "
    "(--sampler-policy official, --warmstart-policy official), or a baseline's optimiser failed in its worker "
    "(HEBO on a constant loss, docs/baselines.md)",
    9: "system failure: a full disk, a file size limit, too many open files, a worker process killed "
    "(out of memory?); what was recorded is kept, rerun to resume",
    130: "interrupted (Ctrl-C); everything recorded so far is kept (a command that was recording says so)",
    143: "terminated (SIGTERM): like Ctrl-C, and `grid` stops its workers before it exits",
}


# What the operating system refused, by errno name: a path the user gave (2), or the machine (9).
OS_ERROR_EXIT_CODES: dict[str, int] = {
    "ENAMETOOLONG": 2,
    "EACCES": 2,
    "EPERM": 2,
    "EROFS": 2,
    "ENOENT": 2,
    "ENOTDIR": 2,
    "EISDIR": 2,
    "ELOOP": 2,
    "EEXIST": 2,
    "ENOSPC": 9,
    "EDQUOT": 9,
    "EFBIG": 9,
    "EIO": 9,
    "EMFILE": 9,
    "ENFILE": 9,
    "ENOMEM": 9,
}


def os_error_exit_code(exc: OSError) -> int | None:
    """The exit code for an operating-system refusal, or None for one that is a bug."""
    return OS_ERROR_EXIT_CODES.get(errno.errorcode.get(exc.errno or 0, ""))


def describe_os_error(exc: OSError) -> str:
    """One line: what the system said, about which file, and (for the machine's failures) that
    nothing recorded is lost."""
    name = str(exc.filename or "")
    where = f" ({name[:80]}...)" if len(name) > 200 else f" ({name})" if name else ""
    said = f"{exc.strerror or exc.__class__.__name__}{where}"
    return said if os_error_exit_code(exc) == 2 else f"{said}; what was recorded before this is kept, rerun to resume"


def missing_folder(what: str, path: object, flag: str) -> "UsageError":
    """A folder that is not there: a relative one most often because the command ran elsewhere."""
    where = (
        "; it is a relative path: run from the clone's root folder, or give "
        if not str(path).startswith("/")
        else "; give "
    )
    return UsageError(f"{what} {path} does not exist{where}{flag}")


class LlamboReplayError(Exception):
    """A user-facing failure. `details` are extra lines printed after the message."""

    exit_code = 2

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details

    @property
    def message(self) -> str:
        """The one line (`str()` of a replay miss adds its diff)."""
        return str(self.args[0]) if self.args else ""


class UsageError(LlamboReplayError):
    """Bad input: an unknown name, a malformed file, an impossible setting."""

    exit_code = 2


class ReplayMiss(LlamboReplayError):
    """Replay mode met a request that was never recorded. `str()` holds the nearest recorded request
    and the fields that differ, so that a failing test shows them, not only the first line."""

    exit_code = 3

    def __str__(self) -> str:
        return f"{self.message}\n{self.details}" if self.details else self.message


class CassetteCorrupt(LlamboReplayError):
    """A stored entry no longer matches its own hashes."""

    exit_code = 4


class EndpointError(LlamboReplayError):
    """The live endpoint failed after the retry budget, or refused the request."""

    exit_code = 5


class CheckFailed(LlamboReplayError):
    """A verification found what it looks for: a difference, a secret, drift."""

    exit_code = 6


class BudgetReached(LlamboReplayError):
    """A recording spent its --max-requests or --max-cost; what it recorded is kept."""

    exit_code = 7


class ModelFailed(LlamboReplayError):
    """The LLM's answers left nothing to go on, where the official code gives up too."""

    exit_code = 8
