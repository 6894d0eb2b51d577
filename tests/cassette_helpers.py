"""Reading a test's cassette folder back, whatever the store's layout on disk."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from llambo_replay.replay.storage.store import CassetteStore


def only_entry(root: Path) -> dict[str, Any]:
    """The one entry a test recorded (the first, if it recorded several)."""
    store = CassetteStore(root)
    return store.read(next(store.iter_entries()))


def entry_keys(root: Path) -> list[tuple[str, str]]:
    return [(ref.namespace, ref.key) for ref in CassetteStore(root).iter_entries()]


def synthetic_store(root: Path, namespaces: int = 2, entries: int = 3000, slots: int = 2) -> CassetteStore:
    """A store of chat answers shaped like a recording's (packs of ~30 kB), written in one batch per pack: a
    stand-in for the committed store where a test needs many entries but not those."""
    import json

    from llambo_replay.replay.canonical import canonical_request, request_key
    from llambo_replay.replay.storage.store import slot_hash

    store = CassetteStore(root)
    batch = []
    for n in range(namespaces):
        for i in range(entries):
            body = {"model": "m", "messages": [{"role": "user", "content": f"prompt {n}-{i}"}], "n": slots}
            request = canonical_request("POST", "/chat/completions", json.dumps(body).encode())
            responses = []
            for slot in range(slots):
                answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": f"## {i}.{slot} ##"}}]}
                meta = {"model": "m", "usage": {"prompt_tokens": 40 + i % 7, "completion_tokens": 6}}
                stored = {"slot": slot, "response": answer, "meta": meta}
                responses.append({**stored, "sha256": slot_hash(stored)})
            batch.append(
                {"namespace": f"synthetic/{n}", "key": request_key(request), "request": request, "responses": responses}
            )
    store.add_entries(batch)
    return store


def demo_cassettes(tmp_path: Path) -> Path:
    """The committed store's LLAMBO answers and evaluations on iris: what the demo run replays, and runs it
    does not reference (the whole store, with the baseline grid's 70 MB, took minutes to copy and read)."""
    source, target = Path(__file__).resolve().parent.parent / "cassettes", tmp_path / "cassettes"
    for namespace in ("smollm2-135m-instruct/discriminative-json/iris", "evaluations/bayesmark-paper-3/iris"):
        shutil.copytree(source / namespace, target / namespace)
    for name in ("_store.json", "_shared.jsonl"):
        shutil.copy2(source / name, target / name)
    return target
