"""The LLAMBO loop: initial points, then trials of (sample candidates -> surrogate picks -> evaluate).

Components meet through plain data (DataFrames and arrays); the objective is any
callable, so the loop serves Bayesmark tasks and users' own problems alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay.errors import ModelFailed, UsageError
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.bounds import check_bounds
from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.prompts import PromptSettings, TaskContext
from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES
from llambo_replay.llambo.sampler import CandidateSampler, SamplerSettings
from llambo_replay.llambo.space import SearchSpace
from llambo_replay.llambo.surrogate import DiscriminativeSurrogate, GenerativeSurrogate, SurrogateSettings
from llambo_replay.llambo.warmstart import WarmstartSettings, warmstart

Objective = Callable[[dict[str, float]], Mapping[str, float]]
SURROGATES = ("discriminative", "generative")


@dataclass(frozen=True)
class LlamboSettings:
    """The paper's defaults: 5 initial points, 25 trials, 10 candidates from 2 templates, 10 generations."""

    n_initial: int = 5
    n_trials: int = 25
    surrogate: str = "discriminative"
    protocol: str = "paper"
    warmstart_context: str | None = None  # e.g. "full_context" to warm-start with the LLM
    warmstart_settings: WarmstartSettings = field(default_factory=WarmstartSettings)
    prompts: PromptSettings = field(default_factory=PromptSettings)
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    surrogate_settings: SurrogateSettings = field(default_factory=SurrogateSettings)

    def __post_init__(self) -> None:
        check_bounds(self)
        if self.surrogate not in SURROGATES:
            raise UsageError(f"unknown surrogate {self.surrogate!r}; choose one of: {', '.join(SURROGATES)}")
        get_answer_format(self.protocol)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a manifest keeps them; the warm-start's only when there is one, so manifests
        written before warm-starting had settings keep meaning exactly what they say."""
        out = asdict(self)
        if self.warmstart_context is None:
            del out["warmstart_settings"]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LlamboSettings:
        """Inverse of `as_dict` (for re-running a run from its manifest)."""
        try:
            sampler = dict(data["sampler"])
            if "policy" not in sampler:  # recorded before the policy existed: six rounds and random top-ups
                sampler.pop("max_rounds", None)
                sampler["policy"] = "robust"
            sampler["sampling"] = Sampling(**sampler["sampling"])
            surrogate = dict(data["surrogate_settings"])
            surrogate["sampling"] = Sampling(**surrogate["sampling"])
            warmstart_settings = WarmstartSettings(**data.get("warmstart_settings", {}))
            return cls(
                **{
                    **data,
                    "prompts": PromptSettings(**data["prompts"]),
                    "sampler": SamplerSettings(**sampler),
                    "surrogate_settings": SurrogateSettings(**surrogate),
                    "warmstart_settings": warmstart_settings,
                }
            )
        except (KeyError, TypeError) as exc:
            raise UsageError(f"run settings are incomplete or unknown ({exc})") from None


@dataclass
class TrialRecord:
    trial: int  # -1 for the initial design
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    wall_s: float
    candidates: int = 0
    fallback_points: int = 0
    target: float = float("nan")
    alpha: float = float("nan")
    sampler_rounds: int = 0
    sampler_parsed: str = ""
    surrogate_parsed: str = ""
    selected: int = -1


@dataclass
class RunResult:
    history: pd.DataFrame
    trials: list[TrialRecord]

    @property
    def fallback_points(self) -> int:
        return sum(t.fallback_points for t in self.trials)


def history_frame(
    space: SearchSpace, configs: list[Mapping[str, float]], results: list[Mapping[str, float]]
) -> pd.DataFrame:
    """Hyperparameters (typed by the space) beside the objective's results: the history CSV's shape."""
    return pd.concat([space.frame(configs), pd.DataFrame([dict(r) for r in results])], axis=1)


def optimise(
    context: TaskContext,
    space: SearchSpace,
    objective: Objective,
    engine: Engine,
    rng: np.random.Generator,
    settings: LlamboSettings = LlamboSettings(),
    initial_configs: list[dict[str, float]] | None = None,
    on_trial: Callable[[TrialRecord, pd.DataFrame], None] | None = None,
    warmstart_index: int = 0,
    warmstart_engine: Engine | None = None,
) -> RunResult:
    """Run LLAMBO; returns the history (hyperparameters, score, other metrics) and per-trial records.

    With `settings.warmstart_context` and no `initial_configs`, the LLM proposes the initial points;
    `warmstart_index` picks which of its kept answers (the official code's seed); `warmstart_engine`, when
    given, asks that request (so that the seeds of a task can share it)."""
    protocol = get_answer_format(settings.protocol)
    records: list[TrialRecord] = []

    def evaluate(config: dict[str, float]) -> Mapping[str, float]:
        result = objective(space.typed(config))
        if "score" not in result:
            raise UsageError("the objective must return a mapping with a 'score' entry")
        return result

    started, before = time.perf_counter(), engine.usage.snapshot()
    fallback = 0
    if initial_configs is None and settings.warmstart_context:
        ws = warmstart(
            warmstart_engine or engine,
            space,
            context,
            protocol,
            settings.n_initial,
            PromptSettings(settings.warmstart_context, settings.prompts.feature_semantics),
            settings.warmstart_settings,
            warmstart_index,
            rng,
        )
        initial_configs, fallback = ws.configs, ws.fallback_points
    elif initial_configs is None:
        initial_configs = space.sample(rng, settings.n_initial)
    configs = [dict(c) for c in initial_configs[: settings.n_initial]]
    if len(configs) < settings.n_initial:
        raise UsageError(f"need {settings.n_initial} initial configurations, got {len(configs)}")
    results = [evaluate(c) for c in configs]
    spent = engine.usage.minus(before)
    records.append(
        TrialRecord(
            -1,
            spent.requests,
            spent.prompt_tokens,
            spent.completion_tokens,
            spent.cost_usd,
            time.perf_counter() - started,
            fallback_points=fallback,
        )
    )
    if on_trial:
        on_trial(records[-1], history_frame(space, configs, results))

    sampler = CandidateSampler(engine, space, context, protocol, settings.prompts, settings.sampler)
    if settings.surrogate == "discriminative":
        min_samples = SAMPLER_POLICIES[settings.sampler.policy].surrogate_min_samples
        surrogate: Any = DiscriminativeSurrogate(
            engine, space, context, protocol, settings.prompts, settings.surrogate_settings, min_samples
        )
    else:
        surrogate = GenerativeSurrogate(engine, space, context, settings=settings.surrogate_settings)

    for trial in range(settings.n_trials):
        started, before = time.perf_counter(), engine.usage.snapshot()
        observed = pd.DataFrame(configs, columns=space.names)
        scores = np.array([r["score"] for r in results], float)
        proposal = sampler.propose(observed, scores, rng)
        selection = surrogate.select(observed, scores, proposal.candidates)
        chosen = selection.chosen or proposal.candidates.iloc[selection.index].to_dict()
        if not space.contains(space.typed(chosen)):
            raise ModelFailed(
                f"trial {trial}: the chosen candidate {space.typed(chosen)} lies outside the search "
                "space (the official sampler takes its last round's answers unfiltered, and the "
                "official code would evaluate it anyway); --sampler-policy robust filters them"
            )
        configs.append(chosen)
        results.append(evaluate(chosen))
        spent = engine.usage.minus(before)
        records.append(
            TrialRecord(
                trial,
                spent.requests,
                spent.prompt_tokens,
                spent.completion_tokens,
                spent.cost_usd,
                time.perf_counter() - started,
                len(proposal.candidates),
                proposal.fallback_points,
                proposal.target,
                proposal.alpha,
                proposal.rounds,
                f"{proposal.parsed}/{proposal.answers}",
                f"{selection.parsed}/{selection.answers}",
                selection.index,
            )
        )
        if on_trial:
            on_trial(records[-1], history_frame(space, configs, results))
    return RunResult(history_frame(space, configs, results), records)
