"""What a recording will cost, before anything is asked: requests, tokens and dollars.

The estimate builds the very prompts LLAMBO would send — the same serialiser, the same number of
templates, candidates and samples — on a synthetic history of the right size, and counts tokens with
`replay.pricing.approx_tokens` (characters / 2.6, measured on LLAMBO's digit-heavy prompts). It
assumes every answer parses (a model that fails to follow the format makes the sampler retry, which
costs more) and, for an endpoint that ignores `n` (llama.cpp, Ollama), one request per sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from llambo_replay.llambo.answer_format import JsonFormat, PaperFormat, get_answer_format
from llambo_replay.llambo.loop import LlamboSettings
from llambo_replay.llambo.prompts import (
    SYSTEM_MESSAGE,
    PromptSettings,
    TaskContext,
    discriminative_prompts,
    generative_prompt,
    sampler_prompt,
    serialise_config,
)
from llambo_replay.llambo.reading_policies import SAMPLER_POLICIES
from llambo_replay.llambo.sampler import SamplerSettings, target_score
from llambo_replay.llambo.space import SearchSpace
from llambo_replay.llambo.surrogate import SurrogateSettings, top_labels
from llambo_replay.llambo.warmstart import WarmstartSettings, warmstart_prompt
from llambo_replay.replay.pricing import approx_chat_tokens, approx_tokens, cost_usd

SCORE_ANSWER = "## 0.950000 ##"  # what a surrogate sample looks like


@dataclass
class Estimate:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def ask(self, prompt: str, samples: int, answer_tokens: int, honours_n: bool, chat: bool = True) -> None:
        """`samples` answers to one prompt: one request, or one per sample where `n` is ignored."""
        requests = 1 if honours_n else samples
        tokens = (
            approx_chat_tokens([{"content": SYSTEM_MESSAGE}, {"content": prompt}]) if chat else approx_tokens(prompt)
        )
        self.requests += requests
        self.prompt_tokens += requests * tokens
        self.completion_tokens += samples * answer_tokens

    def cost(self, model: str) -> float:
        return cost_usd(model, {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens})

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(
            self.requests + other.requests,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


def _config_tokens(space: SearchSpace, settings: PromptSettings, json: bool) -> int:
    """An answer proposing one configuration, at the precision the prompts ask for."""
    example = {p.name: float(p.high) for p in space.params}
    text = serialise_config(example, space, settings)
    return approx_tokens(text + ('""{}' * len(space.params) if json else "## ##"))


def estimate_warmstart(
    context: TaskContext,
    space: SearchSpace,
    n: int,
    prompts: PromptSettings,
    protocol: PaperFormat,
    settings: WarmstartSettings,
    honours_n: bool,
) -> Estimate:
    """The one warm-starting request: `settings.answers` answers, each a list of n configurations (no
    limit is sent, so a chattier model costs more)."""
    estimate = Estimate()
    answer = _config_tokens(space, prompts, isinstance(protocol, JsonFormat)) * n
    estimate.ask(
        warmstart_prompt(context, space, n, prompts, protocol, settings.statistics), settings.answers, answer, honours_n
    )
    return estimate


def estimate_run(
    context: TaskContext, space: SearchSpace, settings: LlamboSettings, honours_n: bool, rng: np.random.Generator
) -> Estimate:
    """Requests and tokens of a LLAMBO run with these settings (see the module docstring)."""
    protocol = get_answer_format(settings.protocol)
    s, prompts = settings, settings.prompts
    estimate = Estimate()
    if s.warmstart_context:
        estimate = estimate + estimate_warmstart(
            context, space, s.n_initial, PromptSettings(s.warmstart_context), protocol, s.warmstart_settings, honours_n
        )
    configs, scores = synthetic_history(context, space, s.n_initial + s.n_trials, rng)
    for trial in range(s.n_trials):
        n = s.n_initial + trial
        observed, seen = configs.iloc[:n].reset_index(drop=True), scores[:n]
        shown = space.warp(observed) if prompts.warping else observed
        estimate = estimate + ask_sampler(context, space, shown, seen, s.sampler, prompts, protocol, honours_n)
        per_template = max(s.sampler.n_candidates // s.sampler.n_templates, 1)
        candidates = space.frame(space.sample(rng, max(s.sampler.min_candidates, per_template * s.sampler.n_templates)))
        if s.surrogate == "discriminative":
            asked = max(s.surrogate_settings.n_gens, SAMPLER_POLICIES[s.sampler.policy].surrogate_min_samples)
            estimate = estimate + ask_discriminative(
                context,
                space,
                shown,
                seen,
                candidates,
                replace(s.surrogate_settings, n_gens=asked),
                prompts,
                protocol,
                honours_n,
            )
        else:
            labels = top_labels(seen, s.surrogate_settings.top_pct, context.lower_is_better)
            samples = max(s.surrogate_settings.n_gens // s.surrogate_settings.n_templates, 3)
            for c in range(len(candidates)):
                for template in range(s.surrogate_settings.n_templates):
                    prompt = generative_prompt(
                        context,
                        space,
                        space.warp(observed),
                        labels,
                        space.warp(candidates).iloc[c],
                        template,
                        s.surrogate_settings.top_pct,
                        PromptSettings(warping=True),
                    )
                    estimate.ask(prompt, samples, approx_tokens(SCORE_ANSWER), honours_n, chat=False)
    return estimate


def synthetic_history(
    context: TaskContext, space: SearchSpace, n: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """n random configurations with plausible scores: prompts of the right length, nothing evaluated."""
    configs = space.frame(space.sample(rng, n))
    low, high = (0.2, 1.2) if context.lower_is_better else (0.5, 0.99)
    return configs, rng.uniform(low, high, n)


def ask_sampler(
    context: TaskContext,
    space: SearchSpace,
    shown: pd.DataFrame,
    seen: np.ndarray,
    settings: SamplerSettings,
    prompts: PromptSettings,
    protocol: PaperFormat,
    honours_n: bool,
) -> Estimate:
    """The candidate sampler's rounds (each template asked for its share of the candidates) until a
    model whose every answer is a new valid configuration has given `min_candidates`."""
    estimate = Estimate()
    answer = _config_tokens(space, prompts, isinstance(protocol, JsonFormat))
    target, _ = target_score(seen, settings.alpha, context.lower_is_better, settings.bounded_target)
    per_template = max(settings.n_candidates // settings.n_templates, 1)
    rounds = min(-(-settings.min_candidates // (per_template * settings.n_templates)), settings.rules.max_rounds)
    for _ in range(rounds):
        for template in range(settings.n_templates):
            estimate.ask(
                sampler_prompt(context, space, shown, seen, target, template, prompts, protocol),
                per_template,
                answer,
                honours_n,
            )
    return estimate


def ask_discriminative(
    context: TaskContext,
    space: SearchSpace,
    shown: pd.DataFrame,
    seen: np.ndarray,
    candidates: pd.DataFrame,
    settings: SurrogateSettings,
    prompts: PromptSettings,
    protocol: PaperFormat,
    honours_n: bool,
) -> Estimate:
    """The discriminative surrogate scoring `candidates`: n_gens samples of every template's prompt."""
    estimate = Estimate()
    for prompt in discriminative_prompts(
        context, space, shown, seen, candidates, settings.n_templates, prompts, protocol
    ):
        estimate.ask(prompt, settings.n_gens, approx_tokens(SCORE_ANSWER), honours_n)
    return estimate
