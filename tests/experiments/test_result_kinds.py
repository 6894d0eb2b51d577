"""A committed result's kind is stated in its manifest and decided in one registry; everything that treats
kinds differently keeps one table keyed by it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llambo_replay.errors import UsageError
from llambo_replay.experiments.results import kinds
from llambo_replay.experiments.results.check import check_run
from llambo_replay.experiments.results.manifests import read_manifest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("role", ["check", "command", "migrate"])
def test_every_kind_names_a_function_for_each_role(role):
    for kind in kinds.KINDS.values():
        assert callable(kind.function(role)), (kind.name, role)


def test_every_committed_manifest_states_a_known_kind():
    manifests = sorted((REPO / "results").rglob("*.manifest.json"))
    stated = {json.loads(path.read_text()).get("kind") for path in manifests}
    assert stated == set(kinds.KINDS)


def test_a_manifest_from_before_kinds_gets_the_kind_its_shape_implies(tmp_path):
    committed = REPO / "results/recorded/warmstart"
    path = next(p for p in sorted(committed.rglob("*.manifest.json")) if "initial_points_source" in p.read_text())
    legacy = {k: v for k, v in json.loads(path.read_text()).items() if k != "kind"}
    assert kinds.upgrade(legacy, path)["kind"] == "warmstart-run"
    components = json.loads((REPO / "results/components/components.manifest.json").read_text())
    components.pop("kind")
    assert kinds.upgrade(components, Path("components.manifest.json"))["kind"] == "components"


def test_an_unknown_or_contradicted_kind_is_a_one_line_error(tmp_path):
    source = REPO / "results/recorded/demo/iris/SVM"
    for name in ("0.csv", "0.manifest.json", "0.trials.csv"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    manifest = json.loads((tmp_path / "0.manifest.json").read_text())
    (tmp_path / "0.manifest.json").write_text(json.dumps({**manifest, "kind": "poem"}))
    with pytest.raises(UsageError, match="no result this package knows .kind 'poem'"):
        read_manifest(tmp_path / "0.manifest.json")
    (tmp_path / "0.manifest.json").write_text(json.dumps({**manifest, "kind": "baseline-run"}))
    with pytest.raises(UsageError, match="states kind 'baseline-run', which its method 'llambo'"):
        check_run(tmp_path / "0.manifest.json", REPO / "cassettes", tmp_path / "scratch", None)
