"""The `llambo-replay` command. Thin: parse flags, call the library, print, map errors to exit codes.

One module per command (or command group), each with a `LISTING` (its commands' one-line help), its
`EXAMPLES` (the lines each `--help` ends with: lines of README.md or docs/, so the README test runs them)
and a `register(sub)` that adds its sub-parser and handler; this module only assembles them, in the order
`--help` lists them (building in full only the command being run), and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

from llambo_replay import __version__
from llambo_replay.cli import (
    cassettes,
    check,
    components,
    evaluations,
    fidelity,
    grid,
    run,
    serve,
    tables,
    warmstart,
)
from llambo_replay.cli.flags import Parser
from llambo_replay.errors import LlamboReplayError, describe_os_error, os_error_exit_code
from llambo_replay.experiments.results.presets import PRESETS

# What the `paper` extra brings (pyproject.toml), by import name: the core install is the replay layer only.
PAPER_STACK_MODULES = frozenset(
    {
        "numpy",
        "scipy",
        "sklearn",
        "pandas",
        "matplotlib",
        "diskcache",
        "vcr",
        "tqdm",
        "optuna",
        "skopt",
        "threadpoolctl",
    }
)
COMMANDS = (
    run,
    cassettes,
    grid,
    check,
    components,
    evaluations,
    fidelity,
    serve,
    warmstart,
    tables,
)  # --help's order


ALL = "*"  # build every command's parser (the docs' tests walk them all)


def build_parser(only: str | None = ALL) -> argparse.ArgumentParser:
    """The command line. With `only`, just that command's parser is built in full and the others are
    listed by name and one line, so `--help` and every command start without importing what the other
    commands need (scikit-learn, pandas, the openai client: seconds)."""
    parser = Parser(
        prog="llambo-replay",
        description=(
            "LLAMBO (LLM-enhanced Bayesian optimisation) with every LLM call recorded once and replayed "
            "offline, bit for bit. With no options, `run` replays the committed demo run."
        ),
    )
    parser.add_argument("--version", action="version", version=f"llambo-replay {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    for command in COMMANDS:
        if only == ALL or only in command.LISTING:
            command.register(sub)
        else:
            for name, text in command.LISTING.items():
                sub.add_parser(name, help=text)
    examples = {name: lines for command in COMMANDS for name, lines in command.EXAMPLES.items()}
    for name, command_parser in sub.choices.items():  # every command's --help ends with documented examples
        if not command_parser.epilog and examples.get(name):
            command_parser.epilog = "examples:\n" + "".join(f"  {line}\n" for line in examples[name])
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command word of a command line (its first word that is not an option), if it names one."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return word if any(word in command.LISTING for command in COMMANDS) else None


class Terminated(KeyboardInterrupt):
    """SIGTERM, stopped like Ctrl-C: what is recorded is kept, workers are stopped, the exit code says so."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return _main(argv)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in PAPER_STACK_MODULES:
            raise
        print(
            f"error: `llambo-replay {_command_in(argv) or ''}` needs the paper stack ({exc.name} is not "
            "installed): from a clone, pip install -e '.[paper]' (the replay layer alone needs only the core install)",
            file=sys.stderr,
        )
        return 2


RECORDING_MODES = ("record", "auto")  # the modes that store answers (`live` and `replay` store none)
ALWAYS_RECORDS = ("migrate",)  # commands with no --mode that record all the same


def _was_recording(args: argparse.Namespace) -> bool:
    """Whether an interrupted command may have recorded something, so that its message may say it is kept."""
    if args.command in ALWAYS_RECORDS:
        return True
    if not hasattr(args, "mode"):
        return False
    return (args.mode or os.environ.get("LLAMBO_REPLAY_MODE") or "replay") in RECORDING_MODES


def _main(argv: list[str]) -> int:
    parser = build_parser(_command_in(argv))
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser, so the hint names the command's --help
        where = " ".join(w for w in ("llambo-replay", args.command, getattr(args, "action", None)) if w)
        print(f"error: unrecognized arguments: {' '.join(unknown)} (see '{where} --help')", file=sys.stderr)
        return 2
    if args.command is None:
        parser.print_help()
        return 0
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args))
    except LlamboReplayError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.details:
            print(exc.details, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as stop:
        signal_name = "SIGTERM" if isinstance(stop, Terminated) else "Ctrl-C"
        kept = ": everything recorded so far is kept; rerun to resume" if _was_recording(args) else ""
        print(f"interrupted ({signal_name}){kept}", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BrokenProcessPool:
        print(
            "error: a worker process died (killed by the system, perhaps for memory); what was recorded is kept, "
            "rerun to resume",
            file=sys.stderr,
        )
        return 9
    except OSError as exc:
        code = os_error_exit_code(exc)
        if code is None:
            raise
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return code


__all__ = ["PRESETS", "build_parser", "main"]
