"""Every committed result, table and shipped data file with its sha256 (`results/INDEX.sha256`, in
`sha256sum` format): what `check` binds beyond what it replays, so that a file under them edited, deleted
or added without the index saying so fails, named. `scripts/committed_index.py --write` remakes it after a
deliberate change; the diff of the index is then the review of that change.
"""

from __future__ import annotations

import fnmatch
import hashlib
from pathlib import Path

from llambo_replay.replay.storage.store import atomic_write_text
from llambo_replay.replay.storage.walk import files_under

INDEX = Path("results/INDEX.sha256")
ROOTS = (  # the committed folders (and files); the commands' own outputs (results/runs, results/grid, ...) are not
    "results/recorded",
    "results/components",
    "results/surrogate-eval",
    "results/sampler-eval",
    "results/fidelity-published",
    "results/fidelity-without-avx512",
    "tables",
    "llambo_replay/bayesmark/paper_data",
    "llambo_replay/experiments/runs/estimate_ratios.json",  # measured on the committed runs; --dry-run shows it
)
NOT_CONTENT = ("*.write.lock", ".write.lock", "*.pyc")  # lock files and caches, never committed


def current(repo: Path = Path(".")) -> dict[str, str]:
    """Relative path -> sha256 of every file under the committed folders, as they are now."""
    found = {}
    for root in ROOTS:
        folder = repo / root
        for path in files_under(folder) if folder.is_dir() else [folder] if folder.is_file() else []:
            if not any(fnmatch.fnmatch(path.name, pattern) for pattern in NOT_CONTENT):
                found[path.relative_to(repo).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def read(repo: Path = Path(".")) -> dict[str, str]:
    entries = {}
    for line in (repo / INDEX).read_text().splitlines():
        digest, _, name = line.partition("  ")
        entries[name] = digest
    return entries


def write(repo: Path = Path(".")) -> int:
    entries = current(repo)
    atomic_write_text(repo / INDEX, "".join(f"{digest}  {name}\n" for name, digest in sorted(entries.items())))
    return len(entries)


def differences(repo: Path = Path(".")) -> list[str]:
    """One line per file that is not as the index says: edited, missing, or there but not indexed."""
    if not (repo / INDEX).is_file():
        return [f"{INDEX} is missing: nothing binds the committed files"]
    indexed, found = read(repo), current(repo)
    return (
        [f"{name}: edited (its sha256 is not the indexed one)" for name in sorted(indexed.keys() & found.keys())
         if indexed[name] != found[name]]
        + [f"{name}: missing (indexed, not there)" for name in sorted(indexed.keys() - found.keys())]
        + [f"{name}: not in {INDEX} (added without remaking it?)" for name in sorted(found.keys() - indexed.keys())]
    )  # fmt: skip
