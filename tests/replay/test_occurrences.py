"""Identical requests in flight together replay to the caller that sent them, whatever order they reach
the transport in. The order is shuffled on purpose: a random delay in front of the transport stands for
the awaits a client makes before it (the openai SDK's first-request platform probe, a framework's hooks)."""

from __future__ import annotations

import asyncio
import random

import pytest
from llm_responder import llambo_responder

from llambo_replay.experiments.runs.run_spec import RunSpec
from llambo_replay.experiments.runs.runner import run
from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.loop import LlamboSettings
from llambo_replay.llambo.sampler import SamplerSettings
from llambo_replay.llambo.surrogate import SurrogateSettings
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.http.transport import OFFLINE_URL, ReplayTransport
from llambo_replay.replay.loopback import LoopbackServer
from llambo_replay.replay.occurrences import Batch

REPLAYS = 10


@pytest.fixture
def shuffled_arrivals(monkeypatch):
    """Every async request waits 0-5 ms before it reaches the transport; `.seed(k)` draws other delays."""
    delays = random.Random(0)
    handle = ReplayTransport.handle_async_request

    async def delayed(self, request):
        await asyncio.sleep(delays.uniform(0, 0.005))
        return await handle(self, request)

    monkeypatch.setattr(ReplayTransport, "handle_async_request", delayed)
    return delays


def test_a_concurrent_llambo_run_replays_byte_identical_whatever_order_its_requests_arrive_in(
    tmp_path, shuffled_arrivals
):
    # An endpoint that ignores `n` (as llama.cpp's does) makes the engine send each prompt several times at once.
    settings = LlamboSettings(
        n_initial=3,
        n_trials=2,
        sampler=SamplerSettings(n_candidates=5, n_templates=1),
        surrogate_settings=SurrogateSettings(n_templates=1, n_gens=3),
    )
    spec = RunSpec("iris", "SVM", 0, settings=settings)
    cassettes = tmp_path / "cassettes"
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        recorded = run(
            spec, RecordMode.RECORD, tmp_path / "recorded", cassettes, server.base_url, concurrency=4, progress=False
        )
        assert max(recorded.manifest["cassettes"][spec.namespace].values()) >= 3  # identical requests were sent
    history = recorded.paths["history"].read_bytes()
    for replay in range(REPLAYS):
        shuffled_arrivals.seed(replay + 1)
        replayed = run(
            spec,
            RecordMode.REPLAY,
            tmp_path / f"replay-{replay}",
            cassettes,
            OFFLINE_URL,
            concurrency=4,
            progress=False,
        )
        assert replayed.paths["history"].read_bytes() == history, f"replay {replay} differs"
        assert replayed.manifest["cassettes"] == recorded.manifest["cassettes"]


def test_the_engines_samples_of_one_prompt_replay_in_their_recorded_order(tmp_path, shuffled_arrivals):
    """An endpoint that ignores `n`: six samples are six identical requests in flight at once."""
    store, sampling = CassetteStore(tmp_path / "cassettes"), Sampling(temperature=0.8, top_p=0.95, max_tokens=50)

    def samples(mode: RecordMode, base_url: str) -> list[str]:
        engine = Engine(open_async_client(make_transport(store, "engine", mode, base_url)), "m", max_concurrency=6)
        try:
            return engine.chat(["Suggest a learning rate."], 6, sampling)[0]
        finally:
            engine.close()

    with LoopbackServer(ignore_n=True) as server:
        recorded = samples(RecordMode.RECORD, server.base_url)
    assert len(set(recorded)) == 6
    for replay in range(REPLAYS):
        shuffled_arrivals.seed(replay + 1)
        assert samples(RecordMode.REPLAY, OFFLINE_URL) == recorded, f"replay {replay} reordered the samples"


def _ask_six(transport: ReplayTransport, scoped: bool) -> list[str]:
    """Six identical T=1 requests from `asyncio.gather`, each work item in its own scope (or none)."""
    client = open_async_client(transport)

    async def ask(i: int) -> str:
        async def send() -> str:
            response = await client.chat.completions.create(
                model="m", n=1, temperature=1.0, messages=[{"role": "user", "content": "Name a prime."}]
            )
            return response.choices[0].message.content

        if not scoped:
            return await send()
        with transport.scope(f"item-{i}"):
            return await send()

    async def main() -> list[str]:
        try:
            return list(await asyncio.gather(*(ask(i) for i in range(6))))
        finally:
            await client.close()

    return asyncio.run(main())


def test_scoped_identical_requests_from_asyncio_gather_replay_to_their_own_task(tmp_path, shuffled_arrivals):
    store = CassetteStore(tmp_path / "cassettes")
    with LoopbackServer() as server:
        recorded = _ask_six(make_transport(store, "study", RecordMode.RECORD, server.base_url), scoped=True)
    assert len(set(recorded)) == 6  # the server's k-th identical request gets answer k: a swap would show
    for replay in range(REPLAYS):
        shuffled_arrivals.seed(replay + 1)
        transport = make_transport(store, "study", RecordMode.REPLAY, OFFLINE_URL)
        assert _ask_six(transport, scoped=True) == recorded, f"replay {replay} gave answers to other tasks"


def test_scopes_of_concurrent_tasks_do_not_nest_into_each_other(tmp_path, shuffled_arrivals):
    store = CassetteStore(tmp_path / "cassettes")
    with LoopbackServer() as server:
        _ask_six(make_transport(store, "study", RecordMode.RECORD, server.base_url), scoped=True)
    scopes = sorted(store.read(ref)["request"]["scope"] for ref in store.iter_entries("study"))
    assert scopes == [f"item-{i}" for i in range(6)]


def test_without_scopes_concurrent_identical_requests_replay_the_same_answers_in_arrival_order(
    tmp_path, shuffled_arrivals
):
    """What the layer guarantees without scopes: the recorded answers, each once, to whichever request
    arrives k-th (so callers may get each other's)."""
    store = CassetteStore(tmp_path / "cassettes")
    with LoopbackServer() as server:
        recorded = _ask_six(make_transport(store, "study", RecordMode.RECORD, server.base_url), scoped=False)
    shuffled_arrivals.seed(7)
    replayed = _ask_six(make_transport(store, "study", RecordMode.REPLAY, OFFLINE_URL), scoped=False)
    assert sorted(replayed) == sorted(recorded) and len(set(recorded)) == 6


def test_a_batch_gives_its_members_the_slots_of_their_place_not_of_their_arrival(tmp_path):
    store = CassetteStore(tmp_path / "cassettes")
    body = {"model": "m", "n": 1, "temperature": 1.0, "messages": [{"role": "user", "content": "Name a prime."}]}

    async def ask(transport: ReplayTransport, order: list[int]) -> dict[int, str]:
        client, batch, answers = open_async_client(transport), Batch(4), {}

        async def member(i: int) -> None:
            await asyncio.sleep(0.002 * order.index(i))  # member order[0] arrives first
            with batch.member(i):
                answers[i] = (await client.chat.completions.create(**body)).choices[0].message.content

        await asyncio.gather(*(member(i) for i in range(4)))
        await client.close()
        return answers

    with LoopbackServer() as server:
        recorded = asyncio.run(ask(make_transport(store, "b", RecordMode.RECORD, server.base_url), [3, 1, 0, 2]))
    assert len(set(recorded.values())) == 4
    replayed = asyncio.run(ask(make_transport(store, "b", RecordMode.REPLAY, OFFLINE_URL), [0, 2, 3, 1]))
    assert replayed == recorded
    with pytest.raises(ValueError, match="member 4 of a batch of 4"):
        with Batch(4).member(4):
            pass
