"""The cassette store at scale: write rate, lookup latency, verify, disk, files, and git, per store size N.

Entries are copies of committed ones, each with its own request: 90 % LLM exchanges (a LLAMBO
discriminative prompt, ~4 kB a line) in one namespace per run of 1,700 entries (what one LLAMBO
run at the paper's settings sends), 10 % objective evaluations in one namespace per task (with
the shared numerical environment). For each N:

- write rate: `put` (one fsync each) by 1 writer, then by 2 writer processes recording different
  runs at once, over min(N/2, 4,000) entries each; the rest of the store is filled with
  `add_entries`, a run at a time;
- lookup: `get` of 5,000 random entries in a fresh `CassetteStore` (its first read of a pack
  includes indexing that pack), median and p99;
- `verify` of the whole store; apparent and allocated size; file count;
- git: `git add -A && git commit`, `git status`, `git clone --no-local` of the store.

Usage: python scripts/bench_store.py [--sizes 1000,10000,100000,1000000] [--dir /tmp/bench-store] [--diskcache]
(--diskcache: the same entries and measurements in a diskcache store, for the comparison in docs/reliability.md)
Prints a Markdown table, then `store at N=...: lookup p99 X ms, verify Y s, git add+commit Z s, files F`.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from llambo_replay.replay.canonical import request_key
from llambo_replay.replay.storage.store import CassetteStore, slot_hash
from llambo_replay.replay.storage.verify import verify_store

REPO = Path(__file__).resolve().parent.parent
RUN_SIZE = 1700
LLM_SHARE = 0.9
LOOKUPS = 5000
TEMPLATES = {
    "llm": "smollm2-135m-instruct/discriminative-json/iris/SVM/seed0-paper-init",
    "evaluation": "evaluations/bayesmark-paper-3/iris/SVM",
}


def templates() -> dict[str, dict]:
    store = CassetteStore(REPO / "cassettes")
    return {kind: store.read(next(store.iter_entries(namespace))) for kind, namespace in TEMPLATES.items()}


def make_entry(template: dict, kind: str, i: int) -> dict:
    """A copy of the template with request number `i` (so its own key) in the namespace its kind puts it."""
    request = copy.deepcopy(template["request"])
    if kind == "llm":
        request["body"]["messages"][-1]["content"] += f"\nRequest {i}."
        namespace = f"bench-llm/discriminative-json/run{i // RUN_SIZE}"
    else:
        request["arguments"]["config"]["bench"] = i
        namespace = f"evaluations/bench/task{i % 40}"
    slot = dict(template["responses"][0])
    slot["sha256"] = slot_hash(slot)
    return {"namespace": namespace, "key": request_key(request), "request": request, "responses": [slot]}


def kind_of(i: int) -> str:
    return "evaluation" if i % 10 == 9 else "llm"  # LLM_SHARE of the entries


def put_range(root: str, numbers: list[int], start=None) -> None:
    store, base = CassetteStore(root), templates()
    if start is not None:
        start.wait()  # time the writing, not the start of a process
    for i in numbers:
        entry = make_entry(base[kind_of(i)], kind_of(i), i)
        slot = entry["responses"][0]
        store.put(entry["namespace"], entry["key"], 0, entry["request"], slot["response"], slot["meta"])


def timed(action, *args, **kwargs) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def write_rates(root: Path, n: int, writer=put_range) -> tuple[float, float, int]:
    """Entries per second with 1 writer and with 2; returns how many entries they wrote."""
    each = max(1, min(n // 2, 4000))
    one = each / timed(writer, str(root), list(range(each)))
    context = multiprocessing.get_context("spawn")
    # two recorders of different runs: entry numbers far apart, so different namespaces
    halves = [list(range(each, each + each // 2)), list(range(each + each // 2, 2 * each))]
    start = context.Barrier(3)
    workers = [context.Process(target=writer, args=(str(root), half, start)) for half in halves]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    two = each / (time.perf_counter() - began)
    return one, two, 2 * each


def fill(root: Path, start: int, n: int) -> None:
    base = templates()
    for first in range(start, n, RUN_SIZE):
        CassetteStore(root).add_entries(
            make_entry(base[kind_of(i)], kind_of(i), i) for i in range(first, min(n, first + RUN_SIZE))
        )


def lookups(root: Path, n: int) -> list[float]:
    base, store = templates(), CassetteStore(root)
    sample = random.Random(0).sample(range(n), min(n, LOOKUPS))
    wanted = [(e["namespace"], e["key"]) for e in (make_entry(base[kind_of(i)], kind_of(i), i) for i in sample)]
    times = []
    for namespace, key in wanted:
        start = time.perf_counter()
        found = store.get(namespace, key)
        times.append(time.perf_counter() - start)
        assert found is not None, (namespace, key)
    return times


def disk(root: Path) -> tuple[int, int, int]:
    apparent = allocated = files = 0
    for folder, _, names in os.walk(root):
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            apparent, allocated, files = apparent + stat.st_size, allocated + stat.st_blocks * 512, files + 1
    return apparent, allocated, files


def git(root: Path, *args: str) -> float:
    command = ["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench", "-c", "gc.auto=0", *args]
    return timed(subprocess.run, command, cwd=root, check=True, capture_output=True)


def latency(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": 1e3 * statistics.median(ordered), "p99_ms": 1e3 * ordered[int(0.99 * (len(ordered) - 1))]}


def disk_and_git(folder: Path, root: Path) -> dict[str, float]:
    """Size and file count of the store, then git's costs on it; the scratch folder is deleted after."""
    apparent, allocated, files = disk(root)
    git(root, "init", "-q")
    commit_s = git(root, "add", "-A") + git(root, "commit", "-qm", "bench")
    status_s = git(root, "status", "--porcelain")
    clone_s = git(folder, "clone", "-q", "--no-local", str(root), str(folder / "clone"))
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "apparent": apparent,
        "allocated": allocated,
        "files": files,
        "commit_s": commit_s,
        "status_s": status_s,
        "clone_s": clone_s,
    }


