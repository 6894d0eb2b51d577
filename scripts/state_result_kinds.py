"""Write each manifest's `kind` into it (once, for manifests made before kinds were stated): the kind
`kinds.upgrade` implies, nothing else changed. Usage: python scripts/state_result_kinds.py [FOLDER ...]
(default: results)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from llambo_replay.experiments.results import kinds
from llambo_replay.experiments.results.manifests import manifest_text
from llambo_replay.replay.storage.store import atomic_write_text


def main(folders: list[str]) -> int:
    stated = 0
    for folder in folders or ["results"]:
        for path in sorted(Path(folder).rglob("*.manifest.json")):
            manifest = json.loads(path.read_text())
            if "kind" in manifest:
                continue
            atomic_write_text(path, manifest_text(kinds.upgrade(manifest, path)))
            stated += 1
    print(f"stated the kind of {stated} manifest(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
