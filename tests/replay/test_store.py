"""The cassette store: integrity checks, torn writes, concurrent writers, git merges, pruning, migration."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess

import pytest
from cli_helpers import run_cli as cli

from llambo_replay.errors import CassetteCorrupt, UsageError
from llambo_replay.replay.canonical import canonical_request, request_key
from llambo_replay.replay.storage.migration import export_legacy, migrate
from llambo_replay.replay.storage.report import referenced_keys, stats, unreferenced
from llambo_replay.replay.storage.shared import SHARED_NAME
from llambo_replay.replay.storage.store import CassetteStore
from llambo_replay.replay.storage.verify import verify_store

ENVIRONMENT = {"blas": [{"kernel": "Prescott", "library": "openblas"}], "versions": {"numpy": "1.26.4"}}


def request(i: int) -> dict:
    return canonical_request("POST", "/completions", json.dumps({"model": "m", "prompt": f"p{i}"}).encode())


def call(i: int) -> dict:
    """A recorded function call's request (`replay.calls`), whose result may be any JSON."""
    return {"function": "f", "arguments": {"i": i}}


def put(store: CassetteStore, i: int, slot: int, text: str = "answer", namespace: str = "ns") -> dict:
    req = request(i)
    return store.put(
        namespace,
        request_key(req),
        slot,
        req,
        {"choices": [{"text": text}]},
        {"usage": {"prompt_tokens": 10, "completion_tokens": 2}, "cost_usd": 0.001},
    )


def pack_of(store: CassetteStore, i: int, namespace: str = "ns"):
    return store.pack_path(namespace, request_key(request(i)))


def test_a_stored_slot_reads_back_and_the_first_writer_wins(tmp_path):
    store = CassetteStore(tmp_path)
    put(store, 1, 0, "first")
    assert put(store, 1, 0, "second")["response"]["choices"][0]["text"] == "first"
    fresh = CassetteStore(tmp_path)
    assert fresh.get_slot("ns", request_key(request(1)), 0)["response"]["choices"][0]["text"] == "first"
    assert verify_store(fresh) == []
    assert len(pack_of(fresh, 1).read_bytes().splitlines()) == 1, "a refused write appends nothing"


def test_slots_may_arrive_out_of_order_and_a_gap_is_filled_later(tmp_path):
    store = CassetteStore(tmp_path)
    put(store, 1, 2)
    put(store, 1, 0)
    assert store.get_slot("ns", request_key(request(1)), 1) is None
    put(store, 1, 1)
    entry = CassetteStore(tmp_path).get("ns", request_key(request(1)))
    assert [s["slot"] for s in entry["responses"]] == [0, 1, 2] and entry["request"] == request(1)
    lines = [json.loads(line) for line in pack_of(store, 1).read_bytes().splitlines()]
    assert ["request" in line for line in lines] == [True, False, False], "the request is stored once per pack"
    assert verify_store(store) == []


@pytest.mark.parametrize("damage", ["edit-response", "edit-request", "misplace"])
def test_verify_and_replay_refuse_a_damaged_line(tmp_path, damage):
    store = CassetteStore(tmp_path)
    put(store, 1, 0)
    path = pack_of(store, 1)
    text = path.read_text()
    if damage == "edit-response":
        path.write_text(text.replace('"answer"', '"altered"'))
    elif damage == "edit-request":
        path.write_text(text.replace('"p1"', '"p2"'))
    else:
        other = path.with_name("00.jsonl" if path.name != "00.jsonl" else "04.jsonl")
        path.rename(other)
        path = other
    problems = verify_store(CassetteStore(tmp_path))
    assert len(problems) == 1 and str(path) in problems[0]
    if damage == "edit-response":
        with pytest.raises(CassetteCorrupt, match="does not match its sha256; restore the pack from git"):
            CassetteStore(tmp_path).get_slot("ns", request_key(request(1)), 0)
    elif damage == "edit-request":
        # replay checks the data it returns (the response's sha256), not the stored request text,
        # so it still serves the response recorded for this key, unaltered
        slot = CassetteStore(tmp_path).get_slot("ns", request_key(request(1)), 0)
        assert slot["response"]["choices"][0]["text"] == "answer"
    else:
        assert "belongs in" in problems[0]


def test_a_line_whose_head_is_damaged_makes_its_pack_refuse_misses(tmp_path):
    store = CassetteStore(tmp_path)
    put(store, 1, 0)
    path = pack_of(store, 1)
    path.write_bytes(path.read_bytes().replace(b'{"key":"', b'{"kee":"', 1))
    assert "damaged line at byte 0" in verify_store(CassetteStore(tmp_path))[0]
    with pytest.raises(CassetteCorrupt, match="may hold ns"):
        CassetteStore(tmp_path).get("ns", request_key(request(1)))


