"""The committed results/components/ are exactly what replaying the committed cassettes produces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "results" / "components"


@pytest.mark.slow
def test_committed_components_replay_exactly_or_within_the_stated_drift(reference_dir, tmp_path):
    """LLM answers and evaluations replay; the metrics are recomputed: byte-identical in the environment
    they were made in, within METRIC_RTOL elsewhere."""
    from llambo_replay.experiments.results.check import check_run

    manifest = json.loads((COMMITTED / "components.manifest.json").read_text())
    assert manifest["mode"] == "replay" and manifest["cassettes"], "commit the outputs of a replay, not a recording"
    checked = check_run(COMMITTED / "components.manifest.json", REPO / "cassettes", tmp_path, str(reference_dir))
    assert checked.ok, checked.detail


def test_every_committed_cassette_is_used_by_a_committed_result():
    """`cassettes prune --manifests results` would remove nothing: no recording is orphaned."""
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.storage.report import referenced_keys, unreferenced

    orphans = unreferenced(CassetteStore(REPO / "cassettes"), referenced_keys([REPO / "results"]))
    assert orphans == [], f"{len(orphans)} cassette entries no manifest uses, e.g. {orphans[:1]}"
