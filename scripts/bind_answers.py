"""Add `answers_sha256` (one digest over the stored answers a run used; `replay/storage/verify.py`) to run
manifests written before runs recorded it, from the store they replay from. Idempotent: a manifest that
has the digest keeps it, and `check` compares it like any field.

Usage: python scripts/bind_answers.py [RESULTS ...] [--cassettes DIR]   (default: results/recorded, cassettes)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from llambo_replay.experiments.results.kinds import kind_of
from llambo_replay.experiments.results.manifests import manifest_text
from llambo_replay.replay import CassetteStore
from llambo_replay.replay.storage.verify import used_answers_sha256

RUN_KINDS = ("llambo-run", "baseline-run", "warmstart-run")  # the kinds `runner.write_run` writes

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="*", type=Path, default=[Path("results/recorded")])
    parser.add_argument("--cassettes", type=Path, default=Path("cassettes"))
    args = parser.parse_args()
    store, added = CassetteStore(args.cassettes), 0
    for folder in args.results:
        for path in sorted(folder.rglob("*.manifest.json")):
            manifest = json.loads(path.read_text())
            if "answers_sha256" in manifest or kind_of(manifest).name not in RUN_KINDS:
                continue
            manifest["answers_sha256"] = used_answers_sha256(store, manifest["cassettes"])
            path.write_text(manifest_text(manifest))
            added += 1
    print(f"answers_sha256 added to {added} manifest(s)")