def bench(folder: Path, n: int) -> dict[str, float]:
    root = folder / f"store-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    root.mkdir(parents=True)
    one, two, written = write_rates(root, n)
    fill(root, written, n)
    times = lookups(root, n)
    start = time.perf_counter()
    problems = verify_store(CassetteStore(root))
    verify_s = time.perf_counter() - start
    if problems:
        raise SystemExit(f"verify found {len(problems)} problems, e.g. {problems[0]}")
    return {"n": n, "one": one, "two": two, "verify_s": verify_s, **latency(times), **disk_and_git(folder, root)}


def put_range_diskcache(root: str, numbers: list[int], start=None) -> None:
    import diskcache

    base = templates()
    with diskcache.Cache(root) as cache:
        if start is not None:
            start.wait()
        for i in numbers:
            entry = make_entry(base[kind_of(i)], kind_of(i), i)
            cache.set((entry["namespace"], entry["key"]), json.dumps(entry, sort_keys=True, separators=(",", ":")))


def bench_diskcache(folder: Path, n: int) -> dict[str, float]:
    """The same entries in diskcache (SQLite index, values in the database or beside it), for comparison."""
    import diskcache

    root = folder / f"diskcache-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    root.mkdir(parents=True)
    one, two, written = write_rates(root, n, put_range_diskcache)
    put_range_diskcache(str(root), list(range(written, n)))
    base = templates()
    sample = random.Random(0).sample(range(n), min(n, LOOKUPS))
    times = []
    with diskcache.Cache(str(root)) as cache:
        for i in sample:
            entry = make_entry(base[kind_of(i)], kind_of(i), i)
            start = time.perf_counter()
            json.loads(cache[(entry["namespace"], entry["key"])])
            times.append(time.perf_counter() - start)
    return {"n": n, "one": one, "two": two, "verify_s": float("nan"), **latency(times), **disk_and_git(folder, root)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="store sizes N, comma-separated")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-store"), help="scratch folder (deleted)")
    parser.add_argument(
        "--diskcache",
        action="store_true",
        help="store the same entries in diskcache (SQLite) instead, for comparison (no verify)",
    )
    args = parser.parse_args()
    print(
        "| N entries | write/s, 1 writer → 2 writers | lookup median / p99 | `verify` | disk (apparent, allocated) "
        "| files | `git add && commit` | `git status` | `git clone --no-local` |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in (int(size) for size in args.sizes.split(",")):
        r = (bench_diskcache if args.diskcache else bench)(args.dir, n)
        print(
            f"| {n:,} | {r['one']:,.0f} → {r['two']:,.0f} | {r['median_ms']:.2f} / {r['p99_ms']:.2f} ms "
            f"| {r['verify_s']:.1f} s | {r['apparent'] / 1e6:,.0f} MB, {r['allocated'] / 1e6:,.0f} MB "
            f"| {r['files']:,} | {r['commit_s']:.1f} s | {r['status_s']:.2f} s | {r['clone_s']:.1f} s |",
            flush=True,
        )
    print(
        f"store at N={r['n']}: lookup p99 {r['p99_ms']:.2f} ms, verify {r['verify_s']:.1f} s, "
        f"git add+commit {r['commit_s']:.1f} s, files {r['files']}"
    )


if __name__ == "__main__":
    main()
