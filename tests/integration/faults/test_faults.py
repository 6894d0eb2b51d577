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
from contextlib import contextmanager
from pathlib import Path

import pytest
from cassette_helpers import synthetic_store

from llambo_replay.replay import CassetteStore
from llambo_replay.replay.loopback import LoopbackServer
from llambo_replay.replay.storage.verify import verify_store

CHILD = Path(__file__).with_name("record_child.py")
TIMEOUT_S = 120


def body_only_responder(body: dict, sample: int) -> str:
    """Deterministic in the request alone, so a resumed recording can equal an uninterrupted one."""
    from llm_responder import llambo_responder

    return llambo_responder(body, int(hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:2], 16))


def start_child(server: LoopbackServer, store: Path, mode: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), server.base_url, str(store), mode, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, err


def requests_seen(server: LoopbackServer) -> Counter:
    return Counter(json.dumps(b, sort_keys=True) for b in server.received)


@pytest.mark.slow
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
        stored_before = sum(
            len(CassetteStore(tmp_path / "store").get(r.namespace, r.key)["responses"])
            for r in CassetteStore(tmp_path / "store").iter_entries()
        )
        assert 0 < before_kill < uninterrupted and not (tmp_path / "killed.csv").exists()

        finish(start_child(server, tmp_path / "store", "auto", tmp_path / "resumed.csv"))
        resumed = len(server.received) - before_kill

    assert verify_store(CassetteStore(tmp_path / "store")) == []
    # only what was stored is skipped: the resumed run sends exactly the rest
    assert resumed == uninterrupted - stored_before
    assert before_kill - stored_before <= 2  # at most the requests in flight at the kill (concurrency 2) are lost
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "clean.csv").read_text()


@pytest.mark.slow
def test_four_concurrent_recorders_of_one_run_share_one_store(tmp_path):
    with LoopbackServer(responder=body_only_responder, ignore_n=True, latency_s=0.005) as server:
        children = [start_child(server, tmp_path / "store", "auto", tmp_path / f"{i}.csv") for i in range(4)]
        for child in children:
            finish(child)
    store = CassetteStore(tmp_path / "store")
    assert verify_store(store) == []
    for ref in store.iter_entries():
        slots = [s["slot"] for s in store.get(ref.namespace, ref.key)["responses"]]
        assert slots == sorted(set(slots))  # every slot exactly once
    histories = {(tmp_path / f"{i}.csv").read_text() for i in range(4)}
    assert len(histories) == 1, "every recorder sees the first-stored answers, so all four agree"
    assert not list((tmp_path / "store").rglob("*.tmp"))


def start_recording_grid(
    server: LoopbackServer, cassettes: object, out: object, *extra: str, wait_for: int, cwd: Path | None = None
) -> subprocess.Popen:
    """`grid` recording four LLAMBO cells of 30 trials from `server`, once `wait_for` requests reached it."""
    grid = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llambo_replay.cli",
            "grid",
            "--methods",
            "llambo",
            "--tasks",
            "iris/SVM,wine/SVM,breast/SVM,digits/SVM",
            "--seeds",
            "0",
            "--trials",
            "30",
            "--mode",
            "record",
            "--base-url",
            server.base_url,
            "--cassettes",
            str(cassettes),
            "--out",
            str(out),
            "--no-memo",
            *extra,
        ],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT_S
    while len(server.received) < wait_for and time.monotonic() < deadline:
        time.sleep(0.05)
    return grid


