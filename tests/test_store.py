"""The cassette store: integrity checks, concurrent writers, pruning."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from llambo_replay.errors import CassetteCorrupt, UsageError
from llambo_replay.replay.canonical import canonical_request, request_key
from llambo_replay.replay.report import referenced_keys, stats, unreferenced
from llambo_replay.replay.store import CassetteStore


def request(i: int) -> dict:
    return canonical_request("POST", "/chat/completions", json.dumps({"model": "m", "prompt": f"p{i}"}).encode())


def put(store: CassetteStore, i: int, slot: int, text: str = "answer", namespace: str = "ns") -> dict:
    req = request(i)
    return store.put(namespace, request_key(req), slot, req, {"choices": [{"text": text}]},
                     {"usage": {"prompt_tokens": 10, "completion_tokens": 2}, "cost_usd": 0.001})


def test_a_stored_slot_reads_back_and_the_first_writer_wins(tmp_path):
    store = CassetteStore(tmp_path)
    put(store, 1, 0, "first")
    assert put(store, 1, 0, "second")["response"]["choices"][0]["text"] == "first"
    fresh = CassetteStore(tmp_path)
    assert fresh.get_slot("ns", request_key(request(1)), 0)["response"]["choices"][0]["text"] == "first"
    assert fresh.verify() == []


def test_slots_may_arrive_out_of_order_and_a_gap_is_filled_later(tmp_path):
    store = CassetteStore(tmp_path)
    put(store, 1, 2)
    put(store, 1, 0)
    assert store.get_slot("ns", request_key(request(1)), 1) is None
    put(store, 1, 1)
    entry = json.loads(store.entry_path("ns", request_key(request(1))).read_text())
    assert [s["slot"] for s in entry["responses"]] == [0, 1, 2]
    assert store.verify() == []


@pytest.mark.parametrize("damage", ["edit-response", "truncate", "edit-request", "rename"])
def test_verify_and_replay_refuse_a_damaged_entry(tmp_path, damage):
    store = CassetteStore(tmp_path)
    put(store, 1, 0)
    path = store.entry_path("ns", request_key(request(1)))
    text = path.read_text()
    if damage == "edit-response":
        path.write_text(text.replace('"answer"', '"altered"'))
    elif damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "edit-request":
        path.write_text(text.replace('"p1"', '"p2"'))
    else:
        bad = path.with_name("ab" * 32 + ".json")
        bad = bad.parent.parent / "ab" / bad.name
        bad.parent.mkdir()
        path.rename(bad)
        path = bad
    problems = CassetteStore(tmp_path).verify()
    assert len(problems) == 1 and str(path) in problems[0]
    if damage in ("edit-response", "truncate"):
        with pytest.raises(CassetteCorrupt, match="restore it from git or re-record it"):
            CassetteStore(tmp_path).get_slot("ns", request_key(request(1)), 0)
    elif damage == "edit-request":
        # replay checks the data it returns (the response's sha256), not the stored request text,
        # so it still serves the response recorded for this key, unaltered
        slot = CassetteStore(tmp_path).get_slot("ns", request_key(request(1)), 0)
        assert slot["response"]["choices"][0]["text"] == "answer"


def test_invalid_namespaces_are_refused(tmp_path):
    for bad in ("../escape", "/abs", "a//b", "spaces here"):
        with pytest.raises(UsageError):
            CassetteStore(tmp_path).entry_path(bad, "0" * 64)


def _writer(root: str, worker: int) -> None:
    store = CassetteStore(root)
    for i in range(20):
        # overlapping requests: every worker writes keys 0..19, slots 0..1, plus its own key
        put(store, i, worker % 2, f"w{worker}")
        put(store, 100 + worker, i, f"w{worker}")


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    store = CassetteStore(tmp_path)
    assert store.verify() == []
    for i in range(20):
        entry = store.get("ns", request_key(request(i)))
        assert [s["slot"] for s in entry["responses"]] == [0, 1]
    for w in range(4):
        assert [s["slot"] for s in store.get("ns", request_key(request(100 + w)))["responses"]] == list(range(20))
    assert not list(tmp_path.rglob("*.tmp"))


def test_stats_and_prune_follow_the_manifests(tmp_path):
    store = CassetteStore(tmp_path / "c")
    for i in range(3):
        put(store, i, 0)
    put(store, 0, 1)
    table = stats(store)
    assert (table["ns"].entries, table["ns"].responses, table["ns"].prompt_tokens) == (3, 4, 40)
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "0.manifest.json").write_text(json.dumps(
        {"cassettes": {"namespace": "ns", "keys": {request_key(request(0)): 2}}}))
    drop = unreferenced(store, referenced_keys([manifests]))
    assert sorted(r.key for r in drop) == sorted(request_key(request(i)) for i in (1, 2))
    for ref in drop:
        store.remove(ref)
    assert [r.key for r in store.iter_entries()] == [request_key(request(0))]


def test_a_folder_that_is_not_a_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "x.manifest.json").write_text("[]")
    with pytest.raises(UsageError, match="not a manifest with a cassettes block"):
        referenced_keys([tmp_path])
