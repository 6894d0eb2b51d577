"""Clock time per proposal (the paper's Figure 24) from the wall times recorded beside the proposals of
the baselines that run in a worker; the others, and the paper's published LLAMBO histories, carry none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from llambo_replay.experiments.results.manifests import read_manifest
from llambo_replay.replay import CassetteStore
from llambo_replay.tables.results import History, method_order


def proposal_seconds(histories: list[History], results: Path, cassettes: Path) -> pd.DataFrame:
    """One row per recorded proposal: method, task, seed, trial, seconds, and the machine's SIMD level."""
    store, rows = CassetteStore(cassettes), []
    for h in histories:
        if not h.source.startswith("results/"):
            continue  # the paper's own histories
        manifest = (results / h.source.removeprefix("results/")).with_suffix(".manifest.json")
        if not manifest.is_file():
            continue
        used = read_manifest(manifest).get("cassettes", {})
        for namespace, keys in sorted(used.items()):
            if not namespace.startswith("proposals/"):
                continue
            for key in sorted(keys):
                entry = store.get_slot(namespace, key, 0)
                meta = (entry or {}).get("meta") or {}
                simd = (meta.get("computed_on") or {}).get("simd", "?")
                for trial, seconds in enumerate(meta.get("seconds") or []):
                    rows.append((h.method, h.task, h.seed, trial, float(seconds), simd))
    return pd.DataFrame(rows, columns=["method", "task", "seed", "trial", "seconds", "simd"])


def clock_time_markdown(seconds: pd.DataFrame, caption: str) -> str:
    lines = [
        f"{caption}\n",
        "| method | cells | proposals | mean s | median s | 90th percentile s | max s | CPU features |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method in sorted(seconds["method"].unique(), key=method_order):
        m = seconds[seconds["method"] == method]
        s = m["seconds"].to_numpy()
        cells = len(m.groupby(["task", "seed"]))
        simd = ", ".join(sorted(m["simd"].unique()))
        lines.append(
            f"| {method} | {cells} | {len(s)} | {s.mean():.3f} | {np.median(s):.3f} | "
            f"{np.percentile(s, 90):.3f} | {s.max():.3f} | {simd} |"
        )
    return "\n".join(lines) + "\n"
