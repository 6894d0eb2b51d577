"""The kinds of committed result, as a registry: a manifest's `kind` names its entry.

This is the one place that tells kinds apart: each entry names how its results are checked, replayed on
the command line and moved to the current objective protocol (`module:function` under
`llambo_replay.experiments`, imported when called), so a new kind of result is its own module plus one
line here. Manifests written before `kind` existed get it from `upgrade`, the one place that still reads
a kind off a manifest's shape.

Kept free of heavy imports: `check`'s listing and the command line read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from llambo_replay.errors import UsageError


@dataclass(frozen=True)
class ResultKind:
    name: str
    reproduction: str  # "replayed": byte for byte on any CPU; "recomputed": metrics within a tolerance elsewhere
    manifest_file: str | None  # its manifest's fixed file name, or None: `<seed>.manifest.json` beside its history
    check: str  # (path, manifest, cassettes, scratch, reference_root) -> check.Checked
    command: str  # (manifest) -> argv of the command line that replays it, or None
    migrate: str  # (path, manifest, cassettes, scratch, reference_root) -> one line saying what happened

    def function(self, role: str) -> Callable[..., Any]:
        """The function this kind names for `role` ("check", "command" or "migrate")."""
        module, name = getattr(self, role).split(":")
        return getattr(import_module(f"llambo_replay.experiments.{module}"), name)


_CHECK_RUN = "results.check:check_replayed_run"
_MOVE_RUN = "results.migration:move_run"

KINDS = {
    kind.name: kind
    for kind in (
        # a LLAMBO run (`run`, `grid --methods llambo`)
        ResultKind("llambo-run", "replayed", None, _CHECK_RUN, "results.replay_commands:run_command", _MOVE_RUN),
        # a baseline's run (`grid --methods <baseline>`)
        ResultKind("baseline-run", "replayed", None, _CHECK_RUN, "results.replay_commands:grid_command", _MOVE_RUN),
        # a run of the warm-starting evaluation (`warmstart`)
        ResultKind(
            "warmstart-run", "replayed", None, _CHECK_RUN, "results.replay_commands:warmstart_command", _MOVE_RUN
        ),
        ResultKind(
            "components",
            "recomputed",
            "components.manifest.json",
            "results.check:check_components",
            "results.replay_commands:components_command",
            "results.migration:move_components",
        ),
        ResultKind(
            "surrogate-eval",
            "recomputed",
            "surrogate_eval.manifest.json",
            "results.check:check_official_evaluation",
            "results.replay_commands:surrogate_eval_command",
            "results.migration:not_a_protocol_result",
        ),
        ResultKind(
            "sampler-eval",
            "recomputed",
            "sampler_eval.manifest.json",
            "results.check:check_official_evaluation",
            "results.replay_commands:sampler_eval_command",
            "results.migration:not_a_protocol_result",
        ),
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
