"""Many (method, task, seed) cells: resumable, with a progress bar, on local processes or a Dask cluster.

A cell is done when its manifest exists; a rerun skips it. Cells of one grid write to
different cassette namespaces, and the store's locked atomic writes make concurrent
workers on one folder safe, so stores from different workers merge without conflicts.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import re
import signal
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from llambo_replay.errors import BudgetReached, LlamboReplayError, UsageError
from llambo_replay.experiments.runs.baseline_run import run_baseline
from llambo_replay.experiments.runs.baselines import REGISTRY
from llambo_replay.experiments.runs.run_spec import RunSpec
from llambo_replay.experiments.runs.runner import Budget, run
from llambo_replay.replay import RecordMode
from llambo_replay.replay.http.rate_limit import process_pace

METHODS = ("llambo", *REGISTRY)


@dataclass(frozen=True)
class Cell:
    method: str
    spec: RunSpec

    @property
    def label(self) -> str:
        return f"{self.method} {self.spec.dataset}/{self.spec.model} seed {self.spec.seed}"


@dataclass(frozen=True)
class GridOptions:
    out: Path
    cassettes: Path
    mode: RecordMode
    base_url: str | None
    memo_dir: Path | None
    concurrency: int
    timeout_s: float = 120.0
    budget: Budget | None = None  # per LLAMBO cell
    pace: tuple[int | None, int | None] = (None, None)  # requests and tokens per minute, per process


def cells(methods: list[str], tasks: list[tuple[str, str]], seeds: list[int], base: RunSpec) -> list[Cell]:
    """Every (method, task, seed), tasks being (dataset, model) pairs."""
    from llambo_replay.bayesmark.tasks import DATASETS, MODELS

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"unknown method {unknown[0]!r}; choose from: {', '.join(METHODS)}")
    for dataset, model in tasks:
        if dataset not in DATASETS or model not in MODELS:
            raise UsageError(
                f"unknown task {dataset}/{model}; datasets: {', '.join(DATASETS)}; models: {', '.join(MODELS)}"
            )
    return [
        Cell(method, replace(base, dataset=d, model=m, seed=s))
        for method, (d, m), s in itertools.product(methods, tasks, seeds)
    ]


def is_done(cell: Cell, out: Path) -> bool:
    """A cell is done when its manifest is a complete one (a truncated file means the cell is redone)."""
    from llambo_replay.experiments.results.manifests import read_manifest

    path = cell.spec.outputs(out / cell.method)["manifest"]
    try:
        return path.is_file() and bool(read_manifest(path))
    except UsageError:
        return False


def run_cell(cell: Cell, options: GridOptions) -> LlamboReplayError | None:
    """Run one cell in this process; returns None or its error (a failed cell never stops the grid)."""
    from llambo_replay.bayesmark.memo import ObjectiveMemo

    memo = ObjectiveMemo(options.memo_dir) if options.memo_dir else None
    try:
        if cell.method == "llambo":
            run(
                cell.spec,
                options.mode,
                options.out / "llambo",
                options.cassettes,
                options.base_url,
                memo,
                options.concurrency,
                progress=False,
                timeout_s=options.timeout_s,
                budget=options.budget,
                rate_limit=process_pace(*options.pace),
            )
        else:
            run_baseline(cell.method, cell.spec, options.out / cell.method, options.cassettes, options.mode, memo)
        return None
    except LlamboReplayError as exc:
        return exc
    finally:
        if memo:
            memo.close()


def run_grid(
    todo: list[Cell], options: GridOptions, jobs: int, scheduler: str | None = None
) -> dict[str, LlamboReplayError]:
    """Run the cells not yet done; returns {label: error} for the ones that failed."""
    from llambo_replay.progress import progress_bar

    pending = [c for c in todo if not is_done(c, options.out)]
    failures: dict[str, LlamboReplayError] = {}
    bar = progress_bar(total=len(todo), initial=len(todo) - len(pending), desc="grid", unit="cell")
    try:
        for cell, error in _execute(pending, options, jobs, scheduler):
            if error is not None:
                failures[cell.label] = error
            bar.set_postfix(failed=len(failures))
            bar.update(1)
    finally:
        bar.close()
    return failures


SCHEDULER_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss)://)?[A-Za-z0-9._-]+:\d{1,5}$|^(?:tcp|tls|ws|wss)://\[[0-9a-fA-F:]+\]:\d{1,5}$"
)
SCHEDULER_TIMEOUT_S = 10


def check_scheduler(address: str) -> str:
    """A Dask scheduler address as `tcp://HOST:PORT`; anything else is refused before any work."""
    if not SCHEDULER_ADDRESS.match(address):
        raise UsageError(f"--scheduler {address!r} is not a Dask scheduler address such as tcp://127.0.0.1:8786")
    return address


@dataclass(frozen=True)
class StopWhenSet:
    """A cell's budget on a Dask cluster: it also stops at the next trial boundary once the grid that
    submitted it is stopped (Ctrl-C, SIGTERM) or gone (killed: its client is no longer connected to the
    scheduler), so no worker goes on recording (and paying) for nobody."""

    event: str
    client_id: str
    budget: Budget | None = None

    def check(self, requests: int, cost_usd: float, trial: int) -> None:
        from distributed import Event, get_client

        if Event(self.event).is_set():
            raise BudgetReached(f"stopped after trial {trial}: the grid that submitted this cell was stopped")
        connected = get_client().run_on_scheduler(
            lambda client_id, dask_scheduler: client_id in dask_scheduler.clients, self.client_id
        )
        if not connected:
            raise BudgetReached(f"stopped after trial {trial}: the grid that submitted this cell is gone")
        if self.budget:
            self.budget.check(requests, cost_usd, trial)


def _for_workers(
    pending: list[Cell], options: GridOptions, stop: str, client_id: str
) -> tuple[list[Cell], GridOptions]:
    """Cells and options as a remote worker must see them: absolute paths (its working folder is not ours)
    and a budget that watches the grid's stop event."""

    def absolute(path: Path | None) -> Path | None:
        return None if path is None else Path(path).resolve()

    cells_ = [
        replace(c, spec=replace(c.spec, reference=str(absolute(Path(c.spec.reference))))) if c.spec.reference else c
        for c in pending
    ]
    return cells_, replace(
        options,
        out=absolute(options.out),
        cassettes=absolute(options.cassettes),
        memo_dir=absolute(options.memo_dir),
        budget=StopWhenSet(stop, client_id, options.budget),
    )


