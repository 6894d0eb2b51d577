"""The ask/tell loop a worker speaks over stdin/stdout, one JSON object per line (standard library only).

In:  {"op": "start", "space": [{"name", "type": "float"|"int", "low", "high", "log"}], "seed": int,
      "options": {...}}                  -> {"ok": true, "versions": {distribution: version}}
     {"op": "tell", "config": {...}, "loss": float}                 -> {"ok": true}
     {"op": "ask"}                      -> {"config": {...}, "seconds": wall time of the proposal}
A failure answers {"error": "<one line>"} and the worker exits. End of input (the parent closed the pipe
or died) ends the worker: it never outlives the run that started it. Losses are minimised.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol


class Optimiser(Protocol):
    def tell(self, config: dict[str, Any], loss: float) -> None: ...

    def ask(self) -> dict[str, Any]: ...


Factory = Callable[[list[dict[str, Any]], int, dict[str, Any]], Optimiser]


def versions(distributions: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for name in distributions:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def serve(factory: Factory, distributions: tuple[str, ...], stdin=sys.stdin, stdout=sys.stdout) -> int:
    """Answer requests until end of input; the optimiser is made by `factory(space, seed, options)`."""
    optimiser: Optimiser | None = None

    def answer(message: dict[str, Any]) -> None:
        stdout.write(json.dumps(message) + "\n")
        stdout.flush()

    for line in stdin:
        try:
            request = json.loads(line)
            op = request["op"]
            if op == "start":
                optimiser = factory(request["space"], int(request["seed"]), request.get("options", {}))
                answer({"ok": True, "versions": versions(distributions)})
            elif optimiser is None:
                raise ValueError(f"{op!r} before 'start'")
            elif op == "tell":
                optimiser.tell(request["config"], float(request["loss"]))
                answer({"ok": True})
            elif op == "ask":
                started = time.perf_counter()
                config = optimiser.ask()
                answer({"config": config, "seconds": time.perf_counter() - started})
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as exc:  # the parent prints it as a one-line error; the traceback goes to stderr
            traceback.print_exc(file=sys.stderr)
            answer({"error": f"{type(exc).__name__}: {exc}".splitlines()[0]})
            return 1
    return 0
