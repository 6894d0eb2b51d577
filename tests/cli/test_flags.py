"""Flags are spelled out: an abbreviation is an unknown flag, not a guess at the flag it starts."""

from __future__ import annotations

import pytest

from llambo_replay.cli import build_parser


def test_an_abbreviated_flag_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser("run").parse_args(["run", "--trial", "5"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("error: unrecognized arguments: --trial 5 (see 'llambo-replay")


def test_the_full_flag_is_taken():
    assert build_parser("run").parse_args(["run", "--trials", "5"]).trials == 5
