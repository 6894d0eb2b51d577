"""Replay speed: our content-addressed store vs vcrpy vs the SDK floor, for N recorded exchanges.

For each N it records N LLAMBO-sized chat exchanges (~1.5 kB prompts) into (a) our cassette
store and (b) a vcrpy cassette (JSON serializer, matching on method, path and body), then
replays them through the official openai client and reports the median time per request.
(c) is the openai client over a transport that returns one fixed response: the floor no cache
can beat. vcrpy scans its cassette for every request, so its cost grows with an entry's
position; at large N an evenly spaced sample of requests is replayed and its mean reported
(an unbiased estimate of the full replay's mean), which keeps this script under a few minutes.

Usage: python scripts/bench_replay.py [--sizes 100,500,2000,10000] [--sample 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx2
import numpy as np
import openai

from llambo_replay.replay import CassetteStore, RecordMode, ReplayTransport, open_client
from llambo_replay.replay.canonical import canonical_request, request_key

BASE_URL = "http://bench.invalid/v1"


def prompt(i: int) -> str:
    rows = "".join(
        f"\nHyperparameter configuration: C is {10 + (i * 7 + j) % 900}, gamma is 0.{(i + j) % 9000:04d}, "
        f"tol is 0.{(i * 3 + j) % 90000:05d}\nPerformance: ## 0.{(i * 13 + j) % 1000000:06d} ##"
        for j in range(14)
    )
    return (
        "The following are hyperparameter configurations for a SVM and the corresponding performance measured "
        f"in accuracy. Request {i}." + rows + "\nHyperparameter configuration: C is 5\nPerformance: "
    )


def body(i: int) -> dict:
    return {
        "model": "bench",
        "messages": [{"role": "system", "content": "You are an AI assistant."}, {"role": "user", "content": prompt(i)}],
        "temperature": 0.7,
        "top_p": 0.95,
        "max_tokens": 8,
        "n": 1,
    }


def response(i: int) -> dict:
    return {
        "id": f"r{i}",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": f"## 0.{i:06d} ##"}}
        ],
        "usage": {"prompt_tokens": 400, "completion_tokens": 6, "total_tokens": 406},
    }


def ask(client: openai.OpenAI, i: int) -> float:
    b = body(i)
    start = time.perf_counter()
    client.chat.completions.create(
        model=b["model"],
        messages=b["messages"],
        temperature=b["temperature"],
        top_p=b["top_p"],
        max_tokens=b["max_tokens"],
        n=b["n"],
    )
    return time.perf_counter() - start


def ours(n: int, folder: Path, order: list[int]) -> tuple[float, float]:
    store = CassetteStore(folder)
    for i in range(n):
        canonical = canonical_request("POST", "/chat/completions", json.dumps(body(i)).encode())
        store.put("bench", request_key(canonical), 0, canonical, response(i), {"usage": response(i)["usage"]})
    start = time.perf_counter()
    client = open_client(ReplayTransport(CassetteStore(folder), "bench", RecordMode.REPLAY, BASE_URL))
    load = time.perf_counter() - start
    return load, statistics.median(ask(client, i) for i in order)


def vcrpy(n: int, folder: Path, order: list[int]) -> tuple[float, float]:
    import vcr
    from vcr.cassette import Cassette
    from vcr.request import Request

    path = folder / "vcr.json"
    from vcr.serializers import jsonserializer

    cassette = Cassette(str(path), serializer=jsonserializer, record_mode="all")
    for i in range(n):
        request = Request(
            "POST", f"{BASE_URL}/chat/completions", json.dumps(body(i)).encode(), {"content-type": "application/json"}
        )
        cassette.append(
            request,
            {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": json.dumps(response(i)).encode()},
            },
        )
    cassette._save(force=True)
    recorder = vcr.VCR(serializer="json", record_mode="none", match_on=["method", "path", "body"])
    start = time.perf_counter()
    with recorder.use_cassette(str(path)):
        load = time.perf_counter() - start
        client = openai.OpenAI(base_url=BASE_URL, api_key="bench", max_retries=0)
        times = [ask(client, i) for i in order]
    return load, statistics.mean(times)


def floor(order: list[int]) -> float:
    fixed = json.dumps(response(0)).encode()
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(200, content=fixed, headers={"content-type": "application/json"})
    )
    client = openai.OpenAI(
        base_url=BASE_URL, api_key="bench", max_retries=0, http_client=httpx2.Client(transport=transport)
    )
    return statistics.median(ask(client, i) for i in order)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,2000,10000")
    parser.add_argument("--sample", type=int, default=60, help="requests replayed per N (evenly spaced)")
    args = parser.parse_args()
    print(
        f"{'N':>6} {'floor ms':>9} {'ours ms':>8} {'ours-floor us':>13} {'ours load ms':>12} "
        f"{'vcrpy ms':>9} {'vcrpy load s':>12} {'vcrpy/ours':>10}"
    )
    speedups = {}
    for n in (int(x) for x in args.sizes.split(",")):
        order = sorted({int(x) for x in np.linspace(0, n - 1, min(args.sample, n))})
        with tempfile.TemporaryDirectory() as tmp:
            ours_load, ours_t = ours(n, Path(tmp) / "ours", order)
            vcr_load, vcr_t = vcrpy(n, Path(tmp), order)
        floor_t = floor(order)
        speedups[n] = vcr_t / ours_t
        print(
            f"{n:6d} {floor_t * 1e3:9.3f} {ours_t * 1e3:8.3f} {(ours_t - floor_t) * 1e6:13.0f} {ours_load * 1e3:12.3f} "
            f"{vcr_t * 1e3:9.2f} {vcr_load:12.2f} {speedups[n]:10.0f}",
            flush=True,
        )
    print(f"(vcrpy: mean over {args.sample} evenly spaced requests per N; ours and floor: median)")
    if 2000 in speedups:
        print(f"replay speedup vs vcrpy at N=2000: {speedups[2000]:.0f}x")


if __name__ == "__main__":
    main()
