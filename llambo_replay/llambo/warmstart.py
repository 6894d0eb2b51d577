"""Zero-shot warm-starting: ask the LLM for the initial configurations, as the official code does.

One chat request for 30 answers (temperature 0.7, top_p 0.95, no token limit) to one of three
templates (`WARMSTART_TEMPLATES`, below, with the prompt built from them). The official rule keeps an
answer only if it reads as a list of configurations that are all valid in the search space (a ConfigSpace `Configuration`:
every hyperparameter, nothing else, integers as integers, inside the bounds), and seed k starts
from the first n of the k-th kept answer holding at least n. Where there is no such answer the
official code stops with an error, and so does `official` here; `robust` reads answers leniently,
keeps each valid configuration and tops up with random points, counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from llambo_replay.errors import ModelFailed, UsageError
from llambo_replay.llambo.answer_format import AnswerFormat, PaperFormat
from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.prompts import PromptSettings, TaskContext, display_name
from llambo_replay.llambo.reading_policies import WARMSTART_POLICY_NAMES
from llambo_replay.llambo.space import SearchSpace

# The official zero-shot warm-starting templates (tennisonliu/LLAMBO, exp_warmstarting/templates/
# classification_*.txt at 196fe23, MIT licence; bench/paper_data/LICENSE), as the files read. The official
# reader joins a file's lines with spaces and keeps a blank line as one line break (`flatten_template`).
# Its Full_Context file has slots the official code fills only for a context it has no file for, so they
# reach the LLM unfilled; `warmstart_prompt(..., statistics=True)` fills them.
WARMSTART_TEMPLATES = {
    "no_context": """You are assisting me with automated machine learning using [MODEL].
I\u2019m exploring a subset of hyperparameters detailed as: [CONFIGURATION_AND_TYPE].
Please suggest [NUM_RECOMMENDATION] diverse yet effective configurations to initiate a Bayesian Optimization process for hyperparameter tuning.
You mustn't include \u2018None\u2019 in the configurations.
Your response should include only a list of dictionaries, where each dictionary describes one recommended configuration. Do not enumerate the dictionaries.""",
    "partial_context": """You are assisting me with automated machine learning using [MODEL] for a [TASK] task. The [TASK] performance is measured using [METRIC].
The dataset has [NUM_SAMPLES] samples with [NUM_FEATURES] total features, of which [NUM_NUM_FEATURES] are numerical and [NUM_CAT_FEATURES] are categorical.
[ADD_CLASS_INFO]
I\u2019m exploring a subset of hyperparameters detailed as: [CONFIGURATION_AND_TYPE].
Please suggest [NUM_RECOMMENDATION] diverse yet effective configurations to initiate a Bayesian Optimization process for hyperparameter tuning.
You mustn't include \u2018None\u2019 in the configurations.
Your response should include only a list of dictionaries, where each dictionary describes one recommended configuration. Do not enumerate the dictionaries.""",
    "full_context": """You are assisting me with automated machine learning using [MODEL].
The dataset has [NUM_SAMPLES] samples with [NUM_FEATURES] total features, of which [NUM_NUM_FEATURES] are numerical and [NUM_CAT_FEATURES] are categorical.
Considering one-hot encoding for categorical features the total amount input's features of the random forest is [TOTAL_FEATURES].
[NUM_STAT]
The number of features that have strong correlation (defined as > 0.5 or <-0.5) with the target feature is [CORR_TARGET].
Of the [NUM_POSSIBLE] pairwise feature relationships, [CORR_FEATURES] pairs of features are strongly correlated (>0.5, <-0.5).
[ADD_CLASS_INFO]
I\u2019m exploring a subset of hyperparameters detailed as: [CONFIGURATION_AND_TYPE].

Provide [NUM_RECOMMENDATION] diverse and efficient configuration suggestions to commence a Bayesian Optimization procedure aimed at fine-tuning hyperparameters.
These configurations should be carefully customized to suit the characteristics of the dataset at hand.
"You mustn't include \u2018None\u2019 in the configurations.
Your response should include only a list of dictionaries, where each dictionary describes one recommended configuration. Do not enumerate the dictionaries.""",
}
OFFICIAL_ANSWER_SENTENCE = (
    "Your response should include only a list of dictionaries, where each dictionary describes "
    "one recommended configuration. Do not enumerate the dictionaries."
)


def flatten_template(text: str) -> str:
    """The official template reader: a blank line becomes one line break, every other break a space."""
    return text.replace("\n\n", "\0").replace("\n", " ").replace("\0", "\n")


def hyperparameters_sentence(space: SearchSpace, settings: PromptSettings) -> str:
    """`[CONFIGURATION_AND_TYPE]` as the official code writes it from a ConfigSpace space: names in
    ConfigSpace's (alphabetical) order, bounds as Python prints them ("float between [1e-05, 0.1]")."""
    parts = []
    for i in sorted(range(len(space.params)), key=lambda i: display_name(space, i, settings)):
        p = space.params[i]
        bounds = f"[{int(p.low)}, {int(p.high)}]" if p.type == "int" else f"[{float(p.low)!r}, {float(p.high)!r}]"
        parts.append(
            f"{display_name(space, i, settings)} ({'integer' if p.type == 'int' else 'float'} between {bounds})"
        )
    return ", ".join(parts)


