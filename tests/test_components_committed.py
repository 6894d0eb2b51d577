"""The committed results/components/ are exactly what replaying the committed cassettes produces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "results" / "components"


def _flags(spec: dict) -> list[str]:
    """The command-line flags that rebuild the recorded ComponentSpec."""
    joined = {key: ",".join(map(str, value)) if isinstance(value, list) else str(value) for key, value in spec.items()}
    return [part for key, value in joined.items() for part in (f"--{key.replace('_', '-')}", value)]


def test_committed_components_replay_byte_for_byte(reference_dir, tmp_path):
    manifest = json.loads((COMMITTED / "components.manifest.json").read_text())
    assert manifest["mode"] == "replay" and manifest["cassettes"], "commit the outputs of a replay, not a recording"
    result = subprocess.run([sys.executable, "-m", "llambo_replay.cli", "components", "--reference", str(reference_dir),
                             *_flags(manifest["spec"]), "--mode", "replay", "--no-memo", "--out", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    for name in [*manifest["outputs"], "components.manifest.json"]:
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), f"results/components/{name} differs"


def test_every_committed_cassette_is_used_by_a_committed_result():
    """`cassettes prune --manifests results` would remove nothing: no recording is orphaned."""
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.report import referenced_keys, unreferenced

    orphans = unreferenced(CassetteStore(REPO / "cassettes"), referenced_keys([REPO / "results"]))
    assert orphans == [], f"{len(orphans)} cassette entries no manifest uses, e.g. {orphans[:1]}"