@pytest.mark.slow
def test_sigterm_to_a_grid_stops_its_workers_and_exits_143(tmp_path):
    """SIGTERM to `grid --jobs 2` stops both workers and exits 143 with one line."""
    from llm_responder import llambo_responder

    with LoopbackServer(responder=llambo_responder, ignore_n=True, latency_s=0.02) as server:
        grid = start_recording_grid(server, tmp_path / "c", tmp_path / "o", "--jobs", "2", wait_for=40)
        grid.send_signal(signal.SIGTERM)
        _, err = grid.communicate(timeout=60)
        stopped_at = len(server.received)
        time.sleep(2.0)
        after = len(server.received)
    assert grid.returncode == 143 and "interrupted (SIGTERM)" in err and "Traceback" not in err, err
    assert after == stopped_at, f"{after - stopped_at} requests sent after the grid exited"
    assert verify_store(CassetteStore(tmp_path / "c")) == []


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
def test_a_grid_worker_killed_by_the_system_is_one_line_and_exit_9(tmp_path):
    """A grid worker killed by the system is one line and exit 9."""
    from llm_responder import llambo_responder

    with LoopbackServer(responder=llambo_responder, ignore_n=True, latency_s=0.02) as server:
        grid = start_recording_grid(server, tmp_path / "c", tmp_path / "o", "--jobs", "2", wait_for=20)
        os.kill(_children(grid.pid)[0], signal.SIGKILL)  # what the OOM killer does
        _, err = grid.communicate(timeout=60)
        stopped_at = len(server.received)
        time.sleep(1.0)
        after = len(server.received)
    assert grid.returncode == 9 and "Traceback" not in err, err
    assert err.splitlines()[-1].startswith("error: a worker process died"), err
    assert after == stopped_at, f"{after - stopped_at} requests sent after the grid exited"
    assert verify_store(CassetteStore(tmp_path / "c")) == []


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_a_rerun_completes_losing_nothing(tmp_path):
    """A full disk is one line, and a rerun completes losing nothing. A file-size limit is the same refusal
    from the kernel (EFBIG instead of ENOSPC) and needs no privileges to set up."""
    import resource

    source = tmp_path / "source"
    synthetic_store(source)  # packs of up to ~30 kB, more than the limit below
    command = [
        sys.executable,
        "-m",
        "llambo_replay.cli",
        "cassettes",
        "copy",
        "--from",
        str(source),
        "--cassettes",
        str(tmp_path / "c"),
    ]

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))

    full = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, preexec_fn=small_files)
    assert full.returncode == 9 and "Traceback" not in full.stderr, full.stderr
    assert full.stderr.startswith("error: File too large") and "rerun to resume" in full.stderr, full.stderr
    again = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert again.returncode == 0, again.stderr
    copied, original = CassetteStore(tmp_path / "c"), CassetteStore(source)
    assert verify_store(copied) == []
    assert sum(1 for _ in copied.iter_entries()) == sum(1 for _ in original.iter_entries())


def _settled(server: LoopbackServer, quiet_s: float = 3.0, limit_s: float = 90.0) -> bool:
    """Whether the server stops receiving requests (quiet for `quiet_s`) within `limit_s`."""
    deadline, seen, since = time.monotonic() + limit_s, len(server.received), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if len(server.received) != seen:
            seen, since = len(server.received), time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return True
    return False


@contextmanager
def recording_on_a_dask_cluster(cassettes: object, out: object, cwd: Path | None = None):
    """A loopback server and a local Dask cluster, and `grid --scheduler` recording on it from the server."""
    distributed = pytest.importorskip("distributed")
    from llm_responder import llambo_responder

    with (
        LoopbackServer(responder=llambo_responder, ignore_n=True, latency_s=0.02) as server,
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
    ):
        yield (
            server,
            start_recording_grid(
                server, cassettes, out, "--scheduler", cluster.scheduler_address, wait_for=40, cwd=cwd
            ),
        )


@pytest.mark.slow
def test_sigterm_to_a_grid_on_a_dask_cluster_stops_its_cells_and_relative_paths_are_ours(tmp_path):
    """Under --scheduler, relative paths are this side's, and SIGTERM stops the cells running on the cluster."""
    with recording_on_a_dask_cluster("rel_c", "rel_o", cwd=tmp_path) as (server, grid):
        grid.send_signal(signal.SIGTERM)
        _, err = grid.communicate(timeout=60)
        assert _settled(server), "the cluster went on recording after the grid was stopped"
    assert grid.returncode == 143 and "interrupted (SIGTERM)" in err and "Traceback" not in err, err
    assert verify_store(CassetteStore(tmp_path / "rel_c")) == []
    assert sum(1 for _ in CassetteStore(tmp_path / "rel_c").iter_entries()) > 0
    assert not list(tmp_path.rglob("*.manifest.json")), "a cell ran to its end after the grid was stopped"


@pytest.mark.slow
def test_a_grid_killed_on_a_dask_cluster_leaves_no_cell_running_nor_starting(tmp_path):
    """SIGKILL gives the grid no chance to stop its cells: the cells see that its client is gone from the
    scheduler and stop at their next trial boundary; the queued ones are released with the client."""
    with recording_on_a_dask_cluster(tmp_path / "c", tmp_path / "o") as (server, grid):
        grid.kill()
        grid.communicate(timeout=60)
        assert _settled(server), "the cluster went on recording after the grid was killed"
    assert verify_store(CassetteStore(tmp_path / "c")) == []
    assert not list(tmp_path.rglob("*.manifest.json")), "a cell ran to its end after the grid was killed"