def test_a_torn_tail_is_ignored_reported_and_cut_by_the_next_writer(tmp_path):
    store = CassetteStore(tmp_path)
    put(store, 1, 0, "kept")
    path = pack_of(store, 1)
    intact = path.read_bytes()
    torn = intact.replace(b'"kept"', b'"torn"').replace(b'"slot":0', b'"slot":1')[:-30]  # kill -9 mid-line
    path.write_bytes(intact + torn)
    reader = CassetteStore(tmp_path)
    assert [s["slot"] for s in reader.get("ns", request_key(request(1)))["responses"]] == [0]
    assert "ends in an incomplete line" in verify_store(reader)[0]
    put(CassetteStore(tmp_path), 1, 1, "next")
    assert path.read_bytes().startswith(intact) and path.read_bytes().endswith(b"\n")
    assert verify_store(CassetteStore(tmp_path)) == []
    assert (
        CassetteStore(tmp_path).get_slot("ns", request_key(request(1)), 1)["response"]["choices"][0]["text"] == "next"
    )


def test_the_same_slot_recorded_twice_differently_is_detected(tmp_path):
    """What a union merge of two recordings of one slot leaves: both lines."""
    first, second = CassetteStore(tmp_path / "a"), CassetteStore(tmp_path / "b")
    put(first, 1, 0, "mine")
    put(second, 1, 0, "theirs")
    merged = pack_of(first, 1)
    merged.write_bytes(merged.read_bytes() + pack_of(second, 1).read_bytes())
    assert "recorded twice with different responses" in verify_store(CassetteStore(tmp_path / "a"))[0]
    with pytest.raises(CassetteCorrupt, match="keep one of the two lines"):
        CassetteStore(tmp_path / "a").get("ns", request_key(request(1)))
    identical = pack_of(second, 1)
    identical.write_bytes(identical.read_bytes() * 2)
    assert verify_store(CassetteStore(tmp_path / "b")) == [], "the same line twice is harmless"


