"""Where a replayed run's time goes: LLAMBO's own work vs objective memo lookups and the engine.

Replays a committed run (default: the demo) three ways:
  1. objective evaluations alone: the run's configurations evaluated (models trained), no LLM;
  2. a replay with a cold objective memo (trains every model once, fills the memo);
  3. a replay with the warm memo, under cProfile: the time inside the engine (cassette lookups
     through the openai client) and inside memo lookups vs everything else (prompt building,
     parsing, pandas), i.e. the harness's own overhead.

Usage: python scripts/bench_run_overhead.py [--manifest results/recorded/demo/iris/SVM/0.manifest.json]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import pandas as pd

from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.bayesmark.objective import evaluate
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.experiments.runs.run_spec import spec_from_manifest
from llambo_replay.experiments.runs.runner import run
from llambo_replay.replay import RecordMode


def replay(spec, memo, scratch: Path, cassettes: Path) -> float:
    start = time.perf_counter()
    run(spec, RecordMode.REPLAY, scratch, cassettes, "http://replay.invalid/v1", memo, progress=False)
    return time.perf_counter() - start


def cumulative(stats: pstats.Stats, needle: str) -> float:
    return sum(row[3] for func, row in stats.stats.items() if needle in f"{func[0]}:{func[2]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=Path("results/recorded/demo/iris/SVM/0.manifest.json"))
    parser.add_argument("--cassettes", type=Path, default=Path("cassettes"))
    args = parser.parse_args()
    spec = spec_from_manifest(args.manifest)
    history = pd.read_csv(args.manifest.with_name(args.manifest.name.replace(".manifest.json", ".csv")))
    task = load_task(spec.dataset, spec.model)
    configs = history[task.space.names].to_dict("records")

    start = time.perf_counter()
    for config in configs:
        evaluate(task, task.space.typed(config))
    objective_only = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        memo = ObjectiveMemo(Path(tmp) / "memo")
        cold = replay(spec, memo, Path(tmp) / "a", args.cassettes)
        profiler = cProfile.Profile()
        profiler.enable()
        warm = replay(spec, memo, Path(tmp) / "b", args.cassettes)
        profiler.disable()
        memo.close()
    stats = pstats.Stats(profiler)
    engine = cumulative(stats, "llambo/engine.py:chat") + cumulative(stats, "llambo/engine.py:complete")
    lookups = cumulative(stats, "bench/memo.py:memoised")
    total = cumulative(stats, "bench/runner.py:run")
    outside = total - engine - lookups
    print(f"run: {spec.dataset}/{spec.model} seed {spec.seed}, {len(configs)} evaluations")
    print(f"objective evaluations alone (training):        {objective_only:8.3f} s")
    print(
        f"replay, cold objective memo:                   {cold:8.3f} s  ({cold / objective_only:.2f}x the evaluations)"
    )
    print(
        f"replay, warm objective memo:                   {warm:8.3f} s  ({warm / objective_only:.2f}x the evaluations)"
    )
    print(f"  under cProfile: engine (cassette replay)     {engine:8.3f} s")
    print(f"                  objective memo lookups       {lookups:8.3f} s")
    print(f"                  everything else (LLAMBO)     {outside:8.3f} s  ({outside / total:.1%} of the run)")
    print("top functions by own time:")
    stats.sort_stats("tottime").print_stats(8)
    print(
        f"summary: warm replay / evaluations = {warm / objective_only:.3f}; "
        f"share outside engine+memo = {outside / total:.1%}"
    )


if __name__ == "__main__":
    main()
