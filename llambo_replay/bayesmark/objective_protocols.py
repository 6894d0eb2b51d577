"""The objective's protocol versions: what a recorded score means. Kept free of imports, so the command
line can list them without loading scikit-learn."""

from __future__ import annotations

from typing import Any

# Bump when anything in `objective` or `tasks` changes what a score means. Runs keep the version they were
# recorded with (their manifest names it) and replay its recorded evaluations; only the current one is
# computed. 2: bayesmark's loaders and split, scikit-learn 1.1.3. 3: the official repository's data
# (diabetes standardised twice, the synthetic functions), scikit-learn 1.3.2 (see docs/data.md, "Why these pins").
PROTOCOL_VERSION = "bayesmark-paper-3"
OBJECTIVE_PROTOCOLS = ("bayesmark-paper-2", PROTOCOL_VERSION)


def manifest_protocol(manifest: dict[str, Any]) -> str:
    """The objective protocol a run manifest names; manifests made before they named one used the first."""
    return manifest.get("task", {}).get("objective_protocol", OBJECTIVE_PROTOCOLS[0])
