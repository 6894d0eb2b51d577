"""Recording cost: throughput against a slow loopback endpoint, and the prompt-cache speed-up on a real one.

Loopback (default): a LLAMBO-shaped burst against an endpoint that adds latency to every answer and
returns 429 (Retry-After) beyond its concurrency limit; reports the achieved concurrency as a fraction
of the allowed one and checks that no 429 was ever stored.

Real endpoint (--endpoint URL, e.g. `llambo-replay serve-local`'s): records the first --trials trials
of the demo run twice into fresh temporary stores, once sending requests in LLAMBO's own order and once
in prefix order (the default, see `llambo.engine.REQUEST_ORDERS`), and reports the speed-up in time per
request (the model samples, so the two recordings need not ask exactly the same requests; that the
order changes no key, slot or answer is a test, tests/llambo/test_llambo.py). Run it with nothing else using
the server.

Usage: python scripts/bench_record.py [--latency 0.2] [--limit 4] [--requests 120]
       python scripts/bench_record.py --endpoint http://127.0.0.1:8080/v1 [--trials 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from llambo_replay.llambo import Engine
from llambo_replay.llambo.engine import Sampling
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.loopback import LoopbackServer


def loopback(args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        LoopbackServer(latency_s=args.latency, max_concurrency=args.limit) as server,
    ):
        transport = make_transport(CassetteStore(tmp), "bench/record", RecordMode.RECORD, server.base_url)
        engine = Engine(open_async_client(transport), "bench", max_concurrency=args.limit)
        prompts = [f"prompt {i}" for i in range(args.requests)]
        start = time.perf_counter()
        engine.chat(prompts, 1, Sampling(0.7, 0.95, 8))
        wall = time.perf_counter() - start
        engine.close()
        stored = [json.loads(p.read_text()) for p in Path(tmp).rglob("*.json")]
    ideal = args.requests * args.latency / args.limit
    achieved = args.requests * args.latency / wall
    statuses = dict(server.status_counts)
    stored_429 = sum("too many requests" in json.dumps(e) for e in stored)
    print(
        f"{args.requests} requests, {args.latency * 1e3:.0f} ms latency, limit {args.limit}: wall {wall:.2f} s "
        f"(ideal {ideal:.2f} s)"
    )
    print(f"server answered: {statuses}; peak in flight {server.peak_in_flight}")
    print(f"entries stored: {len(stored)}; containing a 429: {stored_429}")
    print(f"summary: achieved concurrency / allowed = {achieved / args.limit:.2f}; 429s stored = {stored_429}")


def record_demo(endpoint: str, trials: int, order: str, folder: Path) -> tuple[float, int]:
    """Record the first `trials` trials of the demo into `folder`; (seconds, requests)."""
    from llambo_replay.cli import PRESETS
    from llambo_replay.experiments.runs.run_spec import RunSpec
    from llambo_replay.experiments.runs.runner import run
    from llambo_replay.llambo import LlamboSettings
    from llambo_replay.llambo.surrogate import SurrogateSettings

    demo = PRESETS["demo"]
    settings = LlamboSettings(
        n_trials=trials,
        protocol=str(demo["protocol"]),
        surrogate_settings=SurrogateSettings(n_gens=int(demo["n_gens"])),
    )
    spec = RunSpec(llm_model=str(demo["llm_model"]), settings=settings)
    start = time.perf_counter()
    outcome = run(
        spec,
        RecordMode.RECORD,
        folder / "out",
        folder / "cassettes",
        endpoint,
        None,
        concurrency=int(demo["concurrency"]),
        progress=True,
        request_order=order,
    )
    return time.perf_counter() - start, outcome.manifest["llm"]["requests"]


def real(args: argparse.Namespace) -> None:
    per_request = {}
    with tempfile.TemporaryDirectory() as tmp:
        for order in ("program", "prefix"):
            seconds, requests = record_demo(args.endpoint, args.trials, order, Path(tmp) / order)
            per_request[order] = seconds / requests
            print(f"{order:8} order: {requests} requests in {seconds:7.1f} s ({per_request[order]:.2f} s per request)")
    print(
        f"summary: prefix-order recording speed-up = {per_request['program'] / per_request['prefix']:.2f}x "
        f"per request ({args.trials} demo trial(s), {args.endpoint})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--limit", type=int, default=4, help="the endpoint's concurrency limit")
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--endpoint", default=None, help="a real OpenAI-compatible endpoint serving the demo's model")
    parser.add_argument("--trials", type=int, default=2, help="demo trials recorded per order (--endpoint)")
    args = parser.parse_args()
    real(args) if args.endpoint else loopback(args)


if __name__ == "__main__":
    main()
