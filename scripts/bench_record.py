"""Record throughput: a LLAMBO-shaped burst against a slow, concurrency-limited loopback endpoint.

The server adds latency to every answer and returns 429 (Retry-After) beyond its concurrency
limit. Reports the achieved concurrency as a fraction of the allowed one and checks that no
429 was ever stored.

Usage: python scripts/bench_record.py [--latency 0.2] [--limit 4] [--requests 120]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--limit", type=int, default=4, help="the endpoint's concurrency limit")
    parser.add_argument("--requests", type=int, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer(latency_s=args.latency, max_concurrency=args.limit) as server:
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
    print(f"{args.requests} requests, {args.latency * 1e3:.0f} ms latency, limit {args.limit}: wall {wall:.2f} s "
          f"(ideal {ideal:.2f} s)")
    print(f"server answered: {statuses}; peak in flight {server.peak_in_flight}")
    print(f"entries stored: {len(stored)}; containing a 429: {stored_429}")
    print(f"summary: achieved concurrency / allowed = {achieved / args.limit:.2f}; 429s stored = {stored_429}")


if __name__ == "__main__":
    main()
