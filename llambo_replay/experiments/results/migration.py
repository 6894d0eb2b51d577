"""`migrate`: upgrade format-1 runs (recorded before evaluations were) to format 2 (`migrate_run`), and
move committed results recorded under an older objective protocol to the current one, where that
changes nothing they show (`to_current_protocol`).

A result is moved only if, with its configurations evaluated here under the current protocol (and
recorded), it replays to the very same history (for the component evaluations: the same output
files) from its recorded LLM answers and proposals, nothing being sent anywhere. Its manifest then
keeps everything but what names the protocol: `task.objective_protocol`, `evaluations` and the
evaluation namespace among its cassette keys. A result whose history would change keeps its protocol
and replays as it was recorded.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from llambo_replay import namespaces
from llambo_replay.bayesmark.evaluations import seed_from_history
from llambo_replay.bayesmark.objective_protocols import PROTOCOL_VERSION, manifest_protocol
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.errors import CheckFailed, LlamboReplayError, UsageError
from llambo_replay.experiments.results import kinds
from llambo_replay.experiments.results.check import reproduction_of, rerun
from llambo_replay.experiments.results.manifests import manifest_text, read_manifest
from llambo_replay.experiments.runs.baseline_run import recorded_proposals
from llambo_replay.experiments.runs.reproduction import RECORDED_PROPOSALS
from llambo_replay.experiments.runs.run_spec import sha256_text, spec_from_manifest
from llambo_replay.replay import CassetteStore, RecordMode
from llambo_replay.replay.http.transport import OFFLINE_URL
from llambo_replay.replay.storage.store import atomic_write_text


def _with_evaluations(manifest: dict[str, Any], produced: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The manifest's cassette keys with its evaluation namespaces replaced by those `produced` used."""
    kept = {ns: keys for ns, keys in manifest["cassettes"].items() if not ns.startswith(namespaces.EVALUATIONS_PREFIX)}
    return {
        **kept,
        **{ns: keys for ns, keys in produced["cassettes"].items() if ns.startswith(namespaces.EVALUATIONS_PREFIX)},
    }


def _write(path: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(path, manifest_text(manifest))


def to_current_protocol(path: Path, cassettes: Path, scratch: Path, reference_root: str | None) -> str:
    """One line saying what happened to the result whose manifest is `path`."""
    manifest = read_manifest(path)
    return kinds.kind_of(manifest).function("migrate")(path, manifest, cassettes, scratch, reference_root)


def not_a_protocol_result(path: Path, *_: Any) -> str:
    return f"not an objective-protocol result: {path}"  # the official evaluations' pool is its own objective


def move_run(path: Path, manifest: dict[str, Any], cassettes: Path, scratch: Path, reference_root: str | None) -> str:
    spec = spec_from_manifest(path, reference_root)
    if spec.objective_protocol == PROTOCOL_VERSION:
        return f"already {PROTOCOL_VERSION}: {path}"
    current = replace(spec, objective_protocol=PROTOCOL_VERSION)
    try:
        produced, _ = rerun(current, manifest, cassettes, scratch, RecordMode.AUTO)
    except LlamboReplayError as exc:
        return (
            f"kept {spec.objective_protocol} (under {PROTOCOL_VERSION} it asks what was never recorded: "
            f"{str(exc).splitlines()[0][:90]}…): {path}"
        )
    if produced["history_sha256"] != manifest["history_sha256"]:
        return f"kept {spec.objective_protocol} (its history would change under {PROTOCOL_VERSION}): {path}"
    moved = {
        **manifest,
        "task": {**manifest["task"], "objective_protocol": PROTOCOL_VERSION},
        "evaluations": produced["evaluations"],
        "cassettes": _with_evaluations(manifest, produced),
    }
    _write(path, moved)
    return f"moved to {PROTOCOL_VERSION} (history byte-identical): {path}"


def move_components(
    path: Path, manifest: dict[str, Any], cassettes: Path, scratch: Path, reference_root: str | None
) -> str:
    from llambo_replay.bayesmark import reference
    from llambo_replay.experiments.evaluations import component_run

    spec = component_run.spec_from_manifest(manifest)
    if spec.objective_protocol == PROTOCOL_VERSION:
        return f"already {PROTOCOL_VERSION}: {path}"
    current = replace(spec, objective_protocol=PROTOCOL_VERSION)
    try:
        produced = component_run.run_components(
            current,
            RecordMode.AUTO,
            scratch / "components",
            cassettes,
            OFFLINE_URL,
            reference.check_reference(reference_root),
            None,
        )
    except LlamboReplayError as exc:
        return f"kept {spec.objective_protocol} ({str(exc).splitlines()[0][:90]}…): {path}"
    if produced["outputs"] != manifest["outputs"]:
        return f"kept {spec.objective_protocol} (its outputs would change under {PROTOCOL_VERSION}): {path}"
    moved = {
        **manifest,
        "spec": produced["spec"],
        "cassettes": _with_evaluations(manifest, produced),
        "evaluations_computed_on": produced["evaluations_computed_on"],
    }
    _write(path, moved)
    return f"moved to {PROTOCOL_VERSION} (outputs byte-identical): {path}"


def _history_path(manifest_path: Path) -> Path:
    return manifest_path.with_name(manifest_path.name.removesuffix(".manifest.json") + ".csv")


def _read_history(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, float_precision="round_trip")


def migrate_run(path: Path, cassettes: Path, scratch: Path, reference_root: str | None) -> str:
    """Upgrade one format-1 run in place: its evaluations, taken from its own history, go into the
    cassettes; a replay must then give the same history; the manifest is rewritten as format 2."""
    manifest = read_manifest(path)
    if manifest.get("format", 1) >= 2:
        return f"already format {manifest['format']}: {path}"
    history_path = _history_path(path)
    text = history_path.read_text() if history_path.is_file() else ""
    if sha256_text(text) != manifest["history_sha256"]:
        raise UsageError(f"{history_path} does not match its manifest's sha256; restore both from git before migrating")
    task = load_task(manifest["task"]["dataset"], manifest["task"]["model"])
    store = CassetteStore(cassettes)
    history = _read_history(history_path)
    keys = seed_from_history(
        task, store, history, source=f"{history_path.name} (format 1)", protocol=manifest_protocol(manifest)
    )
    if manifest.get("method") in RECORDED_PROPOSALS:  # its proposals are the history's rows after the initial points
        spec = spec_from_manifest(path, reference_root)
        rows = [task.space.typed(r) for r in history[task.space.names].to_dict("records")]
        n = spec.settings.n_initial
        recorded_proposals(
            manifest["method"],
            spec,
            rows[:n],
            store,
            RecordMode.AUTO,
            lambda: (rows[n:], {"computed_on": None, "migrated_from": f"{history_path.name} (format 1)"}),
        )
    reproduction = reproduction_of(path, manifest)
    produced, _ = rerun(spec_from_manifest(path, reference_root), manifest, cassettes, scratch)
    if produced["history_sha256"] != manifest["history_sha256"]:
        raise CheckFailed(
            f"{path}: replaying with the evaluations from its history gives another history; not migrated"
        )
    atomic_write_text(path, manifest_text(produced))
    return f"migrated to format 2 ({reproduction}, {len(keys)} evaluation(s) from its history): {path}"
