"""The grid's worker processes: none goes on recording (and paying) after the grid that started it is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

BUSY_GRID = textwrap.dedent(
    """
    import os, time
    from concurrent.futures import ProcessPoolExecutor
    from llambo_replay.experiments.runs.grid import _worker_dies_with_the_grid

    def busy():
        os.write(1, f"{os.getpid()}\\n".encode())  # one write: two workers' lines never interleave
        time.sleep(600)

    if __name__ == "__main__":
        pool = ProcessPoolExecutor(max_workers=2, initializer=_worker_dies_with_the_grid)
        for _ in range(2):
            pool.submit(busy)
        time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_grid_workers_end_when_the_grid_is_killed_outright():
    grid = subprocess.Popen([sys.executable, "-c", BUSY_GRID], stdout=subprocess.PIPE, text=True)
    workers = [int(grid.stdout.readline()) for _ in range(2)]
    assert all(alive(pid) for pid in workers)
    os.kill(grid.pid, signal.SIGKILL)  # no handler runs: the workers must notice by themselves
    grid.wait()
    for _ in range(100):
        if not any(alive(pid) for pid in workers):
            return
        time.sleep(0.1)
    for pid in workers:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    pytest.fail("a grid worker outlived the grid")


def test_a_cell_on_a_dask_cluster_goes_on_while_its_grid_is_connected_and_stops_once_it_is_gone():
    distributed = pytest.importorskip("distributed")
    from llambo_replay.errors import BudgetReached
    from llambo_replay.experiments.runs.grid import StopWhenSet

    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert client.submit(StopWhenSet("stop-a", client.id).check, 10, 0.0, 3, pure=False).result() is None
        gone = StopWhenSet("stop-b", "Client-of-a-grid-that-was-killed")
        with pytest.raises(BudgetReached, match="stopped after trial 3: the grid that submitted this cell is gone"):
            client.submit(gone.check, 10, 0.0, 3, pure=False).result()
        distributed.Event("stop-c", client=client).set()
        with pytest.raises(BudgetReached, match="the grid that submitted this cell was stopped"):
            client.submit(StopWhenSet("stop-c", client.id).check, 10, 0.0, 3, pure=False).result()
