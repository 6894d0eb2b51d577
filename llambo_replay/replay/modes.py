"""Record modes, as a table of what each one may do."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

from llambo_replay.errors import UsageError

MODE_ENV_VAR = "LLAMBO_REPLAY_MODE"


class RecordMode(str, Enum):
    RECORD = "record"
    REPLAY = "replay"
    AUTO = "auto"
    LIVE = "live"


@dataclass(frozen=True)
class ModePolicy:
    reads_store: bool  # a recorded answer is returned when there is one
    writes_store: bool  # a live answer is stored
    calls_endpoint: bool  # a miss may go to the network
    probes_endpoint: bool  # check the endpoint answers before the run starts
    summary: str


POLICIES: dict[RecordMode, ModePolicy] = {
    RecordMode.RECORD: ModePolicy(
        True,
        True,
        True,
        True,
        "reuse what is recorded, call the endpoint for the rest and store it; "
        "checks the endpoint first (resumes an interrupted recording)",
    ),
    RecordMode.REPLAY: ModePolicy(
        True, False, False, False, "answer only from the cassettes; a miss is an error; never touches the network"
    ),
    RecordMode.AUTO: ModePolicy(True, True, True, False, "like record, but connects only if something is missing"),
    RecordMode.LIVE: ModePolicy(False, False, True, False, "call the endpoint every time and store nothing"),
}


def parse_mode(value: str | RecordMode | None) -> RecordMode:
    """Mode from a flag, else from $LLAMBO_REPLAY_MODE, else replay."""
    if isinstance(value, RecordMode):
        return value
    raw = value if value is not None else os.environ.get(MODE_ENV_VAR, RecordMode.REPLAY.value)
    try:
        return RecordMode(raw.strip().lower())
    except ValueError:
        valid = ", ".join(m.value for m in RecordMode)
        raise UsageError(f"unknown record mode {raw!r}; choose one of: {valid}") from None


def policy(mode: RecordMode) -> ModePolicy:
    return POLICIES[mode]
