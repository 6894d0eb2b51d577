"""The official evaluations' outputs: their table (per observed-set size and row, each metric's mean over
seeds, ± its standard error when there are several) and their files with the manifest that binds them. The
surrogate and sampler evaluations write theirs with it, and `tables --evaluations` renders the same numbers
as LaTeX, CSV and figures."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from llambo_replay.bayesmark.numerics import environment
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.manifests import write_manifest
from llambo_replay.experiments.runs.run_spec import sha256_text
from llambo_replay.replay.modes import RecordMode
from llambo_replay.replay.storage.store import atomic_write_text

GROUP = "n_observed"


def metric_columns(frame: pd.DataFrame, rows: str) -> list[str]:
    """A per-seed table's metrics: every column but the observed-set size, the seed and the row's name."""
    return [c for c in frame.columns if c not in (GROUP, "seed", rows)]


def aggregate(frame: pd.DataFrame, rows: str, metrics: list[str]) -> pd.DataFrame:
    """Mean and standard error (`<metric>_se`) over seeds, per observed-set size and row, in first-seen order."""
    grouped = frame.groupby([GROUP, rows], sort=False)[metrics]
    means, errors = grouped.mean(), grouped.sem().add_suffix("_se")
    table = means.join(errors).reset_index()
    table.insert(2, "seeds", grouped.size().to_numpy())
    return table


def cells(frame: pd.DataFrame, rows: str, metrics: list[str], pm: str) -> list[list[str]]:
    seeds = frame["seed"].nunique()
    table = aggregate(frame, rows, metrics)
    return [
        [
            str(r[GROUP]),
            str(r[rows]),
            *(f"{r[m]:.4g}" + (f" {pm} {r[m + '_se']:.2g}" if seeds > 1 else "") for m in metrics),
        ]
        for _, r in table.iterrows()
    ]


def markdown(frame: pd.DataFrame, rows: str, metrics: list[str], caption: str) -> str:
    """The official table: per observed-set size and row, each metric's mean (± s.e. with several seeds)."""
    lines = [caption, "", f"| {GROUP} | {rows} | " + " | ".join(metrics) + " |", "|" + "---|" * (len(metrics) + 2)]
    lines += ["| " + " | ".join(row) + " |" for row in cells(frame, rows, metrics, "±")]
    return "\n".join(lines) + "\n"


def read_spec(spec_class: type, manifest: dict[str, Any], kind: str) -> Any:
    """The spec `write_outputs` wrote into `manifest` (its lists tuples again); a clear error if it is not one."""
    try:
        return spec_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in manifest["spec"].items()})
    except (KeyError, TypeError) as exc:
        raise UsageError(f"not a {kind} manifest ({exc.__class__.__name__}: {exc})") from None


def write_outputs(
    out: Path,
    manifest_name: str,
    kind: str,
    spec: Any,
    files: dict[str, str],
    mode: RecordMode,
    keys: dict[str, dict[str, int]],
    llm_namespace: str,
) -> dict[str, Any]:
    """`files` into `out`, then the manifest: the spec, the cassette keys used, where the metrics were
    recomputed, each output's sha256 and the command that replays it."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        atomic_write_text(out / name, text)
    manifest = {
        "format": 2,
        "kind": kind,
        "spec": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()},
        "mode": mode.value,
        "cassettes": keys,
        "llm_requests": sum(keys[llm_namespace].values()),
        "reproduction": "recomputed",
        "recomputed_on": environment(),
        "outputs": {name: sha256_text(text) for name, text in sorted(files.items())},
    }
    return write_manifest(out / manifest_name, manifest)
