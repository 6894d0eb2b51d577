"""Recording costs money or hours: budgets stop it cleanly, and a rerun continues exactly."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cli_helpers import record_cli
from cli_helpers import run_cli as cli
from llm_responder import llambo_responder

from llambo_replay.replay.loopback import LoopbackServer
from llambo_replay.replay.pricing import cost_usd, is_priced


def record(server: LoopbackServer, store: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return record_cli(
        "run",
        server.base_url,
        store,
        out,
        "--trials",
        "3",
        "--n-gens",
        "2",
        "--no-memo",
        *extra,
        timeout=600,
    )


@pytest.mark.slow
def test_a_budget_stops_at_a_trial_boundary_and_the_same_command_continues_exactly(tmp_path):
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        whole = record(server, tmp_path / "a", tmp_path / "whole")
        assert whole.returncode == 0, whole.stderr
        sent_whole = len(server.received)
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        stopped = record(server, tmp_path / "b", tmp_path / "resumed", "--max-requests", "10")
        assert stopped.returncode == 7 and "Traceback" not in stopped.stderr
        assert (
            stopped.stderr.startswith("error: budget reached after trial 0")
            and "continue from trial 1" in stopped.stderr
        )
        assert not (tmp_path / "resumed/iris/SVM/0.csv").exists()
        sent_first = len(server.received)
        # Another run completes into the same store; a prune by its manifests alone must keep what the
        # stopped run paid for (its journal says it has not completed), though it is older than that manifest.
        other = record(server, tmp_path / "b", tmp_path / "other", "--seed", "1")
        assert other.returncode == 0, other.stderr
        sent_other = len(server.received) - sent_first
        pruned = cli("cassettes", "prune", "--cassettes", str(tmp_path / "b"), "--manifests", str(tmp_path / "other"))
        assert pruned.returncode == 0 and "of recordings that have not completed" in pruned.stdout, pruned.stdout
        assert "--include-incomplete" in pruned.stdout
        pruned = cli(
            "cassettes", "prune", "--cassettes", str(tmp_path / "b"), "--manifests", str(tmp_path / "other"), "--delete"
        )
        assert pruned.returncode == 0, pruned.stderr
        resumed = record(server, tmp_path / "b", tmp_path / "resumed")
        assert resumed.returncode == 0, resumed.stderr
        assert len(server.received) - sent_other == sent_whole, "the rerun asked only what the first part had not"
        assert 10 <= sent_first < sent_whole
        assert not list((tmp_path / "b" / ".incomplete").glob("*.json")), "a completed run leaves no journal"
    assert (tmp_path / "resumed/iris/SVM/0.csv").read_bytes() == (tmp_path / "whole/iris/SVM/0.csv").read_bytes()


def test_cached_prompt_tokens_are_priced_as_the_provider_reports_them():
    usage = {"prompt_tokens": 2000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 1024}}
    plain = cost_usd("gpt-4o-mini", {**usage, "prompt_tokens_details": None})
    cached = cost_usd("gpt-4o-mini", usage)
    assert plain == pytest.approx((2000 * 0.15 + 100 * 0.6) / 1e6)  # genai-prices' list price, per million
    assert cached == pytest.approx((976 * 0.15 + 1024 * 0.075 + 100 * 0.6) / 1e6) and cached < plain
    assert cost_usd("smollm2-135m-instruct", usage) == 0.0


@pytest.mark.parametrize(
    "model", ["gpt-4.1", "gpt-4-turbo", "gpt-5", "o1", "o3-mini", "openai/gpt-4o", "gpt-3.5-turbo-instruct"]
)
def test_current_models_are_priced_from_the_maintained_table(model):
    """Every model is priced by its own entry (gpt-4.1 is not gpt-4), and one without a price is named, so
    --max-cost stops for every model."""
    usage = {"prompt_tokens": 1000, "completion_tokens": 1000}
    assert is_priced(model) and 0 < cost_usd(model, usage) < cost_usd("gpt-4", usage) * 2
    assert cost_usd("gpt-4.1", usage) != cost_usd("gpt-4", usage)


@pytest.mark.slow
def test_max_cost_refuses_a_model_it_cannot_price_unless_told(tmp_path):
    refused = cli("run", "--max-cost", "0.01", "--out", str(tmp_path), timeout=600)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("error: --max-cost cannot stop a recording with smollm2-135m-instruct")
    allowed = cli("run", "--max-cost", "0.01", "--allow-unpriced", "--out", str(tmp_path), timeout=600)
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.slow
def test_a_dry_run_estimates_within_15_percent_what_a_recording_then_uses(tmp_path):
    """The loopback server counts tokens by the same characters-per-token rule, so this checks the
    structure of the estimate: which prompts, how many, how long. Its model answers every prompt in
    the format asked, as the estimate assumes."""
    import json
    from functools import partial

    flags = ["--trials", "3", "--n-gens", "2"]
    dry = cli("run", "--dry-run", *flags, timeout=600)
    assert dry.returncode == 0, dry.stderr
    estimated = {
        line.split()[0]: int(re.search(r"about \$?([\d,]+)", line).group(1).replace(",", ""))
        for line in dry.stdout.splitlines()[1:4]
    }
    with LoopbackServer(responder=partial(llambo_responder, junk_every=0), ignore_n=True) as server:
        assert record(server, tmp_path / "c", tmp_path / "o").returncode == 0
    used = json.loads((tmp_path / "o/iris/SVM/0.manifest.json").read_text())["llm"]
    for name, key in (("requests", "requests"), ("prompt", "prompt_tokens")):
        assert abs(estimated[name] - used[key]) <= 0.15 * used[key], (name, estimated[name], used[key])


@pytest.mark.slow
def test_a_components_dry_run_estimates_within_15_percent_what_a_recording_then_uses(tmp_path):
    from functools import partial

    from llambo_replay.replay.pricing import approx_chat_tokens

    flags = ["--datasets", "wine", "--n-observed", "5,8", "--n-test", "3", "--n-gens", "2", "--n-candidates", "4"]
    dry = cli("components", "--dry-run", *flags, timeout=600)
    assert dry.returncode == 0, dry.stderr
    assert "nothing was called" in dry.stdout
    estimated = {
        line.split()[0]: int(re.search(r"about \$?([\d,]+)", line).group(1).replace(",", ""))
        for line in dry.stdout.splitlines()[1:4]
    }
    with LoopbackServer(responder=partial(llambo_responder, junk_every=0), ignore_n=True) as server:
        recorded = record_cli(
            "components",
            server.base_url,
            tmp_path / "c",
            tmp_path / "o",
            "--no-memo",
            *flags,
            timeout=600,
        )
        assert recorded.returncode == 0, recorded.stderr
        requests = len(server.received)
        prompt_tokens = sum(approx_chat_tokens(body["messages"]) for body in server.received)
    assert abs(estimated["requests"] - requests) <= 0.15 * requests, (estimated["requests"], requests)
    assert abs(estimated["prompt"] - prompt_tokens) <= 0.15 * prompt_tokens, (estimated["prompt"], prompt_tokens)
