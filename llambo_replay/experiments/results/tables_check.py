"""`check`'s binding of the committed tables: every output a tables manifest lists is on disk with its
sha256, and every input it was made from (a run history, an evaluation's table, a published history
shipped with the package) still is, so that an edited table, a deleted results folder or an edited
published history fails, named, instead of passing because nothing read it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from llambo_replay.bayesmark import reference


@dataclass(frozen=True)
class TablesChecked:
    manifest: Path
    problems: list[str]
    outputs: int
    inputs: int

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def detail(self) -> str:
        if self.ok:
            return f"{self.outputs} outputs and the {self.inputs} inputs they were made from, as committed"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return self.problems[0] + more


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def input_path(source: str, results_root: str | None, reference_root: Path) -> Path:
    """Where an input named in a tables manifest lives: `reference/...` in the paper's data, `results/...`
    under the results folder the tables were made from, anything else where its name says."""
    if source.startswith("reference/"):
        return reference_root / source.removeprefix("reference/")
    if results_root is not None and source.startswith("results/"):
        return Path(results_root) / source.removeprefix("results/")
    return Path(source)


def check_tables(manifest_path: Path, reference_root: str | None = None) -> TablesChecked:
    try:
        manifest = json.loads(manifest_path.read_text())
        outputs, inputs = dict(manifest["outputs"]), dict(manifest["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return TablesChecked(manifest_path, [f"{manifest_path} is not a readable tables manifest"], 0, 0)
    root = reference.check_reference(reference_root)
    problems = []
    for name, sha in sorted(outputs.items()):
        found = _sha256(manifest_path.parent / name)
        if found != sha:
            problems.append(f"{manifest_path.parent / name} is {'missing' if found is None else 'edited'}")
    for source, sha in sorted(inputs.items()):
        path = input_path(source, manifest.get("results_root"), root)
        found = _sha256(path)
        if found != sha:
            what = "missing" if found is None else "not what the tables were made from"
            problems.append(f"{path}, an input of {manifest_path}, is {what}")
    return TablesChecked(manifest_path, problems, len(outputs), len(inputs))


def tables_manifests(folder: Path) -> list[Path]:
    return sorted(folder.rglob("manifest.json")) if folder.is_dir() else []
