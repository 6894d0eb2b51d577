"""The kinds of committed result, as a registry: a manifest's `kind` names its entry.

This is the one place that tells kinds apart. `check`, `migrate --to-current-protocol` and the replay
commands each keep one table keyed by these names (a test holds every table to every kind), so a new
kind of result is its own module plus one line here and one in each table. Manifests written before
`kind` existed get it from `upgrade`, the one place that still reads a kind off a manifest's shape.

Kept free of heavy imports: `check`'s listing and the command line read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llambo_replay.errors import UsageError


@dataclass(frozen=True)
class ResultKind:
    name: str
    reproduction: str  # "replayed": byte for byte on any CPU; "recomputed": metrics within a tolerance elsewhere
    manifest_file: str | None  # its manifest's fixed file name, or None: `<seed>.manifest.json` beside its history
    what: str


KINDS = {
    kind.name: kind
    for kind in (
        ResultKind("llambo-run", "replayed", None, "a LLAMBO run (`run`, `grid --methods llambo`)"),
        ResultKind("baseline-run", "replayed", None, "a baseline's run (`grid --methods <baseline>`)"),
        ResultKind("warmstart-run", "replayed", None, "a run of the warm-starting evaluation (`warmstart`)"),
        ResultKind("components", "recomputed", "components.manifest.json", "the component evaluations (`components`)"),
        ResultKind("surrogate-eval", "recomputed", "surrogate_eval.manifest.json", "an official surrogate evaluation"),
        ResultKind("sampler-eval", "recomputed", "sampler_eval.manifest.json", "the official sampler evaluation"),
    )
}
RECOMPUTED_MANIFEST_FILES = tuple(k.manifest_file for k in KINDS.values() if k.manifest_file)


def run_kind(method: str, initial_points_source: Mapping[str, Any] | None = None) -> str:
    """The kind a run's manifest states: LLAMBO's, a baseline's, or a warm-starting evaluation's."""
    if method == "llambo":
        return "llambo-run"
    return "warmstart-run" if initial_points_source else "baseline-run"


def upgrade(manifest: dict[str, Any], path: Path) -> dict[str, Any]:
    """`manifest` with its `kind`: the stated one, or for a manifest written before kinds were stated,
    the one its file name and fields imply (the only place that reads a kind off a manifest's shape)."""
    if "kind" not in manifest:
        by_file = {k.manifest_file: k.name for k in KINDS.values() if k.manifest_file}
        if path.name in by_file:
            manifest = {**manifest, "kind": by_file[path.name]}
        elif "method" in manifest:
            manifest = {**manifest, "kind": run_kind(manifest["method"], manifest.get("initial_points_source"))}
    kind = kind_of(manifest, path)
    if kind.manifest_file is None and kind.name != run_kind(
        manifest.get("method", ""), manifest.get("initial_points_source")
    ):
        raise UsageError(
            f"{path} states kind {kind.name!r}, which its method {manifest.get('method')!r} and initial points "
            "contradict; restore it from git"
        )
    return manifest


def kind_of(manifest: Mapping[str, Any], path: Path | str = "the manifest") -> ResultKind:
    """The registry entry of an (upgraded) manifest; a one-line error for an unknown kind."""
    name = manifest.get("kind")
    if name not in KINDS:
        raise UsageError(
            f"{path} is no result this package knows (kind {name!r}; known: {', '.join(KINDS)}); restore it from git"
        )
    return KINDS[name]