def test_two_recordings_of_one_namespace_merge_in_git_without_conflict(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"

    def run(*args: str) -> str:
        return subprocess.run([git, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout

    repo.mkdir()
    run("init", "-q", "-b", "main")
    run("config", "user.email", "t@example.org")
    run("config", "user.name", "t")
    store = repo / "cassettes"
    for i in range(3):
        put(CassetteStore(store), i, 0)
    run("add", "-A")
    run("commit", "-qm", "base")
    run("checkout", "-qb", "theirs")
    for i in range(3, 40):
        put(CassetteStore(store), i, 0, "theirs")
    run("add", "-A")
    run("commit", "-qm", "theirs")
    run("checkout", "-q", "main")
    for i in range(40, 80):
        put(CassetteStore(store), i, 0, "mine")
    put(CassetteStore(store), 0, 1, "mine")
    run("add", "-A")
    run("commit", "-qm", "mine")
    run("merge", "-q", "--no-edit", "theirs")  # raises on a conflict
    merged = CassetteStore(store)
    assert verify_store(merged) == []
    assert len(list(merged.iter_entries())) == 80
    assert [s["slot"] for s in merged.get("ns", request_key(request(0)))["responses"]] == [0, 1]


def test_invalid_namespaces_are_refused(tmp_path):
    for bad in ("../escape", "/abs", "a//b", "spaces here", "a/0.jsonl"):
        with pytest.raises(UsageError):
            CassetteStore(tmp_path).pack_path(bad, "0" * 64)


def test_shared_metadata_is_stored_once_and_read_back_whole(tmp_path):
    store = CassetteStore(tmp_path)
    for i in range(20):
        req = call(i)
        store.put("ev", request_key(req), 0, req, {"score": i / 3}, {"environment": ENVIRONMENT, "seconds": i})
    assert len((tmp_path / SHARED_NAME).read_bytes().splitlines()) == 1
    assert all(
        b'"environment":{"$shared":"' in line for p in store.pack_paths() for line in p.read_bytes().splitlines()
    )
    slot = CassetteStore(tmp_path).get_slot("ev", request_key(call(7)), 0)
    assert slot["meta"] == {"environment": ENVIRONMENT, "seconds": 7} and slot["response"] == {"score": 7 / 3}
    (tmp_path / SHARED_NAME).write_text("")
    with pytest.raises(CassetteCorrupt, match="refers to shared data"):
        CassetteStore(tmp_path).get("ev", request_key(call(7)))


def test_a_pack_rewritten_under_a_reader_is_read_afresh(tmp_path):
    reader = CassetteStore(tmp_path)
    for i in range(30):
        put(reader, i, 0, f"a{i}")
    assert reader.get("ns", request_key(request(29)))  # the reader now holds an index of every pack
    writer = CassetteStore(tmp_path)
    writer.remove_many([r for r in writer.iter_entries() if r.key != request_key(request(29))])
    reader._cache.clear()
    assert reader.get_slot("ns", request_key(request(29)), 0)["response"]["choices"][0]["text"] == "a29"
    assert [r.key for r in CassetteStore(tmp_path).iter_entries()] == [request_key(request(29))]


def test_a_later_store_reuses_an_index_only_while_it_still_describes_the_pack(tmp_path):
    """Stores of one process share pack indexes (a `check` makes one per result): an append is read from
    the tail, and a pack rewritten in place (the same inode, as when a pruned pack's inode number is taken
    again) is indexed afresh, even when its old length ends on a line boundary of the new content."""
    first = CassetteStore(tmp_path / "a")
    put(first, 1, 0, "one")
    path = pack_of(first, 1)
    same_pack = next(i for i in range(2, 500) if pack_of(first, i) == path)
    elsewhere = CassetteStore(tmp_path / "b")
    put(elsewhere, same_pack, 0, "two")  # a line of the same length for another key of that pack
    assert CassetteStore(tmp_path / "a").get("ns", request_key(request(1)))  # indexed, and shared from here on
    put(CassetteStore(tmp_path / "a"), 1, 1, "more")  # an append, read by the next store from the tail
    assert (
        CassetteStore(tmp_path / "a").get_slot("ns", request_key(request(1)), 1)["response"]["choices"][0]["text"]
        == "more"
    )
    lines = path.read_bytes()
    with open(path, "r+b") as handle:  # rewritten in place: another key's line first, then the same lines
        handle.write(pack_of(elsewhere, same_pack).read_bytes() + lines)
    entry = CassetteStore(tmp_path / "a").get_slot("ns", request_key(request(same_pack)), 0)
    assert entry is not None and entry["response"]["choices"][0]["text"] == "two"


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
    assert verify_store(store) == []
    for i in range(20):
        entry = store.get("ns", request_key(request(i)))
        assert [s["slot"] for s in entry["responses"]] == [0, 1]
    for w in range(4):
        assert [s["slot"] for s in store.get("ns", request_key(request(100 + w)))["responses"]] == list(range(20))
    lines = sum(len(p.read_bytes().splitlines()) for p in store.pack_paths())
    assert lines == 20 * 2 + 4 * 20, "one line per slot: nothing stored twice"


def test_stats_and_prune_follow_the_manifests(tmp_path):
    store = CassetteStore(tmp_path / "c")
    for i in range(3):
        put(store, i, 0)
    put(store, 0, 1)
    table = stats(store)
    assert (table["ns"].entries, table["ns"].responses, table["ns"].prompt_tokens) == (3, 4, 40)
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "0.manifest.json").write_text(
        json.dumps({"cassettes": {"namespace": "ns", "keys": {request_key(request(0)): 2}}})
    )
    drop = unreferenced(store, referenced_keys([manifests]))
    assert sorted(r.key for r in drop) == sorted(request_key(request(i)) for i in (1, 2))
    store.remove_many(drop)
    assert [r.key for r in store.iter_entries()] == [request_key(request(0))]
    assert [s["slot"] for s in CassetteStore(tmp_path / "c").get("ns", request_key(request(0)))["responses"]] == [0, 1]


def test_a_folder_that_is_not_a_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "x.manifest.json").write_text("[]")
    with pytest.raises(UsageError, match="not a manifest with a cassettes block"):
        referenced_keys([tmp_path])


# -- the one-file-per-key format (1) -----------------------------------------------------------------
def varied_store(root):
    """Entries with what a round trip could lose: several slots, unicode, floats, shared data, nesting."""
    store = CassetteStore(root)
    for i in range(40):
        req = call(i)
        namespace = ["a", "a/b", "evaluations/x=1/y"][i % 3]
        for slot in range(1 + i % 3):
            store.put(
                namespace,
                request_key(req),
                slot,
                req,
                {"text": f"é→{i}", "x": 0.1 + i / 7, "n": 10**20},
                {"environment": ENVIRONMENT, "latency_s": i * 1e-9} if i % 2 else {"usage": {"tokens": i}},
            )
    return store


def test_migrating_a_one_file_per_key_store_is_lossless_both_ways(tmp_path):
    legacy = tmp_path / "legacy"
    assert export_legacy(varied_store(tmp_path / "packs"), legacy) == 40
    before = {p.relative_to(legacy): p.read_bytes() for p in sorted(legacy.rglob("*.json"))}
    with pytest.raises(UsageError, match="convert it once with `llambo-replay cassettes migrate --cassettes"):
        CassetteStore(legacy).check_usable(writes=False)
    done = migrate(legacy)
    assert (done.entries, done.responses, done.files_before) == (40, 79, 40)
    assert not list(legacy.rglob("*.json")) or [p.name for p in legacy.rglob("*.json")] == ["_store.json"]
    migrated = CassetteStore(legacy).check_usable(writes=False)
    assert verify_store(migrated) == []
    export_legacy(migrated, tmp_path / "again")
    after = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in sorted((tmp_path / "again").rglob("*.json"))}
    assert after == before


