"""The parent's side of a worker baseline: start the worker in its environment, tell it the initial points,
then ask, evaluate and tell for each trial. The objective runs here (recorded, as every evaluation);
the worker only proposes. The worker is stopped when the run ends, fails or is interrupted, and ends
by itself when this process dies (its input closes).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from llambo_replay.errors import LlamboReplayError
from llambo_replay.experiments.runs.baselines.losses import Objective, finite_losses
from llambo_replay.llambo.space import SearchSpace

SERVE = Path(__file__).with_name("workers") / "serve.py"
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


SIBLING_IMPORT = re.compile(r"^from \.(\w+) import", re.MULTILINE)


def worker_source_hash(module: str) -> str:
    """The worker's optimiser, the workers it builds on and the protocol it speaks, hashed: part of its
    proposals' key."""
    names, sources = ["protocol", module], []
    while names:
        name = names.pop()
        text = SERVE.with_name(f"{name}.py").read_text()
        sources.append(text.encode())
        names += SIBLING_IMPORT.findall(text)
    return hashlib.sha256(b"\0".join(sources)).hexdigest()[:16]


class WorkerError(LlamboReplayError):
    """A worker baseline failed or broke the protocol; what it said is in the message. Exit 8, as when the
    LLM's answers leave nothing to go on: the optimiser failed where the official code fails too."""

    exit_code = 8


def worker_space(space: SearchSpace) -> list[dict[str, Any]]:
    """The search space as the official baselines' ConfigSpace saw it: log-scaled for 'log' and 'logit'."""
    return [
        {"name": p.name, "type": p.type, "low": p.low, "high": p.high, "log": p.transform in ("log", "logit")}
        for p in space.params
    ]


FLOAT32_SLACK = 1e-6  # relative: the official GP keeps its bounds in float32, so a proposal can pass one by that


def within(space: SearchSpace, config: Mapping[str, float]) -> bool:
    """Inside the bounds up to float32 rounding: proposals are evaluated as proposed, as the official code did."""
    return set(config) == set(space.names) and all(
        p.low - FLOAT32_SLACK * abs(p.low) <= config[p.name] <= p.high + FLOAT32_SLACK * abs(p.high)
        for p in space.params
    )


@dataclass
class Worker:
    """One worker process; use as a context manager so that it never outlives its run."""

    python: Path
    module: str
    process: subprocess.Popen[str] | None = None
    stderr: Any = field(default=None, repr=False)

    def __enter__(self) -> Worker:
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [str(self.python), "-I", str(SERVE), self.module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **ONE_THREAD},
        )
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.process is not None:
            self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()

    def request(self, message: Mapping[str, Any]) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # it died: its stderr says why, below
        line = self.process.stdout.readline()
        answer = json.loads(line) if line.strip() else {"error": self._last_words()}
        if "error" in answer:
            raise WorkerError(f"baseline worker {self.module!r} failed: {answer['error']}")
        return answer

    def _last_words(self) -> str:
        self.stderr.seek(0)
        lines = [line.strip() for line in self.stderr.read().splitlines() if line.strip()]
        return lines[-1] if lines else "it exited without an answer"


@dataclass(frozen=True)
class WorkerRun:
    configs: list[dict[str, float]]  # initial points, then the proposals
    results: list[Mapping[str, float]]
    seconds: list[float]  # each proposal's wall time in the worker
    versions: dict[str, str]


def run_worker(
    python: Path,
    module: str,
    space: SearchSpace,
    objective: Objective,
    initial: list[dict[str, float]],
    n_trials: int,
    seed: int,
    lower_is_better: bool,
    options: Mapping[str, Any] | None = None,
) -> WorkerRun:
    """Evaluate the initial points, tell them, then `n_trials` times ask, evaluate and tell."""
    configs = [space.typed(c) for c in initial]
    results = [objective(c) for c in configs]
    sign = 1.0 if lower_is_better else -1.0  # the official objective's loss: the score, negated if higher is better
    seconds: list[float] = []
    with Worker(python, module) as worker:
        started = worker.request(
            {
                "op": "start",
                "space": worker_space(space),
                "seed": seed,
                "options": {"n_trials": n_trials, **(options or {})},
            }
        )
        told = 0
        for _ in range(n_trials + 1):
            losses = finite_losses([sign * r["score"] for r in results])
            for config, loss in zip(configs[told:], losses[told:]):
                worker.request({"op": "tell", "config": config, "loss": loss})
            told = len(configs)
            if len(configs) == len(initial) + n_trials:
                break
            answer = worker.request({"op": "ask"})
            config = space.typed(answer["config"])
            if not within(space, config):
                raise WorkerError(f"baseline worker {module!r} proposed {config}, outside the search space")
            seconds.append(float(answer["seconds"]))
            configs.append(config)
            results.append(objective(config))
    return WorkerRun(configs, results, seconds, started["versions"])
