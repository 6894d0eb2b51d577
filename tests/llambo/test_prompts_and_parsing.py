"""The shared prompt serialiser and the answer parsers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from llambo_replay.errors import UsageError
from llambo_replay.llambo.answer_format import JsonFormat, PaperFormat, get_answer_format
from llambo_replay.llambo.prompts import (
    PromptSettings,
    TaskContext,
    count_decimals,
    discriminative_prompt,
    ranges_block,
    sampler_prompt,
    serialise_config,
)
from llambo_replay.llambo.space import SearchSpace

SPACE = SearchSpace.from_spec({"max_depth": ["int", "linear", [1, 15]], "gamma": ["float", "log", [1e-4, 1e-3]]})
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
OBSERVED = pd.DataFrame({"max_depth": [3, 7, 12], "gamma": [0.00021234, 0.0005, 0.00099]})
SCORES = [0.9, 0.95, 0.8]


def test_decimals_follow_the_lower_bound():
    assert [count_decimals(x) for x in (1, 0.01, 1e-4, 0.5, 1e-5)] == [0, 2, 4, 1, 5]
    assert (
        serialise_config({"max_depth": 3.0, "gamma": 0.00021234}, SPACE, PromptSettings())
        == "max_depth: 3, gamma: 0.0002"
    )
    assert (
        serialise_config({"max_depth": 3, "gamma": 0.0005}, SPACE, PromptSettings(feature_semantics=False), " is ")
        == "X1 is 3, X2 is 0.0005"
    )


def test_ranges_show_warped_log_scale():
    assert ranges_block(SPACE, PromptSettings()) == (
        "- max_depth: [1, 15] (int)\n- gamma: [0.0001, 0.0010] (float, precise to 4 decimals)\n"
    )
    assert (
        ranges_block(SPACE, PromptSettings(warping=True)).splitlines()[1]
        == "- gamma: [-4.0000, -3.0000] (log scale, precise to 4 decimals)"
    )


def test_discriminative_prompt_is_exactly_the_papers_text():
    prompt = discriminative_prompt(
        CONTEXT,
        SPACE,
        OBSERVED,
        SCORES,
        pd.Series({"max_depth": 5, "gamma": 0.0004}),
        0,
        PromptSettings(),
        PaperFormat(),
    )
    assert prompt == (
        "The following are hyperparameter configurations for a SVM and the corresponding performance measured in "
        "accuracy. The model is evaluated on a tabular classification task and the label contains 3 classes. The "
        "tabular dataset contains 120 samples and 4 features (0 categorical, 4 numerical).  Your response should only "
        "contain the predicted accuracy in the format ## performance ##.\n"
        "Hyperparameter configuration: max_depth is 12, gamma is 0.0010\nPerformance: ## 0.800000 ##\n"
        "Hyperparameter configuration: max_depth is 7, gamma is 0.0005\nPerformance: ## 0.950000 ##\n"
        "Hyperparameter configuration: max_depth is 3, gamma is 0.0002\nPerformance: ## 0.900000 ##\n"
        "Hyperparameter configuration: max_depth is 5, gamma is 0.0004\nPerformance: "
    )


def test_sampler_prompt_is_exactly_the_papers_text_with_partial_context():
    prompt = sampler_prompt(
        CONTEXT, SPACE, OBSERVED, SCORES, 0.96, 1, PromptSettings(context="partial_context"), PaperFormat()
    )
    assert prompt == (
        "The following are examples of performance of a SVM measured in accuracy and the corresponding model "
        "hyperparameter configurations. The allowable ranges for the hyperparameters are:\n"
        "- max_depth: [1, 15] (int)\n- gamma: [0.0001, 0.0010] (float, precise to 4 decimals)\n"
        "Recommend a configuration that can achieve the target performance of 0.960000. Do not recommend values at "
        "the minimum or maximum of allowable range, do not recommend rounded values. Recommend values with highest "
        "possible precision, as requested by the allowed ranges. Your response must only contain the predicted "
        "configuration, in the format ## configuration ##.\n\n"
        "Performance: 0.900000\nHyperparameter configuration: ## max_depth: 3, gamma: 0.0002 ##\n"
        "Performance: 0.800000\nHyperparameter configuration: ## max_depth: 12, gamma: 0.0010 ##\n"
        "Performance: 0.950000\nHyperparameter configuration: ## max_depth: 7, gamma: 0.0005 ##\n"
        "Performance: 0.960000\nHyperparameter configuration:"
    )


def test_templates_order_examples_differently():
    first = discriminative_prompt(
        CONTEXT, SPACE, OBSERVED, SCORES, OBSERVED.iloc[0], 0, PromptSettings(), PaperFormat()
    )
    second = discriminative_prompt(
        CONTEXT, SPACE, OBSERVED, SCORES, OBSERVED.iloc[0], 1, PromptSettings(), PaperFormat()
    )
    assert first != second and sorted(first.splitlines()) == sorted(second.splitlines())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("## max_depth: 4, gamma: 0.00031 ##", {"max_depth": 4.0, "gamma": 0.00031}),
        ("Sure! ## max_depth: 4, gamma: 3.1e-4 ## hope it helps", {"max_depth": 4.0, "gamma": 0.00031}),
        ("max_depth: 4, gamma: 0.00031.", {"max_depth": 4.0, "gamma": 0.00031}),
        ("## max\\_depth: 4, gamma: 0.00031 ##", {"max_depth": 4.0, "gamma": 0.00031}),
        ("## max_depth: 4 ##", None),
        ("## depth: 4, gamma: 0.1 ##", None),
        ("I cannot help with that.", None),
    ],
)
def test_paper_protocol_parses_configurations(text, expected):
    assert PaperFormat().parse_config(text, SPACE) == expected


def test_anonymised_names_map_back():
    assert PaperFormat().parse_config("## X1: 4, X2: 0.0003 ##", SPACE, anonymised=True) == {
        "max_depth": 4,
        "gamma": 0.0003,
    }


def test_out_of_range_answers_are_rejected_by_the_space():
    assert SPACE.contains({"max_depth": 4, "gamma": 0.0003})
    assert not SPACE.contains({"max_depth": 4.5, "gamma": 0.0003})  # int hyperparameter
    assert not SPACE.contains({"max_depth": 16, "gamma": 0.0003})
    assert not SPACE.contains({"max_depth": 4, "gamma": 0.01})
    assert SPACE.contains({"max_depth": 4, "gamma": -3.5}, warped=True)
    assert not SPACE.contains({"max_depth": 4, "gamma": math.nan})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("## 0.953 ##", 0.953),
        ("## -1.5 ##", -1.5),
        ("0.953", math.nan),
        ("## 0.9 ## ## 0.8 ##", math.nan),
        ("## 0.9.1 ##", math.nan),
    ],
)
def test_paper_protocol_parses_scores(text, expected):
    got = PaperFormat().parse_score(text)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_json_protocol_parses_and_rejects():
    p = JsonFormat()
    assert p.parse_config('{ "max_depth": 4, "gamma": 0.0003 }', SPACE) == {"max_depth": 4, "gamma": 0.0003}
    assert p.parse_config('{"max_depth": "four", "gamma": 0.0003}', SPACE) is None
    assert p.parse_config('{"max_depth": 4', SPACE) is None
    assert p.parse_score('{"performance": 0.91}') == 0.91
    assert math.isnan(p.parse_score('{"performance": true}'))
    assert math.isnan(p.parse_score('{ "performance": 0.'))
    answer = '{"configurations": [{"max_depth": 2, "gamma": 0.0002}, {"bad": 1}]}'
    assert p.config_dicts(answer) == [{"max_depth": 2, "gamma": 0.0002}, {"bad": 1}]
    assert p.config_dicts('{"configurations": [{"max_depth": 2}, 3]}') is None
    assert p.loose_config_dicts('{"configurations": [{"max_depth": 2}, 3]}') == [{"max_depth": 2}]
    assert p.config_format(SPACE, False)["schema"]["required"] == ["max_depth", "gamma"]


def test_unknown_protocol_and_bad_space_are_user_errors():
    with pytest.raises(UsageError, match="paper, json"):
        get_answer_format("yaml")
    with pytest.raises(UsageError, match="bad search-space entry"):
        SearchSpace.from_spec({"C": ["float", "cubic", [1, 2]]})


def test_a_chat_answer_given_as_parts_is_read_as_its_text():
    from llambo_replay.llambo.engine import message_text

    parts = [
        {"type": "text", "text": "## 0.5 "},
        {"type": "image_url", "image_url": {}},
        {"type": "text", "text": "##"},
    ]
    assert message_text(parts) == "## 0.5 ##"
    assert message_text("## 0.5 ##") == "## 0.5 ##"
    assert message_text(None) == "" and message_text([1, None]) == ""
