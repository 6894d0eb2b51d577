"""How long `llambo-replay [COMMAND] --help` takes, per command (the median of a few cold-ish starts).

    python scripts/bench_startup.py [--repeat 5]

Each command builds only its own parser (the others are listed by name), so `--help` and every start
pay only for what that command needs; docs/speed.md keeps the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = ["", "run", "grid", "check", "cassettes", "tables", "components", "warmstart", "fidelity", "serve-local"]


def seconds(command: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "llambo_replay.cli", *command.split(), "--help"], capture_output=True, check=True
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| command | `--help`, median of", args.repeat, "|\n|---|---|")
    for command in COMMANDS:
        print(f"| `llambo-replay {command + ' ' if command else ''}--help` | {seconds(command, args.repeat):.2f} s |")


if __name__ == "__main__":
    main()
