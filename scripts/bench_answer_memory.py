"""Peak memory of recording large answers with several requests in flight.

A loopback server (in its own process, so that its memory is not counted) answers every request with
a completion of about SIZE MB; CONCURRENCY threads send distinct requests through one recording
transport. Printed: the recording process's peak resident memory. Answers above the spooling
threshold are judged and stored one at a time (`llambo_replay/replay/http/spool.py`), so the peak
should hardly grow with the concurrency.

    python scripts/bench_answer_memory.py [SIZE_MB] [CONCURRENCY ...]     (default: 50, then 1 and 4)
"""

from __future__ import annotations

import multiprocessing
import resource
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor


def _serve(size_mb: int, port: multiprocessing.Queue) -> None:
    from llambo_replay.replay.loopback import LoopbackServer

    def large(body: dict, sample: int) -> str:
        text = body["messages"][0]["content"]
        return text * (size_mb * 2**20 // len(text))

    with LoopbackServer(responder=large) as server:
        port.put(server.base_url)
        multiprocessing.Event().wait()


def measure(base_url: str, concurrency: int) -> None:
    from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_client

    with tempfile.TemporaryDirectory() as folder:
        transport = make_transport(CassetteStore(folder), "bench/memory", RecordMode.RECORD, base_url)
        client = open_client(transport)

        def ask(i: int) -> int:
            messages = [{"role": "user", "content": f"answer {concurrency}-{i} "}]
            return len(client.chat.completions.create(model="m", messages=messages).choices[0].message.content)

        with ThreadPoolExecutor(concurrency) as pool:
            sizes = list(pool.map(ask, range(concurrency)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"concurrency {concurrency}: {len(sizes)} answers of {sizes[0] / 2**20:.0f} MB, peak RSS {peak_mb:,.0f} MB")


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:  # one measurement per process, so that peaks do not carry over
        measure(sys.argv[2], int(sys.argv[3]))
        return
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    levels = [int(c) for c in sys.argv[2:]] or [1, 4]
    port: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(size_mb, port), daemon=True)
    server.start()
    base_url = port.get(timeout=30)
    try:
        for concurrency in levels:
            subprocess.run([sys.executable, __file__, "--measure", base_url, str(concurrency)], check=True)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
