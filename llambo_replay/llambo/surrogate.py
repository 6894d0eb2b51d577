"""LLM surrogate models: in-context regression (discriminative) and a top-quantile classifier (generative)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from llambo_replay.llambo import exact
from llambo_replay.llambo.answer_format import PaperFormat
from llambo_replay.llambo.bounds import check_bounds
from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.prompts import PromptSettings, TaskContext, discriminative_prompts, generative_prompt
from llambo_replay.llambo.space import SearchSpace

MIN_STD = 1e-5


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, lower_is_better: bool) -> np.ndarray:
    """Closed-form EI of a Gaussian prediction over the incumbent `best`. Its argmax picks the point
    evaluated, so it is computed exactly (`exact`): numpy's and libm's exp differ between CPUs."""
    mean, std = np.asarray(mean, float), np.asarray(std, float)
    delta = (best - mean) if lower_is_better else (mean - best)
    return np.array(
        [
            exact.gaussian_expected_improvement(d, s) if s > 0 else max(d, 0.0)
            for d, s in zip(delta.tolist(), std.tolist())
        ],
        float,
    )


def summarise_samples(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NaN-robust mean/std per candidate; a candidate with no parsable sample gets the average."""
    samples = np.asarray(samples, float)
    with np.errstate(all="ignore"), _quiet():
        mean = np.nanmean(samples, axis=1)
        std = np.nanstd(samples, axis=1)
        fill_mean = np.nanmean(mean) if np.isfinite(mean).any() else 0.0
        fill_std = np.nanmean(std) if np.isfinite(std).any() else 1.0
    mean = np.where(np.isfinite(mean), mean, fill_mean)
    std = np.where(np.isfinite(std), std, fill_std)
    return mean, np.maximum(std, MIN_STD)


class _quiet:
    """Silence numpy's 'Mean of empty slice' warnings for all-NaN rows, which are handled."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


@dataclass
class Selection:
    index: int
    scores: np.ndarray  # the acquisition value per candidate (EI, or P(top))
    mean: np.ndarray | None
    std: np.ndarray | None
    answers: int
    parsed: int
    chosen: dict[str, float] | None = None  # the point to evaluate, where it is not the candidate as proposed


@dataclass(frozen=True)
class SurrogateSettings:
    n_templates: int = 2
    n_gens: int = 10
    top_pct: float = 0.25  # generative surrogate only
    sampling: Sampling = field(default_factory=lambda: Sampling(temperature=0.7, top_p=0.95, max_tokens=8))

    def __post_init__(self) -> None:
        check_bounds(self)


@dataclass
class DiscriminativeSurrogate:
    """p(y|x) by in-context regression: n_gens sampled scores per template, then EI."""

    engine: Engine
    space: SearchSpace
    context: TaskContext
    protocol: PaperFormat
    prompt_settings: PromptSettings = field(default_factory=PromptSettings)
    settings: SurrogateSettings = field(default_factory=SurrogateSettings)
    min_samples: int = 1  # per prompt, whatever n_gens says (`SamplerPolicy.surrogate_min_samples`)

    def predict(
        self, observed: pd.DataFrame, scores: np.ndarray, candidates: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, int, int]:
        shown_obs, shown_cand = self._shown(observed), self._shown(candidates)
        s = self.settings
        prompts = discriminative_prompts(
            self.context, self.space, shown_obs, scores, shown_cand, s.n_templates, self.prompt_settings, self.protocol
        )
        sampling = replace(s.sampling, max_tokens=max(s.sampling.max_tokens, self.protocol.min_score_tokens))
        samples = max(s.n_gens, self.min_samples)
        texts = self.engine.chat(prompts, samples, sampling, self.protocol.score_format())
        values = np.array([[self.protocol.parse_score(x) for x in t] for t in texts], float)
        per_candidate = values.reshape(len(candidates), s.n_templates * samples)
        mean, std = summarise_samples(per_candidate)
        return mean, std, values.size, int(np.isfinite(values).sum())

    def select(self, observed: pd.DataFrame, scores: np.ndarray, candidates: pd.DataFrame) -> Selection:
        mean, std, answers, parsed = self.predict(observed, scores, candidates)
        best = float(np.min(scores) if self.context.lower_is_better else np.max(scores))
        ei = expected_improvement(mean, std, best, self.context.lower_is_better)
        return Selection(int(np.argmax(ei)), ei, mean, std, answers, parsed)

    def _shown(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.space.warp(frame) if self.prompt_settings.warping else frame


def top_labels(scores: np.ndarray, top_pct: float, lower_is_better: bool) -> np.ndarray:
    """1 for observations in the best `top_pct` fraction (the paper's threshold rule), else 0."""
    scores = np.asarray(scores, float)
    if lower_is_better:
        return (scores < np.percentile(scores, int(top_pct * 100))).astype(int)
    return (scores > np.percentile(scores, int(100 - top_pct * 100))).astype(int)


def probability_of_one(choice: dict) -> float:
    """P(label 1) as the official code reads it: at the first token that is exactly "0" or "1", the
    softmax of the top logprobs of exactly "1" and "0". No such token, or either class missing from
    that position's top logprobs, is NaN (" 1" is another token than "1", as it is to the model)."""
    tokens = list(choice.get("tokens", []))
    found = [tokens.index(label) for label in ("0", "1") if label in tokens]
    if not found:
        return math.nan
    position = min(found)
    tops = choice.get("top_logprobs", [])
    top = tops[position] if position < len(tops) else {}
    if "0" not in top or "1" not in top:
        return math.nan
    one, zero = exact.exp(top["1"]), exact.exp(top["0"])  # exactly: the means of these pick the point
    return float(one / (one + zero))


@dataclass
class GenerativeSurrogate:
    """p(x | y in top quantile) via an LLM classifier; picks the candidate most likely in the top."""

    engine: Engine
    space: SearchSpace
    context: TaskContext
    prompt_settings: PromptSettings = field(default_factory=lambda: PromptSettings(warping=True))
    settings: SurrogateSettings = field(default_factory=SurrogateSettings)

    def select(self, observed: pd.DataFrame, scores: np.ndarray, candidates: pd.DataFrame) -> Selection:
        s = self.settings
        labels = top_labels(scores, s.top_pct, self.context.lower_is_better)
        shown_obs = self.space.warp(observed) if self.prompt_settings.warping else observed
        shown_cand = self.space.warp(candidates) if self.prompt_settings.warping else candidates
        prompts = [
            generative_prompt(
                self.context, self.space, shown_obs, labels, shown_cand.iloc[c], t, s.top_pct, self.prompt_settings
            )
            for c in range(len(candidates))
            for t in range(s.n_templates)
        ]
        per_template = max(s.n_gens // s.n_templates, 3)
        choices = self.engine.complete(prompts, per_template, s.sampling)
        probs = np.array([[probability_of_one(c) for c in group] for group in choices], float)
        per_candidate = probs.reshape(len(candidates), s.n_templates * per_template)
        with np.errstate(all="ignore"), _quiet():
            mean = np.nanmean(per_candidate, axis=1)
        # As the official code: numpy's argmax of these means, so a candidate with no readable probability
        # (NaN) is chosen when it is the first such candidate; and the point evaluated is the candidate
        # warped to log10 and back, as the official surrogate returns it (its last digits can move).
        index = int(np.argmax(mean))
        chosen = self.space.unwarp(shown_cand.iloc[[index]]).iloc[0].to_dict() if self.prompt_settings.warping else None
        return Selection(index, mean, None, None, probs.size, int(np.isfinite(probs).sum()), chosen)
