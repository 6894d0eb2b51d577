"""Faults in real processes against a real loopback server: kills, concurrent recorders."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from llambo_replay.replay import CassetteStore
from llambo_replay.replay.loopback import LoopbackServer

CHILD = Path(__file__).with_name("record_child.py")
TIMEOUT_S = 120


def body_only_responder(body: dict, sample: int) -> str:
    """Deterministic in the request alone, so a resumed recording can equal an uninterrupted one."""
    from llm_responder import llambo_responder

    return llambo_responder(body, int(hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:2], 16))


def start_child(server: LoopbackServer, store: Path, mode: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), server.base_url, str(store), mode, str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, err


def requests_seen(server: LoopbackServer) -> Counter:
    return Counter(json.dumps(b, sort_keys=True) for b in server.received)


def test_a_killed_recording_resumes_without_repeating_completed_requests(tmp_path):
    with LoopbackServer(responder=body_only_responder, ignore_n=True) as reference_server:
        finish(start_child(reference_server, tmp_path / "clean", "record", tmp_path / "clean.csv"))
        uninterrupted = len(reference_server.received)

    with LoopbackServer(responder=body_only_responder, ignore_n=True, latency_s=0.01) as server:
        child = start_child(server, tmp_path / "store", "record", tmp_path / "killed.csv")
        deadline = time.monotonic() + TIMEOUT_S
        while len(server.received) < uninterrupted // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        before_kill = len(server.received)
        stored_before = sum(len(CassetteStore(tmp_path / "store").get(r.namespace, r.key)["responses"])
                            for r in CassetteStore(tmp_path / "store").iter_entries())
        assert 0 < before_kill < uninterrupted and not (tmp_path / "killed.csv").exists()

        finish(start_child(server, tmp_path / "store", "auto", tmp_path / "resumed.csv"))
        resumed = len(server.received) - before_kill

    assert CassetteStore(tmp_path / "store").verify() == []
    # only what was stored is skipped: the resumed run sends exactly the rest
    assert resumed == uninterrupted - stored_before
    assert before_kill - stored_before <= 2  # at most the requests in flight at the kill (concurrency 2) are lost
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "clean.csv").read_text()


def test_four_concurrent_recorders_of_one_run_share_one_store(tmp_path):
    with LoopbackServer(responder=body_only_responder, ignore_n=True, latency_s=0.005) as server:
        children = [start_child(server, tmp_path / "store", "auto", tmp_path / f"{i}.csv") for i in range(4)]
        for child in children:
            finish(child)
    store = CassetteStore(tmp_path / "store")
    assert store.verify() == []
    for ref in store.iter_entries():
        slots = [s["slot"] for s in store.get(ref.namespace, ref.key)["responses"]]
        assert slots == sorted(set(slots))  # every slot exactly once
    histories = {(tmp_path / f"{i}.csv").read_text() for i in range(4)}
    assert len(histories) == 1, "every recorder sees the first-stored answers, so all four agree"
    assert not list((tmp_path / "store").rglob("*.tmp"))


def test_sigterm_to_a_grid_stops_its_workers_and_exits_143(tmp_path):
    """Issue: SIGTERM to `grid --jobs 2` exited silently and left both workers recording (and paying)."""
    from llm_responder import llambo_responder

    with LoopbackServer(responder=llambo_responder, ignore_n=True, latency_s=0.02) as server:
        grid = subprocess.Popen(
            [sys.executable, "-m", "llambo_replay.cli", "grid", "--methods", "llambo", "--tasks",
             "iris/SVM,wine/SVM,breast/SVM,digits/SVM", "--seeds", "0", "--trials", "30", "--mode", "record",
             "--base-url", server.base_url, "--cassettes", str(tmp_path / "c"), "--out", str(tmp_path / "o"),
             "--no-memo", "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + TIMEOUT_S
        while len(server.received) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        grid.send_signal(signal.SIGTERM)
        _, err = grid.communicate(timeout=60)
        stopped_at = len(server.received)
        time.sleep(2.0)
        after = len(server.received)
    assert grid.returncode == 143 and "interrupted (SIGTERM)" in err and "Traceback" not in err, err
    assert after == stopped_at, f"{after - stopped_at} requests sent after the grid exited"
    assert CassetteStore(tmp_path / "c").verify() == []
