"""Child process for the fault tests: record (or resume) a short LLAMBO loop into a store."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(TESTS), str(TESTS / "llambo")]  # the shared helpers, and test_llambo's task it records

from test_llambo import CONTEXT, SPACE, quadratic  # noqa: E402

from llambo_replay.experiments.runs.runner import history_csv  # noqa: E402
from llambo_replay.llambo import Engine, LlamboSettings, optimise  # noqa: E402
from llambo_replay.llambo.sampler import SamplerSettings  # noqa: E402
from llambo_replay.llambo.surrogate import SurrogateSettings  # noqa: E402
from llambo_replay.replay import CassetteStore, make_transport, open_async_client, parse_mode  # noqa: E402

SETTINGS = LlamboSettings(
    n_initial=4,
    n_trials=4,
    protocol="paper",
    sampler=SamplerSettings(n_candidates=4, n_templates=2, policy="robust"),
    surrogate_settings=SurrogateSettings(n_templates=2, n_gens=3),
)


def main(base_url: str, store_dir: str, mode: str, out: str) -> None:
    transport = make_transport(CassetteStore(store_dir), "faults/run", parse_mode(mode), base_url)
    engine = Engine(open_async_client(transport), "loopback-model", max_concurrency=2)
    try:
        result = optimise(CONTEXT, SPACE, quadratic, engine, np.random.default_rng(5), SETTINGS)
    finally:
        engine.close()
    Path(out).write_text(history_csv(result.history))


if __name__ == "__main__":
    main(*sys.argv[1:])
