"""Write into each manifest under the given folders the command line that replays it.

Manifests written since `replay_command` existed name it already (and `check` compares it with what a
replay writes); this brings older ones up to date, changing nothing else: each file must read back to
its own bytes before the field is added, and the result is written atomically.

    python scripts/name_replay_commands.py results         # rewrite
    python scripts/name_replay_commands.py results --check # only say which ones lack it (exit 1)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llambo_replay.experiments.results.manifests import manifest_text
from llambo_replay.experiments.results.replay_commands import replay_command
from llambo_replay.replay.storage.store import atomic_write_text
from llambo_replay.replay.storage.walk import files_under


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a manifest needs it")
    args = parser.parse_args(argv)
    stale = []
    for folder in args.folders:
        for path in sorted(files_under(folder, "*.manifest.json")):
            text = path.read_text()
            manifest = json.loads(text)
            if manifest_text(manifest) != text:
                raise SystemExit(f"{path} is not in the layout the package writes; left alone")
            command = replay_command(manifest)
            if manifest.get("replay_command", ...) == command:
                continue
            stale.append(path)
            if not args.check:
                atomic_write_text(path, manifest_text({**manifest, "replay_command": command}))
    print(f"{len(stale)} manifest(s) {'lack' if args.check else 'now name'} their replay command")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
