"""LLAMBO's pieces alone, then a short loop recorded against the loopback server and replayed offline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from llm_responder import llambo_responder
from scipy.stats import norm

from llambo_replay.experiments.runs.runner import history_csv
from llambo_replay.llambo import Engine, LlamboSettings, SearchSpace, TaskContext, optimise
from llambo_replay.llambo.engine import Sampling
from llambo_replay.llambo.sampler import ACCURACY_CEILING, SamplerSettings, target_score
from llambo_replay.llambo.surrogate import SurrogateSettings, expected_improvement, probability_of_one, top_labels
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.loopback import LoopbackServer

SPACE = SearchSpace.from_spec(
    {"x": ["float", "linear", [-2.0, 2.0]], "lr": ["float", "log", [1e-4, 1e-1]], "depth": ["int", "linear", [1, 10]]}
)
CONTEXT = TaskContext(
    model="Quadratic",
    task="regression",
    metric="neg_mean_squared_error",
    lower_is_better=True,
    num_samples=100,
    tot_feats=3,
    num_feats=3,
)


def quadratic(config: dict) -> dict:
    loss = (config["x"] - 0.5) ** 2 + (math.log10(config["lr"]) + 2.5) ** 2 + 0.01 * config["depth"]
    return {"score": loss, "generalization_score": loss * 1.1}


def test_expected_improvement_matches_the_closed_form():
    mean, std, best = np.array([0.5, 0.8, 0.9]), np.array([0.1, 0.2, 0.0]), 0.7
    z = (mean[:2] - best) / std[:2]
    expected = (mean[:2] - best) * norm.cdf(z) + std[:2] * norm.pdf(z)
    ei = expected_improvement(mean, std, best, lower_is_better=False)
    assert np.allclose(ei[:2], expected) and ei[2] == pytest.approx(0.2)
    assert np.allclose(expected_improvement(-mean, std, -best, lower_is_better=True)[:2], expected)


@pytest.mark.parametrize("best", [0.9, 0.99, 0.9999, 1.0])
def test_target_stays_inside_the_metric_range_and_always_returns(best):
    scores = np.array([0.5, 0.8, best])
    target, alpha = target_score(scores, 0.1, lower_is_better=False)
    assert target < ACCURACY_CEILING and alpha <= 0.1
    if best == 0.9:
        assert alpha == 0.1 and target == pytest.approx(0.9 + 0.1 * 0.4)


def test_error_targets_stay_positive():
    target, alpha = target_score(np.array([0.01, 0.2, 0.5]), 0.1, lower_is_better=True)
    assert target > 0 and alpha < 0.1
    target, _ = target_score(np.array([0.0, 0.0]), 0.1, lower_is_better=True)
    assert target > 0


def test_warping_round_trips():
    frame = pd.DataFrame(SPACE.sample(np.random.default_rng(0), 20))
    warped = SPACE.warp(frame)
    assert warped["lr"].between(-4, -1).all() and (warped["x"] == frame["x"]).all()
    assert np.allclose(SPACE.unwarp(warped).to_numpy(), frame.to_numpy())


def test_sampling_respects_the_space_and_the_seed():
    a = SPACE.sample(np.random.default_rng(3), 50)
    assert a == SPACE.sample(np.random.default_rng(3), 50)
    assert all(SPACE.contains(c) for c in a)


def test_generative_labels_and_probabilities():
    assert list(top_labels(np.array([1, 2, 3, 4, 5, 6, 7, 8]), 0.25, lower_is_better=True)) == [1, 1, 0, 0, 0, 0, 0, 0]
    assert probability_of_one(
        {"tokens": ["1", " ##"], "top_logprobs": [{"1": math.log(0.6), "0": math.log(0.2)}]}
    ) == pytest.approx(0.75)
    # as the official code reads them: exact tokens, " 1" is not "1", a missing class is NaN, text is not read
    spaced = {
        "tokens": ["##", " 1", "1"],
        "top_logprobs": [
            {"##": 0.0},
            {" 1": math.log(0.9), " 0": math.log(0.1)},
            {"1": math.log(0.5), "0": math.log(0.1)},
        ],
    }
    assert probability_of_one(spaced) == pytest.approx(0.5 / 0.6)
    assert math.isnan(probability_of_one({"tokens": ["1"], "top_logprobs": [{"1": -0.1}]}))
    assert math.isnan(probability_of_one({"text": "0 ##", "tokens": [], "top_logprobs": []}))


def engine_for(store, mode, base_url, namespace="e2e", concurrency=4):
    transport = make_transport(store, namespace, mode, base_url)
    return Engine(open_async_client(transport), "loopback-model", max_concurrency=concurrency), transport


def test_engine_tops_up_endpoints_that_ignore_n(tmp_path, llm_server):
    engine, transport = engine_for(CassetteStore(tmp_path), RecordMode.RECORD, llm_server.base_url)
    answers = engine.chat(["## 1 ##", "other", "## 1 ##"], 4, Sampling(0.7, 0.95, 8))
    engine.close()
    assert [len(a) for a in answers] == [4, 4, 4]
    assert len(set(answers[0] + answers[2])) == 8, "duplicate prompts get distinct samples"
    assert len(llm_server.received) == 12 and engine.usage.requests == 12
    assert sorted(transport.used_keys().values()) == [4, 8]


class _InterruptedTransport:
    """Delegates to the replay transport, and raises Ctrl-C inside the task of request number `at`."""

    def __init__(self, inner, at: int):
        self.inner, self.at, self.seen = inner, at, 0

    async def handle_async_request(self, request):
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt
        return await self.inner.handle_async_request(request)

    async def aclose(self):
        await self.inner.aclose()


def test_ctrl_c_inside_a_request_unwinds_every_task_with_nothing_logged_later(tmp_path, llm_server, caplog):
    """The server ignores `n`, so each prompt's top-up round sends several requests at once; a Ctrl-C in
    one of them reaches the tasks awaiting it as KeyboardInterrupt, not as their cancellation, and each
    re-raises it while the engine unwinds. CI printed 'Task exception was never retrieved' and 95 lines."""
    import gc

    import httpx2
    import openai

    prompts = ["prompt a", "prompt b", "prompt c"]
    recorder, _ = engine_for(CassetteStore(tmp_path), RecordMode.RECORD, llm_server.base_url)
    recorder.chat(prompts, 4, Sampling(0.7, 0.95, 8))
    recorder.close()
    for order, concurrency, at in (("program", 4, 4), ("program", 4, 6), ("prefix", 4, 5), ("prefix", 1, 3)):
        transport = make_transport(CassetteStore(tmp_path), "e2e", RecordMode.REPLAY, llm_server.base_url)
        client = openai.AsyncOpenAI(
            base_url=transport.base_url,
            api_key="unused",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=_InterruptedTransport(transport, at)),
        )
        engine = Engine(client, "loopback-model", max_concurrency=concurrency, order=order)
        with pytest.raises(KeyboardInterrupt):
            engine.chat(prompts, 4, Sampling(0.7, 0.95, 8))
        engine.close()  # as the runner's `finally` does: nothing left to unwind, nothing raised
        del engine, client
        gc.collect()
    assert "never retrieved" not in caplog.text, caplog.text


SETTINGS = LlamboSettings(
    n_initial=4,
    n_trials=3,
    protocol="paper",
    sampler=SamplerSettings(n_candidates=4, n_templates=2),
    surrogate_settings=SurrogateSettings(n_templates=2, n_gens=3),
)


def run_loop(store, mode, base_url, settings=SETTINGS, concurrency=4):
    engine, transport = engine_for(store, mode, base_url, concurrency=concurrency)
    try:
        result = optimise(CONTEXT, SPACE, quadratic, engine, np.random.default_rng(11), settings)
    finally:
        engine.close()
    return result, transport


@pytest.mark.parametrize(
    "surrogate, protocol, warmstart",
    [
        ("discriminative", "paper", None),
        ("discriminative", "json", "full_context"),
        ("discriminative", "json-examples", None),
        ("generative", "paper", None),
    ],
)
def test_a_recorded_loop_replays_byte_for_byte_with_the_server_stopped(
    tmp_path, surrogate, protocol, warmstart, monkeypatch
):
    settings = LlamboSettings(
        **{**SETTINGS.__dict__, "surrogate": surrogate, "protocol": protocol, "warmstart_context": warmstart}
    )
    store = CassetteStore(tmp_path / "cassettes")
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        recorded, _ = run_loop(store, RecordMode.RECORD, server.base_url, settings)
        sent = len(server.received)
    assert len(recorded.history) == 7 and sent > 0
    assert recorded.history["depth"].dtype.kind == "i"
    assert sum(t.requests for t in recorded.trials) == sent

    import socket

    monkeypatch.setattr(socket.socket, "connect", lambda *a: (_ for _ in ()).throw(AssertionError("network")))
    first, _ = run_loop(
        CassetteStore(tmp_path / "cassettes"), RecordMode.REPLAY, "http://replay.invalid/v1", settings, concurrency=1
    )
    second, _ = run_loop(CassetteStore(tmp_path / "cassettes"), RecordMode.REPLAY, "http://replay.invalid/v1", settings)
    assert history_csv(first.history) == history_csv(recorded.history) == history_csv(second.history)
    assert [t.requests for t in first.trials] == [t.requests for t in recorded.trials]


def test_a_failing_llm_falls_back_to_random_points_and_counts_them_with_the_robust_policy(tmp_path):
    robust = LlamboSettings(
        **{**SETTINGS.__dict__, "sampler": SamplerSettings(n_candidates=4, n_templates=2, policy="robust")}
    )
    with LoopbackServer(responder=lambda body, i: "no idea") as server:
        result, _ = run_loop(CassetteStore(tmp_path), RecordMode.RECORD, server.base_url, robust)
    assert len(result.history) == 7
    assert result.fallback_points == 3 * robust.sampler.min_candidates
    assert all(t.sampler_rounds == robust.sampler.rules.max_rounds == 6 for t in result.trials[1:])


def test_requests_are_sent_in_prefix_order_without_changing_answers_keys_or_slots(tmp_path, llm_server):
    """Sorted prompts share their longest prefixes (a server's prompt cache reuses them); with one request
    in flight each prompt's samples are asked back to back. What is stored and replayed does not change."""
    prompts = ["body A + candidate 2", "body B + candidate 1", "body A + candidate 1", "body B + candidate 2"]
    sampling = Sampling(0.7, 0.95, 8)
    answers = {}
    for order in ("program", "prefix"):
        store = CassetteStore(tmp_path / order)
        transport = make_transport(store, "order", RecordMode.RECORD, llm_server.base_url)
        engine = Engine(open_async_client(transport), "loopback-model", max_concurrency=1, order=order)
        start = len(llm_server.received)
        answers[order] = engine.chat(prompts, 3, sampling)
        engine.close()
        sent = [body["messages"][-1]["content"] for body in llm_server.received[start:]]
        answers[order + " sent"] = sent
        answers[order + " keys"] = transport.used_keys()
    assert answers["program sent"][:4] == prompts  # the first round, in LLAMBO's order, then the top-ups
    assert answers["prefix sent"] == [p for p in sorted(prompts) for _ in range(3)]
    assert answers["prefix keys"] == answers["program keys"]
    replay = Engine(
        open_async_client(
            make_transport(CassetteStore(tmp_path / "program"), "order", RecordMode.REPLAY, "http://replay.invalid/v1")
        ),
        "loopback-model",
        order="prefix",
    )
    assert replay.chat(prompts, 3, sampling) == answers["program"]
    replay.close()
