"""Zero-shot warm-starting: ask the LLM for the initial configurations, as the official code does.

One chat request for 30 answers (temperature 0.7, top_p 0.95, no token limit) to one of three
templates (`prompts.WARMSTART_TEMPLATES`). The official rule keeps an answer only if it reads as a
list of configurations that are all valid in the search space (a ConfigSpace `Configuration`:
every hyperparameter, nothing else, integers as integers, inside the bounds), and seed k starts
from the first n of the k-th kept answer holding at least n. Where there is no such answer the
official code stops with an error, and so does `official` here; `robust` reads answers leniently,
keeps each valid configuration and tops up with random points, counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from llambo_replay.errors import ModelFailed, UsageError
from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.policies import WARMSTART_POLICY_NAMES
from llambo_replay.llambo.prompts import PromptSettings, TaskContext, display_name, warmstart_prompt
from llambo_replay.llambo.protocol import PaperProtocol
from llambo_replay.llambo.space import SearchSpace


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
    text: str, space: SearchSpace, protocol: PaperProtocol, prompts: PromptSettings, n: int
) -> list[dict[str, float]]:
    """All of the answer's configurations if it reads as a list of at least n, every one valid; else none."""
    raw = protocol.config_dicts(text) or []
    configs = [c for c in (valid_config(d, space, prompts, bool_integers=True) for d in raw) if c is not None]
    return configs if len(raw) >= n and len(configs) == len(raw) else []


def _robust_reading(
    text: str, space: SearchSpace, protocol: PaperProtocol, prompts: PromptSettings, n: int
) -> list[dict[str, float]]:
    """Every distinct valid configuration the answer holds, wherever it stands."""
    configs = [c for c in (valid_config(d, space, prompts) for d in protocol.loose_config_dicts(text)) if c]
    return [c for i, c in enumerate(configs) if c not in configs[:i]]


@dataclass(frozen=True)
class WarmstartPolicy:
    read: Callable[[str, SearchSpace, PaperProtocol, PromptSettings, int], list[dict[str, float]]]
    tops_up: bool  # fill a gap with random points (else a seed without a usable answer stops the run)


# under the names the command line lists (llambo.policies), in that order: official, robust
POLICIES = dict(
    zip(
        WARMSTART_POLICY_NAMES,
        (WarmstartPolicy(_official_reading, tops_up=False), WarmstartPolicy(_robust_reading, tops_up=True)),
        strict=True,
    )
)


def kept_sets(
    texts: list[str], space: SearchSpace, protocol: PaperProtocol, prompts: PromptSettings, policy: str, n: int
) -> list[list[dict[str, float]]]:
    """The answers a policy keeps, in answer order, each as its configurations."""
    read = POLICIES[policy].read
    return [configs for configs in (read(text, space, protocol, prompts, n) for text in texts) if configs]


def ask_warmstart(
    engine: Engine,
    space: SearchSpace,
    context: TaskContext,
    protocol: PaperProtocol,
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
    protocol: PaperProtocol,
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
    protocol: PaperProtocol,
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