PR_SET_PDEATHSIG = 1  # Linux prctl(2): the signal a process gets when its parent dies


def _worker_dies_with_the_grid() -> None:
    """A pool worker ends on SIGTERM (it inherits the command line's handler; the grid stops workers so) and
    when the process that started it dies, even by SIGKILL, which leaves no chance to stop it: Linux's
    parent-death signal, so that no worker goes on recording, and paying, alone. Elsewhere only the first."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the signal was asked for
        os._exit(1)


def _execute(pending: list[Cell], options: GridOptions, jobs: int, scheduler: str | None) -> Any:
    if scheduler:
        try:
            from distributed import Client, Event
            from distributed import as_completed as dask_completed
        except ImportError:
            raise UsageError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        try:
            client = Client(check_scheduler(scheduler), timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(
                f"cannot reach the Dask scheduler {scheduler} within {SCHEDULER_TIMEOUT_S} s "
                f"({exc.__class__.__name__}); check that it is up"
            ) from None
        stop = f"llambo-replay-stop-{uuid.uuid4().hex}"
        remote_cells, remote_options = _for_workers(pending, options, stop, client.id)
        futures: dict[Any, Cell] = {}
        finished = False
        try:
            futures = {
                client.submit(run_cell, remote, remote_options, pure=False): cell
                for remote, cell in zip(remote_cells, pending)
            }
            for future in dask_completed(futures):
                yield futures[future], future.result()
            finished = True
        finally:
            if not finished:  # running cells stop at their next trial boundary; queued ones never start
                Event(stop, client=client).set()
                client.cancel(list(futures))
            client.close()
    elif jobs <= 1:
        for cell in pending:
            yield cell, run_cell(cell, options)
    else:
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_dies_with_the_grid)
        finished = False
        try:
            futures = {pool.submit(run_cell, cell, options): cell for cell in pending}
            for future in as_completed(futures):
                yield futures[future], future.result()
            finished = True
        finally:
            if not finished:  # Ctrl-C, SIGTERM or a failure here: no worker may go on recording (and paying)
                for process in list((pool._processes or {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