def class_distribution(counts: Sequence[int]) -> str:
    """'71 (y=0), 59 (y=1) and 48 (y=2)': the official wording, counts largest first as pandas'
    value_counts gives them (so `y=0` is the largest class, not label 0)."""
    words = [f"{count} (y={i})" for i, count in enumerate(counts)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def warmstart_slots(
    ctx: TaskContext, space: SearchSpace, n: int, settings: PromptSettings, statistics: bool
) -> dict[str, str]:
    """What each `[SLOT]` of a warm-starting template becomes (the official `obtain_dict_text`)."""
    slots = {
        "[MODEL]": ctx.estimator or ctx.model,
        "[TASK]": ctx.task,
        "[METRIC]": ctx.metric_words,
        "[NUM_SAMPLES]": str(ctx.dataset_size or ctx.num_samples),
        "[NUM_FEATURES]": str(ctx.tot_feats),
        "[NUM_NUM_FEATURES]": str(ctx.num_feats),
        "[NUM_CAT_FEATURES]": str(ctx.cat_feats),
        "[ADD_CLASS_INFO]": (
            f"Class distribution is {class_distribution(ctx.class_counts)}."
            if ctx.task == "classification" and ctx.class_counts
            else ""
        ),
        "[NUM_RECOMMENDATION]": str(n),
        "[CONFIGURATION_AND_TYPE]": hyperparameters_sentence(space, settings),
    }
    stats = ctx.statistics
    if statistics and stats is not None:
        slots.update(
            {
                "[TOTAL_FEATURES]": str(ctx.tot_feats),  # one-hot of no categorical feature
                "[NUM_STAT]": (
                    "We are standarizing numerical values to have mean 0 and std 1. The Skewness of each "
                    f"feature is {', '.join(map(repr, stats.skew))} and the kurtosis is "
                    f"{', '.join(map(repr, stats.kurtosis))}."
                    if ctx.num_feats
                    else ""
                ),
                "[CORR_TARGET]": str(stats.target_correlated),
                "[NUM_POSSIBLE]": str(stats.feature_pairs),
                "[CORR_FEATURES]": str(stats.pairs_correlated),
            }
        )
    return slots


def warmstart_prompt(
    ctx: TaskContext,
    space: SearchSpace,
    n: int,
    settings: PromptSettings,
    protocol: AnswerFormat,
    statistics: bool = False,
) -> str:
    """The official zero-shot request for `n` initial configurations, at `settings.context`'s level.

    The paper protocol keeps the official last sentence (a list of dictionaries); others put their own
    answer format there. `statistics` fills the Full_Context dataset statistics, which the official code
    leaves as literal `[SLOT]`s."""
    text = flatten_template(WARMSTART_TEMPLATES[settings.context])
    for slot, value in warmstart_slots(ctx, space, n, settings, statistics).items():
        text = text.replace(slot, value)
    instruction = protocol.configs_instruction(n)
    return text if instruction is None else text.replace(OFFICIAL_ANSWER_SENTENCE, instruction)


@dataclass(frozen=True)
class WarmstartSettings:
    """The official request (30 answers, temperature 0.7, top_p 0.95, no max_tokens) and reading."""

    answers: int = 30
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int | None = None
    policy: str = "official"
    statistics: bool = False  # fill the Full_Context dataset statistics the official code leaves unfilled

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise UsageError(f"unknown warm-start policy {self.policy!r}; choose one of: {', '.join(POLICIES)}")
        if self.answers < 1 or (self.max_tokens is not None and self.max_tokens < 1):
            raise UsageError("the warm-start needs at least one answer and, if limited, at least one token")

    @property
    def sampling(self) -> Sampling:
        return Sampling(self.temperature, self.top_p, self.max_tokens)


@dataclass(frozen=True)
class Warmstart:
    configs: list[dict[str, float]]
    fallback_points: int  # random configurations that filled a gap (robust policy only)
    kept_answers: int  # answers the policy could use
    answers: int


def valid_config(
    raw: dict, space: SearchSpace, settings: PromptSettings, bool_integers: bool = False
) -> dict[str, float] | None:
    """`raw` as a configuration if ConfigSpace would accept it: exactly the space's (displayed) names,
    integer hyperparameters as integers, every value inside its bounds; else None. ConfigSpace 0.6 also
    takes `True` for an integer hyperparameter (a bool is an int to Python; `False` is 0), and a float
    one refuses both: `bool_integers` reads them so, as 1 and 0."""
    shown = {display_name(space, i, settings): p for i, p in enumerate(space.params)}
    if set(raw) != set(shown):
        return None
    config = {}
    for name, value in raw.items():
        p = shown[name]
        kinds = (int,) if p.type == "int" else (int, float)
        if isinstance(value, bool) and bool_integers and p.type == "int":
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            return None
        if not p.low <= value <= p.high:
            return None
        config[p.name] = value
    return config


def _official_reading(
    text: str, space: SearchSpace, protocol: PaperFormat, prompts: PromptSettings, n: int
) -> list[dict[str, float]]:
    """All of the answer's configurations if it reads as a list of at least n, every one valid; else none."""
    raw = protocol.config_dicts(text) or []
    configs = [c for c in (valid_config(d, space, prompts, bool_integers=True) for d in raw) if c is not None]
    return configs if len(raw) >= n and len(configs) == len(raw) else []


def _robust_reading(
    text: str, space: SearchSpace, protocol: PaperFormat, prompts: PromptSettings, n: int
) -> list[dict[str, float]]:
    """Every distinct valid configuration the answer holds, wherever it stands."""
    configs = [c for c in (valid_config(d, space, prompts) for d in protocol.loose_config_dicts(text)) if c]
    return [c for i, c in enumerate(configs) if c not in configs[:i]]


@dataclass(frozen=True)
class WarmstartPolicy:
    read: Callable[[str, SearchSpace, PaperFormat, PromptSettings, int], list[dict[str, float]]]
    tops_up: bool  # fill a gap with random points (else a seed without a usable answer stops the run)


# under the names the command line lists (llambo.reading_policies), in that order: official, robust
POLICIES = dict(
    zip(
        WARMSTART_POLICY_NAMES,
        (WarmstartPolicy(_official_reading, tops_up=False), WarmstartPolicy(_robust_reading, tops_up=True)),
        strict=True,
    )
)


def kept_sets(
    texts: list[str], space: SearchSpace, protocol: PaperFormat, prompts: PromptSettings, policy: str, n: int
) -> list[list[dict[str, float]]]:
    """The answers a policy keeps, in answer order, each as its configurations."""
    read = POLICIES[policy].read
    return [configs for configs in (read(text, space, protocol, prompts, n) for text in texts) if configs]


def ask_warmstart(
    engine: Engine,
    space: SearchSpace,
    context: TaskContext,
    protocol: PaperFormat,
    n: int,
    prompts: PromptSettings,
    settings: WarmstartSettings,
) -> list[str]:
    """The answers to the one warm-starting request of a task (shared by all its seeds)."""
    prompt = warmstart_prompt(context, space, n, prompts, protocol, settings.statistics)
    (texts,) = engine.chat(
        [prompt], settings.answers, settings.sampling, protocol.configs_format(space, not prompts.feature_semantics, n)
    )
    return texts


def choose(
    texts: list[str],
    space: SearchSpace,
    protocol: PaperFormat,
    n: int,
    prompts: PromptSettings,
    settings: WarmstartSettings,
    index: int,
    rng: np.random.Generator,
) -> Warmstart:
    """The `n` initial configurations of seed `index`: the official code's `index`-th kept answer."""
    sets = kept_sets(texts, space, protocol, prompts, settings.policy, n)
    if not POLICIES[settings.policy].tops_up:
        if index >= len(sets):
            raise ModelFailed(
                f"warm-start: the official rule kept {len(sets)} of {len(texts)} answers (a list of at least {n} "
                f"configurations, every one valid in the search space) and seed {index} needs answer {index + 1}; "
                "the official code stops here too. --warmstart-policy robust reads answers leniently and tops "
                "up with random points"
            )
        return Warmstart(sets[index][:n], 0, len(sets), len(texts))
    chosen = sets[index % len(sets)][:n] if sets else []
    missing = n - len(chosen)
    return Warmstart(chosen + space.sample(rng, missing), missing, len(sets), len(texts))


def warmstart(
    engine: Engine,
    space: SearchSpace,
    context: TaskContext,
    protocol: PaperFormat,
    n: int,
    prompts: PromptSettings,
    settings: WarmstartSettings,
    index: int,
    rng: np.random.Generator,
) -> Warmstart:
    """Ask, then choose seed `index`'s configurations. The request does not depend on `index`, so every
    seed of a task replays the same recording."""
    texts = ask_warmstart(engine, space, context, protocol, n, prompts, settings)
    return choose(texts, space, protocol, n, prompts, settings, index, rng)
