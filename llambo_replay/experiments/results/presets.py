"""What each command's `--preset` fills in, and the defaults of the flags no preset sets.

Data, not code: the CLI builds its flags' defaults from these tables, and `commands.replay_command`
writes a result's command line as the flags that differ from them, so the two cannot disagree.
Imports nothing but pathlib, so that `--help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_STORE = Path("cassettes")  # every command's --cassettes, unless given
PACKAGED = "(packaged)"  # `--reference` given without a folder: the paper's data shipped with the package

# Settings a preset fills in when the flag is not given. `demo` is what the committed demo
# run was recorded with (so `llambo-replay run` replays it); `paper` is the setup of the paper's code
# (`exp_bayesmark/run_bayesmark.py`), which made its published histories, also called `official`;
# `paper-text` is the setup its appendix D.4 states, which differs from the code in the candidates
# sampled (M = 20, not 10), the target (alpha = -0.1, not 0.1) and the model (gpt-3.5-turbo-0301, where
# the code asked an Azure deployment of gpt-3.5-turbo). Committed replay commands say `paper`.
PRESETS: dict[str, dict[str, object]] = {
    "demo": {
        "trials": 10,
        "n_gens": 5,
        "protocol": "json",
        "llm_model": "smollm2-135m-instruct",
        "concurrency": 1,
        "sampler_policy": "robust",
        "warmstart_policy": "robust",
        "n_candidates": 10,
        "alpha": 0.1,
    },
    "paper": {
        "trials": 25,
        "n_gens": 10,
        "protocol": "paper",
        "llm_model": "gpt-3.5-turbo",
        "concurrency": 4,
        "sampler_policy": "official",
        "warmstart_policy": "official",
        "n_candidates": 10,
        "alpha": 0.1,
    },
}
PRESETS["official"] = PRESETS["paper"]  # the same settings by the name the issue tracker uses; `paper` stays first
PRESETS["paper-text"] = {**PRESETS["paper"], "n_candidates": 20, "alpha": -0.1, "llm_model": "gpt-3.5-turbo-0301"}
PAPER_PRESETS = frozenset({"paper", "official", "paper-text"})  # the presets that ask as the paper's code asks


# The same for `components` (this package's own design of the component evaluations; the official ones are
# `surrogate-eval` and `sampler-eval`): `demo` is what the committed component evaluations were recorded
# with; `paper` is this design at the official settings (5 templates; the sampler asked for M = 20 at alpha -0.2).
COMPONENT_PRESETS: dict[str, dict[str, object]] = {
    "demo": {
        "datasets": ["breast", "wine", "digits"],
        "n_test": 5,
        "n_gens": 3,
        "n_candidates": 10,
        "n_templates": 2,
        "alpha": 0.1,
        "sampler_policy": "robust",
        "protocol": "json",
        "llm_model": "smollm2-135m-instruct",
    },
    "paper": {
        "datasets": ["breast", "wine", "digits", "diabetes"],
        "n_test": 10,
        "n_gens": 10,
        "n_candidates": 20,
        "n_templates": 5,
        "alpha": -0.2,
        "sampler_policy": "official",
        "protocol": "paper",
        "llm_model": "gpt-3.5-turbo",
    },
}


# The same for `warmstart`: `demo` is what the committed warm-starting evaluation was recorded with (SmolLM2
# gives no list of valid configurations, so its answers are read by the robust policy); `paper` is the
# official experiment's setup (10 seeds, 25 trials, the official request and reading).
WARMSTART_PRESETS: dict[str, dict[str, object]] = {
    "demo": {
        "seeds": [0, 1, 2],
        "trials": 10,
        "llm_model": "smollm2-135m-instruct",
        "protocol": "json",
        "warmstart_policy": "robust",
    },
    "paper": {
        "seeds": list(range(10)),
        "trials": 25,
        "llm_model": "gpt-3.5-turbo",
        "protocol": "paper",
        "warmstart_policy": "official",
    },
}


# The official code asks a completions (instruct) model for the generative surrogate's class logprobs.
DESIGNS = ("random", "sobol", "lhs")  # the warm-starting evaluation's initial designs beside the LLM's

PAPER_GENERATIVE_MODEL = "gpt-3.5-turbo-instruct"


# `run`/`grid` flags that no preset sets, by their argparse names (`dest`), with their defaults.
RUN_DEFAULTS: dict[str, object] = {
    "init": 5,
    "sm": "discriminative",
    "reference": None,
    "reference_reader": "pandas",
    "initial_points": None,
    "warmstart": None,
    "warmstart_answers": 30,
    "warmstart_max_tokens": None,
    "warmstart_statistics": False,
    "context": "full_context",
    "anonymise": False,
    "shuffle_features": False,
    "warping": False,
    "n_templates": 2,
    "top_pct": 0.25,
    "generative_model": None,
}

# `components` flags that no preset sets.
COMPONENT_DEFAULTS: dict[str, object] = {"model": "RandomForest", "seeds": [0], "n_observed": [5, 10, 20, 30]}


# The same for `surrogate-eval`: `demo` is what the committed evaluation was recorded with (SmolLM2, small
# scale); `paper` is the official evaluation's setup (seeds 0-4, 10 samples per template, the paper's format).
SURROGATE_EVAL_PRESETS: dict[str, dict[str, object]] = {
    "demo": {
        "n_observed": [5, 10],
        "seeds": [0],
        "n_gens": 5,
        "llm_model": "smollm2-135m-instruct",
        "protocol": "json",
    },
    "paper": {
        "n_observed": [5, 10, 20, 30],
        "seeds": [0, 1, 2, 3, 4],
        "n_gens": 10,
        "llm_model": "gpt-3.5-turbo",
        "protocol": "paper",
    },
}
SURROGATE_EVAL_DEFAULTS: dict[str, object] = {
    "task": ["breast", "RandomForest"],
    "sm": "discriminative",
    "prompts": "full",
}


# The same for `sampler-eval`: `demo` is what the committed evaluation was recorded with (SmolLM2, small
# scale, its answers read by the robust policy); `paper` is the official run script's (observed sets of 5, 10,
# 20 and 30, one seed, the official sampler).
SAMPLER_EVAL_PRESETS: dict[str, dict[str, object]] = {
    "demo": {
        "n_observed": [5, 10],
        "seeds": [0],
        "llm_model": "smollm2-135m-instruct",
        "protocol": "json",
        "sampler_policy": "robust",
    },
    "paper": {
        "n_observed": [5, 10, 20, 30],
        "seeds": [0],
        "llm_model": "gpt-3.5-turbo",
        "protocol": "paper",
        "sampler_policy": "official",
    },
}
SAMPLER_EVAL_DEFAULTS: dict[str, object] = {"task": ["breast", "RandomForest"]}

# The data sets `surrogate-eval` and `sampler-eval` evaluate, per preset, when no task is named: the official
# run scripts (run_evaluate_dis_sm.sh, run_evaluate_sampling.sh) loop over these, with RandomForest.
EVALUATION_DATASETS: dict[str, list[str]] = {"paper": ["breast", "wine", "digits", "diabetes"]}
