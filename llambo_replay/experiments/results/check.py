"""Check committed runs against their manifests, and upgrade format-1 runs to format 2.

A replayed run (LLAMBO and every baseline) must give the same bytes on any machine: its LLM
answers, its evaluations and a baseline optimiser's proposals come from the cassettes. A
recomputed result (the component metrics) re-runs numerics: it must give the same bytes where the
numerical environment is the one it was made in, and elsewhere stay within a stated tolerance,
reported as numerical drift with both environments named.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay.bayesmark.numerics import describe, environment
from llambo_replay.errors import CassetteCorrupt, ReplayMiss, UsageError, missing_folder
from llambo_replay.experiments.results import exactness, kinds
from llambo_replay.experiments.results.manifests import DEFAULT_STORE, read_manifest
from llambo_replay.experiments.results.replay_commands import replay_command
from llambo_replay.experiments.runs.baseline_run import run_baseline
from llambo_replay.experiments.runs.reproduction import (
    INFORMATIONAL_MANIFEST_FIELDS,
    INFORMATIONAL_TRIAL_COLUMNS,
    REPRODUCTION,
)
from llambo_replay.experiments.runs.run_spec import RunSpec, spec_from_manifest
from llambo_replay.experiments.runs.runner import run
from llambo_replay.replay import RecordMode
from llambo_replay.replay.http.transport import OFFLINE_URL
from llambo_replay.replay.storage.walk import files_under


@dataclass(frozen=True)
class Checked:
    path: Path
    reproduction: str  # "replayed" (runs) | "recomputed" (component metrics)
    status: str  # "identical" | "drift" (recomputed, within tolerance) | "different"
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != "different"


def _largest(a: np.ndarray, b: np.ndarray, relative: bool) -> float:
    both_nan = np.isnan(a) & np.isnan(b)
    if np.any(np.isnan(a) != np.isnan(b)):
        return float("inf")
    delta = np.abs(a - b)
    if relative:
        delta = delta / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    return float(np.max(np.where(both_nan, 0.0, delta), initial=0.0))


def run_manifests(results: Path, components: bool = False) -> list[Path]:
    """Run manifests under `results` (and, with `components`, the recomputed evaluations' too); a
    manifest file names just itself, so every committed result replays with `check --results <manifest>`."""
    path = Path(results)
    if path.is_file():  # a manifest, or a run's history or trials file: the manifest beside it
        manifest = path.with_name(path.name.split(".")[0] + ".manifest.json")
        if manifest.is_file():
            return [manifest]
        raise UsageError(
            f"{results} is a file, but neither a run manifest (*.manifest.json) nor a run's file beside one"
        )
    if not path.is_dir():
        raise missing_folder("results folder", results, "--results DIR")
    found = sorted(
        p
        for p in files_under(results, "*.manifest.json")
        if components or p.name not in kinds.RECOMPUTED_MANIFEST_FILES
    )
    if not found:
        raise UsageError(f"no run manifests (*.manifest.json) under {results}")
    return found


def rerun(
    spec: RunSpec,
    manifest: dict[str, Any],
    cassettes: Path,
    scratch: Path,
    mode: RecordMode = RecordMode.REPLAY,
    initial_points_source: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Run a run-kind manifest's run again, offline, into `scratch`; the new manifest and history path."""
    if kinds.kind_of(manifest).name == "llambo-run":
        produced = run(spec, mode, scratch, cassettes, OFFLINE_URL, progress=False).manifest
    else:
        produced = run_baseline(
            manifest["method"], spec, scratch, cassettes, mode, initial_points_source=initial_points_source
        )
    return produced, spec.outputs(scratch)["history"]


def reproduction_of(path: Path, manifest: dict[str, Any]) -> str:
    if manifest.get("method") not in REPRODUCTION:
        raise UsageError(f"{path} names an unknown method {manifest.get('method')!r}")
    return REPRODUCTION[manifest["method"]]


def check_run(path: Path, cassettes: Path | None, scratch: Path, reference_root: str | None) -> Checked:
    """Replay one committed result into a folder of its own under `scratch` and compare."""
    Path(scratch).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as own:
        return _check_run(path, cassettes, Path(own), reference_root)


def _check_run(path: Path, cassettes: Path | None, scratch: Path, reference_root: str | None) -> Checked:
    manifest = read_manifest(path)
    cassettes = cassettes or Path(manifest.get("cassette_store", DEFAULT_STORE))  # as its replay command says
    return kinds.kind_of(manifest).function("check")(path, manifest, cassettes, scratch, reference_root)


def check_replayed_run(
    path: Path, manifest: dict[str, Any], cassettes: Path, scratch: Path, reference_root: str | None
) -> Checked:
    if manifest.get("format", 1) < 2:
        raise UsageError(
            f"{path} is a format-1 run (made before evaluations were recorded); upgrade it once with "
            "`llambo-replay migrate --results DIR`"
        )
    reproduction = reproduction_of(path, manifest)
    try:
        source = _initial_points_source(manifest, cassettes)
        if source is not None and not source[0]:
            return Checked(
                path,
                reproduction,
                "different",
                "its initial points are not what their recorded source "
                f"({manifest['initial_points_source']['initialiser']}) gives",
            )
        produced, produced_path = rerun(
            spec_from_manifest(path, reference_root),
            manifest,
            cassettes,
            scratch,
            initial_points_source=None if source is None else source[1],
        )
    except (ReplayMiss, CassetteCorrupt) as exc:
        return Checked(path, reproduction, "different", str(exc))
    if produced["history_sha256"] != manifest["history_sha256"]:
        return Checked(path, reproduction, "different", "a replayed history must be byte-identical on any machine")
    unbound = _committed_differences(path, manifest, _as_recorded_into(produced, manifest), produced_path)
    if unbound:
        return Checked(path, reproduction, "different", "; ".join(unbound))
    return Checked(
        path,
        reproduction,
        "identical",
        "history byte-identical"
        + (" (initial points derived again from their source)" if "initial_points_source" in manifest else ""),
    )


def _as_recorded_into(produced: dict[str, Any], committed: dict[str, Any]) -> dict[str, Any]:
    """The replay's manifest as if it had read the store the committed run names: a check may read a copy
    of it elsewhere (`--cassettes`), which is no difference of the run's."""
    same = {name: value for name, value in produced.items() if name != "cassette_store"}
    if "cassette_store" in committed:
        same["cassette_store"] = committed["cassette_store"]
    same["replay_command"] = replay_command(same)
    return same


def _flat(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """A manifest's leaves by their path of keys: a tuple, so that a key holding a dot (`"llm.requests"`) is
    not the same leaf as a nested one (`"llm": {"requests"}`), and a restructured manifest differs."""
    if isinstance(value, dict) and value:
        return {name: leaf for key, item in value.items() for name, leaf in _flat(item, (*path, key)).items()}
    return {path: value}


def _committed_differences(
    path: Path, committed: dict[str, Any], produced: dict[str, Any], produced_history: Path
) -> list[str]:
    """What the committed files say that the replay does not: any manifest field outside
    `INFORMATIONAL_MANIFEST_FIELDS`, and the bytes of the history (and trials) files beside it."""

    informational = [tuple(field.split(".")) for field in INFORMATIONAL_MANIFEST_FIELDS]

    def bound(manifest: dict[str, Any]) -> dict[tuple[str, ...], Any]:
        return {
            path: leaf
            for path, leaf in _flat(manifest).items()
            if not any(path[: len(field)] == field for field in informational)
        }

    ours, theirs = bound(produced), bound(committed)
    differing = ours.keys() | theirs.keys()
    fields = sorted(".".join(path) for path in differing if ours.get(path, ...) != theirs.get(path, ...))
    problems = (
        [f"manifest field {', '.join(fields[:3])}{' and more' if len(fields) > 3 else ''} is not what the replay gives"]
        if fields
        else []
    )
    stem = produced_history.name.removesuffix(".csv")
    for name, same in ((f"{stem}.csv", _same_bytes), (f"{stem}.trials.csv", _same_trials)):
        made, kept = produced_history.with_name(name), path.with_name(name)
        if made.is_file() and not kept.is_file():
            problems.append(f"the committed {kept.name} is missing")
        elif made.is_file() and not same(kept, made):
            problems.append(f"the committed {kept.name} is not what the replay writes")
    return problems


def _same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def _same_trials(a: Path, b: Path) -> bool:
    """Equal as text, cell for cell, but for the columns that time the machine."""
    try:
        ours, theirs = (pd.read_csv(p, dtype=str, keep_default_na=False) for p in (a, b))
    except (ValueError, pd.errors.ParserError):
        return False
    drop = [c for c in INFORMATIONAL_TRIAL_COLUMNS if c in ours.columns]
    return list(ours.columns) == list(theirs.columns) and ours.drop(columns=drop).equals(theirs.drop(columns=drop))


def _initial_points_source(manifest: dict[str, Any], cassettes: Path) -> tuple[bool, dict[str, Any]] | None:
    """For a warm-starting evaluation run: whether its initial points come out of their recording again,
    and the source as derived again (which the replayed manifest must then state)."""
    source = manifest.get("initial_points_source")
    if not source:
        return None
    from llambo_replay.experiments.evaluations import warmstart_eval

    task = manifest["task"]
    points, derived = warmstart_eval.rederive(
        source, task["dataset"], task["model"], manifest["budget"]["n_initial"], cassettes
    )
    return warmstart_eval.same_points(points, manifest["given_initial_points"]), derived


def check_components(
    path: Path, manifest: dict[str, Any], cassettes: Path, scratch: Path, reference_root: str | None
) -> Checked:
    """Replay the component evaluations; their metrics are recomputed (see `experiments.evaluations.component_run`)."""
    from llambo_replay.bayesmark import reference
    from llambo_replay.experiments.evaluations import component_run

    if manifest.get("format", 1) < 2:
        raise UsageError(
            f"{path} was made before evaluations were recorded; re-run `llambo-replay components` with "
            "its spec and --mode auto (its LLM answers are all recorded), then --mode replay"
        )
    spec = component_run.spec_from_manifest(manifest)
    root = reference.check_reference(reference_root)
    out = Path(scratch) / "components"
    try:
        produced = component_run.run_components(spec, RecordMode.REPLAY, out, cassettes, OFFLINE_URL, root, None)
    except (ReplayMiss, CassetteCorrupt) as exc:
        return Checked(path, "recomputed", "different", str(exc))
    return _compare_recomputed(path, manifest, produced, out, exactness.METRIC_RTOL)


def check_official_evaluation(
    path: Path, manifest: dict[str, Any], cassettes: Path, scratch: Path, reference_root: str | None
) -> Checked:
    """Replay an official surrogate or sampler evaluation; its metrics are recomputed from what was recorded."""
    from llambo_replay.experiments.evaluations import sampler_eval_run, surrogate_eval_run

    spec_of, evaluate = {
        "surrogate-eval": (surrogate_eval_run.spec_from_manifest, surrogate_eval_run.run_surrogate_eval),
        "sampler-eval": (sampler_eval_run.spec_from_manifest, sampler_eval_run.run_sampler_eval),
    }[manifest["kind"]]
    spec = spec_of(manifest)
    out = Path(scratch) / "evaluation"
    try:
        produced = evaluate(spec, RecordMode.REPLAY, out, cassettes, OFFLINE_URL)  # type: ignore[arg-type]
    except (ReplayMiss, CassetteCorrupt) as exc:
        return Checked(path, "recomputed", "different", str(exc))
    return _compare_recomputed(path, manifest, produced, out, exactness.METRIC_RTOL)


def _compare_recomputed(
    path: Path, manifest: dict[str, Any], produced: dict[str, Any], out: Path, tolerance: float
) -> Checked:
    """Byte-identical outputs; else, made in another numerical environment, metrics within `tolerance`."""
    if produced["outputs"] == manifest["outputs"]:
        return Checked(path, "recomputed", "identical", "outputs byte-identical")
    made_on, here = manifest.get("recomputed_on"), environment()
    if made_on == here:
        return Checked(
            path,
            "recomputed",
            "different",
            f"recomputed in the environment it was made in ({describe(here)}), yet the outputs differ",
        )
    worst = max(
        table_drift(pd.read_csv(path.parent / name), pd.read_csv(out / name))
        for name in manifest["outputs"]
        if name.endswith(".csv")
    )
    within = worst <= tolerance
    return Checked(
        path,
        "recomputed",
        "drift" if within else "different",
        f"numerical drift {'within' if within else 'BEYOND'} tolerance: metrics up to {worst:.2g} relative "
        f"(tolerance {tolerance:g}); made on {describe(made_on)}, here {describe(here)}",
    )


def table_drift(committed: pd.DataFrame, produced: pd.DataFrame) -> float:
    """Largest relative difference between two tables of metrics; inf if text cells or shapes differ."""
    if committed.shape != produced.shape or list(committed.columns) != list(produced.columns):
        return float("inf")
    numeric = committed.select_dtypes("number").columns
    text = [c for c in committed.columns if c not in numeric]
    if not committed[text].equals(produced[text]):
        return float("inf")
    return _largest(committed[numeric].to_numpy(float), produced[numeric].to_numpy(float), relative=True)
