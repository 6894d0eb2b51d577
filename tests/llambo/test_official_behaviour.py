"""Where LLAMBO's official code behaves in a particular way, this package does the same by default
(or offers its own way as a named option that the manifest records). Each rule is written out here
from the official code's behaviour, not imported from it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from cli_helpers import record_cli
from cli_helpers import run_cli as cli
from llm_responder import llambo_responder

from llambo_replay.errors import ModelFailed
from llambo_replay.llambo import Engine, LlamboSettings, PromptSettings, SearchSpace, TaskContext
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.prompts import DatasetStatistics, generative_prompt
from llambo_replay.llambo.sampler import CandidateSampler, SamplerSettings
from llambo_replay.llambo.warmstart import (
    WarmstartSettings,
    ask_warmstart,
    choose,
    class_distribution,
    hyperparameters_sentence,
    kept_sets,
    valid_config,
    warmstart_prompt,
)
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.loopback import LoopbackServer

SVM = SearchSpace.from_spec(
    {
        "C": ["float", "log", [1, 1000.0]],
        "gamma": ["float", "log", [0.0001, 0.001]],
        "tol": ["float", "log", [1e-05, 0.1]],
    }
)
SPACE = SearchSpace.from_spec({"x": ["float", "linear", [0.0, 1.0]], "depth": ["int", "linear", [1, 10]]})
CONTEXT = TaskContext(
    model="SVM",
    task="classification",
    metric="accuracy",
    lower_is_better=False,
    num_samples=120,
    tot_feats=4,
    num_feats=4,
    n_classes=3,
)


def test_the_generative_prompt_prints_values_as_the_official_serialiser_does():
    """Two more decimals than the lower bound (at least four), on log10-warped values; whole numbers as
    Python prints a float. Before, log10 C came out as an integer."""
    observed = pd.DataFrame([{"C": 12.5, "gamma": 0.0005, "tol": 0.001}])
    warped = SVM.warp(observed)
    prompt = generative_prompt(CONTEXT, SVM, warped, [1], warped.iloc[0], 0, 0.25, PromptSettings(warping=True))
    assert "Hyperparameter configuration: C: 1.0969, gamma: -3.301030, tol: -3.0\nClassification: ## 1 ##" in prompt
    assert prompt.endswith("Hyperparameter configuration: C: 1.0969, gamma: -3.301030, tol: -3.0\nClassification: ")


@pytest.mark.parametrize(
    "text, strict, lenient",
    [
        ("## x: 0.25, depth: 3 ##", True, True),
        ("## x: 0.25, depth: 3", True, True),  # the official reads what follows the first ##
        ("x: 0.25, depth: 3", False, True),  # no ## at all
        ("## x: 0.25, depth: 3. ##", False, True),  # float('3.') is fine, but '3. ' ... see below
        ("Sure! ## x: 0.25, depth: 3 ## is my answer", True, True),
        ("## x = 0.25, depth = 3 ##", False, False),
        ("## x: 0.25 ##", False, False),  # a missing hyperparameter: rejected by both (see the README)
    ],
)
def test_the_official_reading_of_a_sampler_answer(text, strict, lenient):
    paper = get_answer_format("paper")
    expected = {"x": 0.25, "depth": 3.0}
    if text == "## x: 0.25, depth: 3. ##":
        strict = True  # float("3.") is 3.0 in Python: the official reading accepts it
    assert (paper.parse_config(text, SPACE, lenient=False) == expected) is strict
    assert (paper.parse_config(text, SPACE, lenient=True) == expected) is lenient


def scripted(rounds: dict[int, str], otherwise: str):
    """Answers by round (three samples per prompt and round): `rounds[r]` formats with the sample index."""

    def respond(body: dict, sample: int) -> str:
        return rounds.get(sample // 3 + 1, otherwise).format(x=0.05 + 0.1 * (sample % 3), d=sample + 1)

    return respond


def propose(tmp_path, responder, policy: str, n_candidates: int = 6):
    observed = pd.DataFrame([{"x": 0.5, "depth": 3}, {"x": 0.7, "depth": 4}])
    with LoopbackServer(responder=responder) as server:
        engine = Engine(
            open_async_client(make_transport(CassetteStore(tmp_path), "s", RecordMode.RECORD, server.base_url)),
            "m",
            max_concurrency=1,
        )
        try:
            sampler = CandidateSampler(
                engine,
                SPACE,
                CONTEXT,
                get_answer_format("paper"),
                PromptSettings(),
                SamplerSettings(n_candidates=n_candidates, n_templates=2, policy=policy),
            )
            return sampler.propose(observed, np.array([0.8, 0.9]), np.random.default_rng(0)), len(server.received)
        finally:
            engine.close()


def test_the_official_sampler_stops_at_the_first_round_with_five_new_points(tmp_path):
    proposal, sent = propose(tmp_path, scripted({}, "## x: {x}, depth: {d} ##"), "official", n_candidates=10)
    # five samples per template (depth 1 to 5); both templates answer alike, deduplicated within the round
    assert proposal.rounds == 1 and sent == 2
    assert list(proposal.candidates["depth"]) == [1, 2, 3, 4, 5] and proposal.fallback_points == 0


def test_the_official_sampler_takes_the_fourth_rounds_raw_answers_or_fails(tmp_path):
    same = "## x: 0.5, depth: 3 ##"  # an observed point: filtered out, round after round
    raw = "## x: {x}, depth: 11 ##"  # out of range, so never accepted, but parsed
    proposal, sent = propose(tmp_path / "a", scripted({1: same, 2: same, 3: same, 4: raw}, same), "official")
    assert proposal.rounds == 4 and sent == 8
    # more than five parsed answers in the last round: used as they are, unfiltered (duplicates, ranges)
    assert len(proposal.candidates) == 6 and (proposal.candidates["depth"] == 11).all()
    with pytest.raises(ModelFailed, match="after 4 rounds"):
        propose(tmp_path / "b", scripted({}, "no idea"), "official")


def test_the_robust_sampler_asks_six_rounds_then_tops_up_with_random_points(tmp_path):
    proposal, sent = propose(tmp_path, scripted({}, "no idea"), "robust")
    assert proposal.rounds == 6 and sent == 12
    assert len(proposal.candidates) == 5 and proposal.fallback_points == 5


def test_runs_recorded_before_the_sampler_policy_existed_replay_with_the_robust_one():
    old = json.loads(json.dumps(LlamboSettings().as_dict()))
    old["sampler"].pop("policy")
    old["sampler"]["max_rounds"] = 6
    assert LlamboSettings.from_dict(old).sampler.policy == "robust"
    assert LlamboSettings.from_dict(LlamboSettings().as_dict()).sampler.policy == "official"


@pytest.mark.slow
def test_the_generative_surrogate_asks_its_own_completions_model(tmp_path):
    with LoopbackServer(responder=llambo_responder, ignore_n=True) as server:
        result = record_cli(
            "run",
            server.base_url,
            tmp_path / "c",
            tmp_path / "o",
            "--sm",
            "generative",
            "--protocol",
            "paper",
            "--sampler-policy",
            "robust",
            "--trials",
            "1",
            "--n-gens",
            "3",
            "--no-memo",
            "--llm-model",
            "chat-model",
            "--generative-model",
            "instruct-model",
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        models = {("prompt" in body, body["model"]) for body in server.received}
    assert models == {(False, "chat-model"), (True, "instruct-model")}
    manifest = json.loads((tmp_path / "o/iris/SVM/0.manifest.json").read_text())
    assert manifest["engine"]["generative_model"] == "instruct-model"
    assert manifest["llm"]["requests"] == len(server.received)


def test_shuffled_features_show_each_name_beside_another_ones_value_as_the_official_surrogate():
    from llambo_replay.llambo.prompts import discriminative_prompts

    observed = pd.DataFrame([{"C": 12.5, "gamma": 0.0005, "tol": 0.001}])
    settings = PromptSettings(shuffle_features=True)
    prompt = discriminative_prompts(CONTEXT, SVM, observed, [0.9], observed, 1, settings, get_answer_format("paper"))[0]
    # numpy's RandomState(0).permutation(3) is [2, 1, 0]: C shows tol's value and tol C's, each in the
    # number format of its slot (C: 0 decimals, gamma: 4, tol: 5)
    assert (
        "Hyperparameter configuration: C is 0, gamma is 0.0005, tol is 12.50000\nPerformance: ## 0.900000 ##" in prompt
    )
    anonymous = discriminative_prompts(
        CONTEXT, SVM, observed, [0.9], observed, 1, PromptSettings(feature_semantics=False), get_answer_format("paper")
    )[0]
    assert "Hyperparameter configuration: X1 is 12, X2 is 0.0005, X3 is 0.00100\n" in anonymous


def test_the_json_examples_protocol_shows_examples_in_the_format_it_asks_for():
    from llambo_replay.llambo.prompts import discriminative_prompts, sampler_prompt

    observed = pd.DataFrame([{"x": 0.25, "depth": 3}])
    shown = {}
    for name in ("json", "json-examples"):
        protocol = get_answer_format(name)
        shown[name] = (
            sampler_prompt(CONTEXT, SPACE, observed, [0.9], 0.95, 0, PromptSettings(), protocol),
            discriminative_prompts(CONTEXT, SPACE, observed, [0.9], observed, 1, PromptSettings(), protocol)[0],
        )
    # x is printed with the decimals of its lower bound, 0.0: none
    assert "Hyperparameter configuration: ## x: 0, depth: 3 ##" in shown["json"][0]  # as recorded
    assert "Performance: ## 0.900000 ##" in shown["json"][1]
    sampler, surrogate = shown["json-examples"]
    assert "##" not in sampler + surrogate
    assert 'Hyperparameter configuration: {"x": 0, "depth": 3}' in sampler
    assert json.loads(sampler.split("Hyperparameter configuration: ")[1].split("\n")[0]) == {"x": 0, "depth": 3}
    assert 'Performance: {"performance": 0.900000}' in surrogate


def test_an_unfiltered_candidate_outside_the_space_stops_the_run_with_one_line(tmp_path):
    from llambo_replay.llambo import optimise
    from llambo_replay.llambo.surrogate import SurrogateSettings

    settings = LlamboSettings(
        n_initial=2,
        n_trials=1,
        protocol="paper",
        sampler=SamplerSettings(n_candidates=6, n_templates=2),
        surrogate_settings=SurrogateSettings(n_templates=1, n_gens=1),
    )
    with LoopbackServer(responder=scripted({}, "## x: {x}, depth: 11 ##")) as server:
        engine = Engine(
            open_async_client(make_transport(CassetteStore(tmp_path), "s", RecordMode.RECORD, server.base_url)),
            "m",
            max_concurrency=1,
        )
        try:
            with pytest.raises(ModelFailed, match="trial 0: the chosen candidate .* lies outside the search space"):
                optimise(CONTEXT, SPACE, lambda c: {"score": c["x"]}, engine, np.random.default_rng(0), settings)
        finally:
            engine.close()


# -- warm-starting (exp_warmstarting) ---------------------------------------------------------
WINE_SVM = TaskContext(
    model="SVM",
    task="classification",
    metric="accuracy",
    lower_is_better=False,
    num_samples=142,
    tot_feats=13,
    num_feats=13,
    n_classes=3,
    estimator="sklearn.svm.SVC",
    dataset_size=178,
    class_counts=(71, 59, 48),
)


def test_the_warmstart_prompt_is_the_official_template_as_its_reader_flattens_it():
    """classification_partialcontext.txt with its slots filled as `obtain_dict_text` fills them: the
    estimator's import path, the whole data set's size, class sizes largest first, ConfigSpace's
    alphabetical hyperparameters; lines joined by spaces."""
    prompt = warmstart_prompt(WINE_SVM, SVM, 5, PromptSettings("partial_context"), get_answer_format("paper"))
    assert prompt == (
        "You are assisting me with automated machine learning using sklearn.svm.SVC for a classification task. "
        "The classification performance is measured using accuracy. The dataset has 178 samples with 13 total "
        "features, of which 13 are numerical and 0 are categorical. Class distribution is 71 (y=0), 59 (y=1) and "
        "48 (y=2). I\u2019m exploring a subset of hyperparameters detailed as: C (float between [1.0, 1000.0]), "
        "gamma (float between [0.0001, 0.001]), tol (float between [1e-05, 0.1]). Please suggest 5 diverse yet "
        "effective configurations to initiate a Bayesian Optimization process for hyperparameter tuning. You "
        "mustn't include \u2018None\u2019 in the configurations. Your response should include only a list of "
        "dictionaries, where each dictionary describes one recommended configuration. Do not enumerate the "
        "dictionaries."
    )
    json_prompt = warmstart_prompt(WINE_SVM, SVM, 5, PromptSettings("partial_context"), get_answer_format("json"))
    assert json_prompt.endswith(
        'JSON object {"configurations": [...]} holding 5 objects, each mapping every hyperparameter name to its value.'
    )


def test_the_full_context_template_keeps_its_unfilled_slots_unless_statistics_are_asked_for():
    stats = DatasetStatistics(
        skew=(0.5, -1.25), kurtosis=(3.0, 0.1), target_correlated=1, feature_pairs=1, pairs_correlated=0
    )
    context = TaskContext(**{**WINE_SVM.__dict__, "tot_feats": 2, "num_feats": 2, "statistics": stats})
    official = warmstart_prompt(context, SVM, 5, PromptSettings("full_context"), get_answer_format("paper"))
    for slot in ("[TOTAL_FEATURES]", "[NUM_STAT]", "[CORR_TARGET]", "[NUM_POSSIBLE]", "[CORR_FEATURES]"):
        assert slot in official
    assert "input's features of the random forest is" in official  # whatever the model
    assert official.count("\n") == 1 and "\nProvide 5 diverse and efficient" in official  # the blank line
    filled = warmstart_prompt(
        context, SVM, 5, PromptSettings("full_context"), get_answer_format("paper"), statistics=True
    )
    assert "[" not in filled.replace("[1.0, 1000.0]", "").replace("[0.0001, 0.001]", "").replace("[1e-05, 0.1]", "")
    assert (
        "The Skewness of each feature is 0.5, -1.25 and the kurtosis is 3.0, 0.1. The number of features that "
        "have strong correlation (defined as > 0.5 or <-0.5) with the target feature is 1. Of the 1 pairwise "
        "feature relationships, 0 pairs"
    ) in filled


@pytest.mark.parametrize(
    "counts, words",
    [
        ((357, 212), "357 (y=0) and 212 (y=1)"),
        ((71, 59, 48), "71 (y=0), 59 (y=1) and 48 (y=2)"),
        ((9, 8, 7, 6), "9 (y=0), 8 (y=1), 7 (y=2) and 6 (y=3)"),
    ],
)
def test_class_distribution_wording(counts, words):
    assert class_distribution(counts) == words


def test_configspace_names_integers_and_floats_as_python_prints_them():
    forest = SearchSpace.from_spec(
        {
            "min_samples_split": ["float", "logit", [0.01, 0.99]],
            "max_depth": ["int", "linear", [1, 15]],
            "min_impurity_decrease": ["float", "linear", [0.0, 0.5]],
        }
    )
    assert hyperparameters_sentence(forest, PromptSettings()) == (
        "max_depth (integer between [1, 15]), min_impurity_decrease (float between [0.0, 0.5]), "
        "min_samples_split (float between [0.01, 0.99])"
    )


OK_SET = "\n".join(f"{i + 1}. {{'C': {10.0 * (i + 1)}, 'gamma': 0.0005, 'tol': 0.001}}" for i in range(5))


@pytest.mark.parametrize(
    "answer, kept",
    [
        (OK_SET, True),
        ("Here are some:\n" + OK_SET + "\nGood luck!", True),
        (OK_SET.replace("1. ", "- ", 1), False),  # four numbered dicts left: fewer than 5
        (OK_SET.replace("'C': 10.0", "'C': 0.5"), False),  # one out of its range drops the whole answer
        (OK_SET.replace("'C': 10.0", "'C': 10.0, 'kernel': 'rbf'"), False),  # an unknown key
        (OK_SET.replace("'C': 10.0, ", ""), False),  # a missing hyperparameter
        (OK_SET.replace("'C': 10.0", "'C': 1e2 * 2"), False),  # not a literal: the official reader fails
        (OK_SET.replace("1. {", "1. {{"), False),
        (OK_SET.replace("\n", " "), True),  # the list may run on one line
    ],
)
def test_the_official_rule_keeps_an_answer_only_if_every_numbered_dict_is_a_valid_configuration(answer, kept):
    sets = kept_sets([answer], SVM, get_answer_format("paper"), PromptSettings(), "official", 5)
    assert bool(sets) is kept
    if kept:
        assert sets[0][0] == {"C": 10.0, "gamma": 0.0005, "tol": 0.001}


def test_integer_hyperparameters_must_be_written_as_integers():
    assert valid_config({"x": 0.5, "depth": 3}, SPACE, PromptSettings()) == {"x": 0.5, "depth": 3}
    assert valid_config({"x": 0.5, "depth": 3.0}, SPACE, PromptSettings()) is None  # ConfigSpace refuses 3.0
    assert valid_config({"x": 1, "depth": 3}, SPACE, PromptSettings()) == {"x": 1, "depth": 3}  # an int is a float
    assert valid_config({"x": True, "depth": 3}, SPACE, PromptSettings()) is None


def test_seed_k_takes_the_kth_kept_answer_or_fails_as_the_official_code_does():
    good = [OK_SET.replace("'tol': 0.001", f"'tol': 0.00{k + 1}") for k in range(3)]
    answers = [good[0], "no idea", good[1], OK_SET.replace("'C': 10.0", "'C': 0.5"), good[2]]
    paper, rng = get_answer_format("paper"), np.random.default_rng(0)
    taken = [choose(answers, SVM, paper, 5, PromptSettings(), WarmstartSettings(), k, rng) for k in range(3)]
    assert [t.configs[0]["tol"] for t in taken] == [0.001, 0.002, 0.003]
    assert {t.kept_answers for t in taken} == {3} and {t.fallback_points for t in taken} == {0}
    with pytest.raises(ModelFailed, match="kept 3 of 5 answers.*seed 3 needs answer 4"):
        choose(answers, SVM, paper, 5, PromptSettings(), WarmstartSettings(), 3, rng)


def test_the_robust_policy_keeps_each_valid_configuration_and_counts_random_top_ups():
    answer = "{'C': 10.0, 'gamma': 0.0005, 'tol': 0.001} and {'C': 0.5, 'gamma': 0.0005, 'tol': 0.001}"
    chosen = choose(
        [answer],
        SVM,
        get_answer_format("paper"),
        5,
        PromptSettings(),
        WarmstartSettings(policy="robust"),
        0,
        np.random.default_rng(0),
    )
    assert chosen.configs[0] == {"C": 10.0, "gamma": 0.0005, "tol": 0.001}
    assert chosen.fallback_points == 4 and len(chosen.configs) == 5 and all(SVM.contains(c) for c in chosen.configs)


def test_the_warmstart_request_is_the_official_one(tmp_path):
    """One chat request asking n = 30 at temperature 0.7 and top_p 0.95, with no max_tokens at all."""
    with LoopbackServer(responder=llambo_responder) as server:
        transport = make_transport(CassetteStore(tmp_path), "ws", RecordMode.RECORD, server.base_url)
        engine = Engine(open_async_client(transport), "loopback-model")
        try:
            texts = ask_warmstart(
                engine, SVM, WINE_SVM, get_answer_format("paper"), 5, PromptSettings("no_context"), WarmstartSettings()
            )
        finally:
            engine.close()
    (body,) = server.received
    assert body["n"] == 30 and body["temperature"] == 0.7 and body["top_p"] == 0.95 and "max_tokens" not in body
    assert len(texts) == 30
    assert len(kept_sets(texts, SVM, get_answer_format("paper"), PromptSettings(), "official", 5)) == 30


# -- the rules of issue 27 (items 1, 3-6): each the official code's behaviour by default ------------------------
def by_sample(*answers: str):
    return lambda body, sample: answers[sample % len(answers)]


def test_the_official_sampler_drops_exact_duplicates_only_the_robust_one_near_ones_too(tmp_path):
    """The official table's `drop_duplicates` is exact within a round and rounds are concatenated as they
    are; an answer equal to an observed point at 8 decimals is dropped by both."""
    near = by_sample(
        "## x: 0.1, depth: 3 ##",
        "## x: 0.100000001, depth: 3 ##",
        "## x: 0.2, depth: 5 ##",
        "## x: 0.500000001, depth: 3 ##",
    )  # the last equals observed x 0.5 at 8 decimals
    official, sent = propose(tmp_path / "o", near, "official", n_candidates=8)
    assert official.rounds == 2 and sent == 4
    assert list(official.candidates["x"]) == [0.1, 0.100000001, 0.2] * 2
    robust, _ = propose(tmp_path / "r", near, "robust", n_candidates=8)
    assert list(robust.candidates["x"])[:2] == [0.1, 0.2] and robust.fallback_points == 3


def test_the_official_candidate_table_takes_the_first_answers_column_order_and_prompts_print_it(tmp_path):
    from llambo_replay.llambo.prompts import discriminative_prompts

    reordered = scripted({}, "## depth: {d}, x: {x} ##")
    official, _ = propose(tmp_path / "o", reordered, "official", n_candidates=10)
    assert list(official.candidates.columns) == ["depth", "x"]
    robust, _ = propose(tmp_path / "r", reordered, "robust", n_candidates=10)
    assert list(robust.candidates.columns) == ["x", "depth"]
    observed = pd.DataFrame([{"x": 0.5, "depth": 3}])
    prompts = discriminative_prompts(
        CONTEXT, SPACE, observed, [0.8], official.candidates, 1, PromptSettings(), get_answer_format("paper")
    )
    assert "Hyperparameter configuration: x is 0, depth is 3\nPerformance" in prompts[0]  # observed: space order
    assert prompts[0].endswith("Hyperparameter configuration: depth is 1, x is 0\nPerformance: ")


def generative_select(tmp_path, candidates: pd.DataFrame, unreadable_c: str):
    """The generative surrogate over the loopback server; the candidate whose (warped) C prints as
    `unreadable_c` gets answers with neither class token, so no readable probability."""
    from llambo_replay.llambo.surrogate import GenerativeSurrogate, SurrogateSettings

    def respond(body: dict, sample: int) -> str:
        last = body["prompt"].rsplit("Hyperparameter configuration: ", 1)[1]
        return "maybe" if last.startswith(f"C: {unreadable_c},") else "1"

    observed = pd.DataFrame([{"C": 12.5, "gamma": 0.0005, "tol": 0.001}, {"C": 50.0, "gamma": 0.0002, "tol": 0.01}])
    with LoopbackServer(responder=respond) as server:
        engine = Engine(
            open_async_client(make_transport(CassetteStore(tmp_path), "g", RecordMode.RECORD, server.base_url)),
            "m",
            max_concurrency=1,
        )
        try:
            surrogate = GenerativeSurrogate(engine, SVM, CONTEXT, settings=SurrogateSettings(n_templates=1, n_gens=3))
            return surrogate.select(observed, np.array([0.8, 0.9]), candidates)
        finally:
            engine.close()


def test_a_generative_candidate_with_no_readable_probability_wins_when_first_as_numpys_argmax_makes_it(tmp_path):
    """The official code takes `np.argmax` of the `nanmean` probabilities: the first NaN wins (before, the
    NaN was filled with the mean and the best finite candidate won)."""
    candidates = pd.DataFrame(
        [
            {"C": 10.0, "gamma": 0.0005, "tol": 0.001},
            {"C": 100.0, "gamma": 0.0005, "tol": 0.001},
            {"C": 1000.0, "gamma": 0.0005, "tol": 0.001},
        ]
    )
    selection = generative_select(tmp_path, candidates, unreadable_c="2.0")
    assert selection.index == 1 and np.isnan(selection.scores[1]) and np.isfinite(selection.scores[[0, 2]]).all()


def test_the_generative_choice_is_the_candidate_warped_to_log10_and_back(tmp_path):
    candidates = pd.DataFrame([{"C": 10.0, "gamma": 0.0002051, "tol": 0.001}])
    selection = generative_select(tmp_path, candidates, unreadable_c="none")
    # The official code's numpy round trip gives 0.0002050999999999999 with AVX-512 and 0.00020510000000000008
    # without; here it is computed in decimal arithmetic, so every CPU gets the same (correctly rounded) double.
    assert selection.index == 0 and selection.chosen["gamma"] == 0.00020510000000000008
    assert selection.chosen["C"] == 10.0


def test_configspace_takes_true_for_an_integer_hyperparameter_so_the_official_reading_does():
    assert valid_config({"x": 0.5, "depth": True}, SPACE, PromptSettings(), bool_integers=True) == {
        "x": 0.5,
        "depth": 1,
    }
    assert valid_config({"x": 0.5, "depth": False}, SPACE, PromptSettings(), bool_integers=True) is None  # 0 < 1
    assert valid_config({"x": True, "depth": 3}, SPACE, PromptSettings(), bool_integers=True) is None  # a float
    answer = "\n".join(f"{i + 1}. {{'x': 0.{i + 1}, 'depth': {'True' if i == 0 else i + 1}}}" for i in range(5))
    paper = get_answer_format("paper")
    assert len(kept_sets([answer], SPACE, paper, PromptSettings(), "official", 5)) == 1
    assert kept_sets([answer], SPACE, paper, PromptSettings(), "robust", 5)[0][0] == {"x": 0.2, "depth": 2}


@pytest.mark.slow
def test_run_warmstart_asks_one_request_per_task_shared_by_every_seed(tmp_path):
    """As the official run: one warm-starting request per task, shared by every seed; seed k takes answer k."""
    with LoopbackServer(responder=llambo_responder, ignore_n=False) as server:
        for seed in (0, 1):
            result = record_cli(
                "run",
                server.base_url,
                tmp_path / "c",
                tmp_path / "o",
                "--seed",
                str(seed),
                "--trials",
                "1",
                "--warmstart",
                "no_context",
                "--warmstart-policy",
                "robust",
                "--no-memo",
                timeout=600,
            )
            assert result.returncode == 0, result.stderr
        warmstarts = [body for body in server.received if body.get("n") == 30]
    assert len(warmstarts) == 1
    namespace = "smollm2-135m-instruct/warmstart-json/iris/SVM/no_context"
    manifests = [json.loads((tmp_path / f"o/iris/SVM/{seed}.manifest.json").read_text()) for seed in (0, 1)]
    assert all(namespace in m["cassettes"] for m in manifests)
    check = cli("check", "--results", str(tmp_path / "o"), "--cassettes", str(tmp_path / "c"), timeout=600)
    assert check.returncode == 0 and "2/2" in check.stdout, check.stdout + check.stderr


@pytest.mark.parametrize(("policy", "asked"), [("official", 3), ("robust", 2)])
def test_the_official_surrogate_asks_at_least_three_samples_a_prompt_and_keeps_them_all(tmp_path, policy, asked):
    """`llambo/discriminative_sm.py:77`: `n=max(n_preds, 3)`, and every returned sample is read (`:147`), so
    with n_gens = 2 each candidate's mean is over three scores. The robust policy asks n_gens."""
    from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES
    from llambo_replay.llambo.surrogate import DiscriminativeSurrogate, SurrogateSettings

    scores = iter(["## 0.5 ##", "## 0.7 ##", "## 0.9 ##"] * 10)
    with LoopbackServer(responder=lambda body, sample: next(scores)) as server:
        transport = make_transport(CassetteStore(tmp_path / "c"), "t/n", RecordMode.RECORD, server.base_url)
        engine = Engine(open_async_client(transport), "m", max_concurrency=1)
        try:
            surrogate = DiscriminativeSurrogate(
                engine,
                SPACE,
                CONTEXT,
                get_answer_format("paper"),
                PromptSettings(),
                SurrogateSettings(n_templates=1, n_gens=2),
                SAMPLER_POLICIES[policy].surrogate_min_samples,
            )
            observed = pd.DataFrame([{"x": 0.5, "depth": 3}, {"x": 0.2, "depth": 7}])
            mean, _, answers, _ = surrogate.predict(observed, np.array([0.8, 0.9]), observed.iloc[:1])
        finally:
            engine.close()
    assert [body["n"] for body in server.received] == [asked] and answers == asked
    assert mean[0] == pytest.approx(0.7 if asked == 3 else 0.6)