def test_an_interrupted_migration_is_refused_then_started_over(tmp_path):
    legacy = tmp_path / "legacy"
    export_legacy(varied_store(tmp_path / "packs"), legacy)
    (legacy / "_store.json").write_text(json.dumps({"format": 2, "migrating_from": 1}))
    (legacy / "a").mkdir(exist_ok=True)
    (legacy / "a" / "00.jsonl").write_text('{"key":"half')
    with pytest.raises(UsageError, match="cassettes migrate"):
        CassetteStore(legacy).get("a", "0" * 64)
    assert migrate(legacy).entries == 40
    assert verify_store(CassetteStore(legacy)) == []


@pytest.mark.slow
def test_the_cli_refuses_an_old_folder_then_migrates_it_and_copies_between_folders(tmp_path):
    legacy = tmp_path / "legacy"
    export_legacy(varied_store(tmp_path / "packs"), legacy)
    refused = cli("cassettes", "verify", "--cassettes", str(legacy))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("error: ") and "cassettes migrate --cassettes" in refused.stderr.splitlines()[0]
    copied = cli("cassettes", "copy", "--from", str(legacy), "--cassettes", str(tmp_path / "fresh"))
    assert copied.returncode == 0 and "40 entries" in copied.stdout and "79 responses added" in copied.stdout
    migrated = cli("cassettes", "migrate", "--cassettes", str(legacy))
    assert migrated.returncode == 0 and "40 entries (79 responses)" in migrated.stdout
    assert cli("cassettes", "verify", "--cassettes", str(legacy)).returncode == 0
    again = cli("cassettes", "copy", "--from", str(legacy), "--cassettes", str(tmp_path / "fresh"))
    assert again.returncode == 0 and "0 responses added" in again.stdout
    CassetteStore(tmp_path / "other").put("a", request_key(call(0)), 0, call(0), {"text": "a different answer"}, {})
    differ = cli("cassettes", "copy", "--from", str(tmp_path / "other"), "--cassettes", str(tmp_path / "fresh"))
    assert differ.returncode == 6 and "keeps its own" in differ.stdout
    assert CassetteStore(tmp_path / "fresh").get_slot("a", request_key(call(0)), 0)["response"]["text"] == "é→0"


def test_verify_names_a_stored_completion_no_replay_could_use(tmp_path):
    """Written by an older version that stored whatever HTTP 200 carried."""
    store = CassetteStore(tmp_path)
    req = canonical_request("POST", "/chat/completions", json.dumps({"model": "m", "messages": []}).encode())
    store.put("ns", request_key(req), 0, req, {"choices": [{"message": {"content": 7}}]}, {})
    problems = verify_store(CassetteStore(tmp_path))
    assert len(problems) == 1 and "message content is not text" in problems[0]


def test_verify_names_a_file_that_looks_like_a_pack_but_is_none(tmp_path):
    put(CassetteStore(tmp_path), 1, 0)
    (tmp_path / "ns" / "a.jsonl").write_text("{}\n")  # not a pack name: its lines would never be found
    problems = verify_store(CassetteStore(tmp_path))
    assert len(problems) == 1 and "is not a pack" in problems[0]


def test_only_regular_files_inside_the_store_are_read(tmp_path):
    """A FIFO or a device named like a pack, and a symlinked folder back to `/`, are passed over with a
    warning: `verify`, `stats` and `scan` neither hang, nor read forever, nor walk the file system."""
    import os

    store = CassetteStore(tmp_path / "c")
    put(store, 1, 0)
    pack = next((tmp_path / "c").rglob("*.jsonl"))
    os.mkfifo(pack.parent / ("ff.jsonl" if pack.name != "ff.jsonl" else "fe.jsonl"))
    (pack.parent / "fd.jsonl").symlink_to("/dev/zero")
    (tmp_path / "c" / "everything").symlink_to("/")
    (tmp_path / "c" / "around").symlink_to(tmp_path)
    for action in ("verify", "stats", "scan"):
        result = cli("cassettes", action, "--cassettes", str(tmp_path / "c"), timeout=60)
        assert result.returncode == 0, (action, result.stderr)
        assert "Traceback" not in result.stderr
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
        assert any("not a regular file" in w for w in warnings) and any("not followed" in w for w in warnings)
