"""`--preset`: the paper's code (`paper`, also `official`) and the paper's text (`paper-text`, App. D.4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llambo_replay.cli import build_parser
from llambo_replay.cli.common import run_spec
from llambo_replay.experiments.results.presets import PRESETS
from llambo_replay.experiments.results.replay_commands import replay_command

REPO = Path(__file__).resolve().parents[2]


def spec_of(*flags: str):
    return run_spec(build_parser("run").parse_args(["run", *flags]))


def test_official_is_the_papers_code_and_paper_text_its_appendix():
    code, text = spec_of("--preset", "official"), spec_of("--preset", "paper-text")
    assert code == spec_of("--preset", "paper")
    assert (code.settings.sampler.n_candidates, code.settings.sampler.alpha, code.llm_model) == (
        10,
        0.1,
        "gpt-3.5-turbo",
    )
    assert (text.settings.sampler.n_candidates, text.settings.sampler.alpha) == (20, -0.1)
    assert text.llm_model == "gpt-3.5-turbo-0301" and text.settings.n_trials == 25


@pytest.mark.parametrize("preset", ["paper", "official", "paper-text"])
def test_each_paper_preset_asks_the_code_s_instruct_model_for_the_generative_surrogate(preset):
    assert spec_of("--preset", preset, "--sm", "generative").generative_model == "gpt-3.5-turbo-instruct"


def test_a_flag_given_wins_over_the_preset():
    assert spec_of("--preset", "paper-text", "--n-candidates", "7").settings.sampler.n_candidates == 7


def test_a_replay_command_names_paper_for_the_codes_settings():
    """Committed replay commands say `--preset paper`; `official` is the same settings, so it is not chosen."""
    manifest = json.loads((REPO / "results/recorded/paper-grid/paper_tpe/iris/SVM/0.manifest.json").read_text())
    assert PRESETS["official"] is PRESETS["paper"]
    assert replay_command(manifest) == manifest["replay_command"]
    assert "--preset paper " in manifest["replay_command"]
