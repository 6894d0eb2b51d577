"""The virtual environments the paper's baselines run in, one per lock file in `envs/`.

A lock (`envs/<name>.txt`) is `uv pip compile envs/<name>.in` with hashes, resolved as PyPI stood on the
day of the official repository's camera-ready commit (`EXCLUDE_NEWER`), so that the libraries a pin does
not name are the ones the paper's code could have met. An environment is made once by `uv` under
`$LLAMBO_REPLAY_ENVS` (default `~/.cache/llambo-replay/envs`) in a folder named by the lock's hash, so
editing a lock makes a new one; a marker written last says it is complete. Only recording needs one: a
replay reads the recorded proposals.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from llambo_replay.errors import UsageError

LOCKS = Path(__file__).with_name("envs")
EXCLUDE_NEWER = "2024-02-29T17:29:47Z"  # tennisonliu/LLAMBO aa3780b, "camera ready LLAMBO"
PYTHON = "3.11"  # the oldest CPython every pin has wheels for that this kind of machine has
COMPLETE = ".complete"


@dataclass(frozen=True)
class Environment:
    name: str

    @property
    def lock(self) -> Path:
        return LOCKS / f"{self.name}.txt"

    @cached_property
    def lock_hash(self) -> str:
        """Names the environment in a recording's key and manifest: another lock, another environment."""
        return hashlib.sha256(self.lock.read_bytes()).hexdigest()[:16]

    @property
    def path(self) -> Path:
        root = Path(os.environ.get("LLAMBO_REPLAY_ENVS") or Path.home() / ".cache" / "llambo-replay" / "envs")
        return root / f"{self.name}-{self.lock_hash}"

    @property
    def installed(self) -> bool:
        return (self.path / COMPLETE).is_file()

    @property
    def python(self) -> Path:
        if not self.installed:
            raise UsageError(
                f"the baseline environment {self.name!r} is not installed; "
                f"run `llambo-replay baselines install {self.name}` (replaying needs none)"
            )
        return self.path / "bin" / "python"

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "lock": self.lock_hash}


def environment(name: str) -> Environment:
    if not (LOCKS / f"{name}.txt").is_file():
        raise UsageError(f"unknown baseline environment {name!r}; choose one of: {', '.join(names())}")
    return Environment(name)


def names() -> list[str]:
    return sorted(p.stem for p in LOCKS.glob("*.txt"))


def uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise UsageError("making a baseline environment needs uv: pip install -e '.[environments]'") from None
        return found


FAILED_PACKAGE = re.compile(r"`([A-Za-z0-9_.\-]+(?:==[^`\s]+)?)`")


def install(env: Environment, echo: Callable[[str], None] = print) -> Path:
    """Make the environment (nothing to do when it is complete); uv's progress goes to stderr as it comes."""
    if env.installed:
        echo(f"{env.name}: installed at {env.path}")
        return env.path
    uv = uv_binary()
    shutil.rmtree(env.path, ignore_errors=True)  # an interrupted install is started again
    echo(f"{env.name}: making {env.path} from {env.lock.name}")
    quiet = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    _run([uv, "venv", "--quiet", "--python", PYTHON, str(env.path)], env.name, quiet)
    _run([uv, "pip", "install", "--python", str(env.path / "bin" / "python"), "-r", str(env.lock)], env.name, quiet)
    (env.path / COMPLETE).write_text(env.lock_hash + "\n")
    echo(f"{env.name}: installed at {env.path}")
    return env.path


def _run(command: list[str], name: str, variables: dict[str, str]) -> None:
    process = subprocess.Popen(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True, env=variables)
    lines = []
    for line in process.stderr:  # type: ignore[union-attr]
        sys.stderr.write(line)
        lines.append(line.strip())
    if process.wait() != 0:
        named = next((m.group(1) for line in lines for m in [FAILED_PACKAGE.search(line)] if m), None)
        reason = next((line for line in reversed(lines) if line), "no output")
        what = f"could not install {named}" if named else "failed"
        raise UsageError(f"baseline environment {name!r}: {what} ({reason})")
