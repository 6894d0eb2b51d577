"""The warm-starting evaluation: recorded once against a real HTTP endpoint, replayed offline, checked
(initial points derived again from their recording) and rendered by `tables`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.cli import main
from llambo_replay.errors import UsageError
from llambo_replay.experiments.evaluations.warmstart_eval import (
    WarmstartEvalSpec,
    estimate_eval,
    run_warmstart_eval,
    skopt_design,
)
from llambo_replay.experiments.results.check import check_run, run_manifests
from llambo_replay.llambo.warmstart import WarmstartSettings
from llambo_replay.replay import RecordMode
from llambo_replay.tables.results import load_results

REPO = Path(__file__).resolve().parents[2]
SPEC = WarmstartEvalSpec(
    "iris",
    "SVM",
    (0, 1),
    ("lhs", "partial_context"),
    ("tpe",),
    n_initial=3,
    n_trials=1,
    llm_model="loopback-model",
    protocol="paper",
    warmstart=WarmstartSettings(answers=3),
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict]]:
    from llm_responder import llambo_responder

    from llambo_replay.replay.loopback import LoopbackServer

    root = tmp_path_factory.mktemp("warmstart")
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        manifests = run_warmstart_eval(
            SPEC, RecordMode.AUTO, root / "out", root / "cassettes", server.base_url, progress=False
        )
        sent = len(server.received)
    assert sent == 3  # one request per answer (the server ignores n), shared by both seeds
    return root / "out", root / "cassettes", manifests


def test_each_cell_is_a_baseline_run_that_names_where_its_initial_points_came_from(recorded):
    out, _, manifests = recorded
    assert len(manifests) == 4
    llm = [m for m in manifests if m["initial_points_source"]["initialiser"] == "partial_context"]
    assert [m["seed"] for m in llm] == [0, 1]
    assert llm[0]["given_initial_points"] != llm[1]["given_initial_points"]  # seed k takes the k-th kept answer
    assert llm[0]["initial_points_source"]["kept_answers"] == 3
    assert (out / "tpe-partial_context" / "iris" / "SVM" / "1.csv").is_file()


def test_it_replays_offline_byte_for_byte(recorded, tmp_path, no_network):
    _, cassettes, manifests = recorded
    again = run_warmstart_eval(SPEC, RecordMode.REPLAY, tmp_path, cassettes, "http://replay.invalid/v1", progress=False)
    assert [m["history_sha256"] for m in again] == [m["history_sha256"] for m in manifests]
    assert not no_network


def test_check_derives_the_initial_points_again_and_notices_tampering(recorded, tmp_path):
    out, cassettes, _ = recorded
    for path in run_manifests(out):
        checked = check_run(path, cassettes, tmp_path / "scratch", None)
        assert checked.status == "identical" and "derived again" in checked.detail, checked
    path = out / "tpe-lhs" / "iris" / "SVM" / "0.manifest.json"
    manifest = json.loads(path.read_text())
    original = path.read_text()
    other = json.loads((out / "tpe-lhs" / "iris" / "SVM" / "1.manifest.json").read_text())
    manifest["given_initial_points"] = other["given_initial_points"]  # seed 1's points claimed by seed 0
    try:
        path.write_text(json.dumps(manifest))
        checked = check_run(path, cassettes, tmp_path / "scratch2", None)
    finally:
        path.write_text(original)
    assert checked.status == "different"


def test_tables_name_each_optimiser_with_its_initial_points(recorded):
    out, _, _ = recorded
    assert {h.method for h in load_results(out)} == {
        "TPE (Optuna, univariate) from LHS",
        "TPE (Optuna, univariate) from LLM, partial context",
    }


def test_the_generators_give_points_inside_the_space_that_depend_on_the_seed():
    space = load_task("breast", "RandomForest").space
    for generator in ("random", "sobol", "lhs"):
        first, second = (skopt_design(generator, space, "RandomForest", seed, 5) for seed in (0, 1))
        assert len(first) == 5 and all(space.contains(c) for c in first) and first != second
        assert all(isinstance(c["max_depth"], int) for c in first)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["warmstart", "--task", "iris/SVM,wine/SVM"], "expected one DATASET/MODEL"),
        (["warmstart", "--initialisers", "halton"], "unknown initialiser halton"),
        (["warmstart", "--optimisers", "hebo"], "unknown optimiser hebo"),
        (["warmstart", "--task", "mnist/SVM"], "unknown dataset 'mnist'"),
    ],
)
def test_bad_warmstart_flags_are_one_line_errors(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_unknown_warmstart_policy_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown warm-start policy"):
        WarmstartSettings(policy="lenient")


def test_the_dry_run_counts_the_committed_recordings_requests_and_roughly_its_tokens():
    """wine/SVM, three context levels of 30 answers on a server that ignores n: 90 requests, as recorded;
    tokens from characters (prose tokenizes at ~3.4 characters, not 2.6) and a terse model's answers."""
    from llambo_replay.replay import CassetteStore

    spec = WarmstartEvalSpec(warmstart=WarmstartSettings(policy="robust"))
    estimate = estimate_eval(spec, honours_n=False)
    store = CassetteStore(REPO / "cassettes")
    recorded = [store.read(ref) for ref in store.iter_entries("smollm2-135m-instruct/warmstart-json/wine/SVM")]
    usage = [r["response"]["usage"] for entry in recorded for r in entry["responses"]]
    assert estimate.requests == len(usage) == 90
    tokens = sum(u["prompt_tokens"] + u["completion_tokens"] for u in usage)
    assert abs(estimate.prompt_tokens + estimate.completion_tokens - tokens) / tokens < 0.25
    assert estimate_eval(spec, honours_n=True).requests == 3  # a cloud endpoint answers n = 30 at once
