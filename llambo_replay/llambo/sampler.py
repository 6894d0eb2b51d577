"""The candidate sampler: ask the LLM for configurations expected to reach a target score."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from llambo_replay.errors import ModelFailed, UsageError
from llambo_replay.llambo.answer_format import PaperFormat
from llambo_replay.llambo.bounds import check_bounds
from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.prompts import PromptSettings, TaskContext, sampler_prompt
from llambo_replay.llambo.reading_policies import DUPLICATE_DECIMALS, SAMPLER_POLICIES, SamplerPolicy
from llambo_replay.llambo.space import SearchSpace

# The official code steps alpha down this ladder when the target leaves the metric's range.
ALPHA_LADDER = (0.1, 1e-2, 1e-3, -1e-3, -1e-2, -1e-1)
ACCURACY_CEILING = 0.9999  # a target accuracy must stay below 1
ERROR_FLOOR = 0.00001  # a target error must stay above 0


def target_score(scores: np.ndarray, alpha: float, lower_is_better: bool, bounded: bool = True) -> tuple[float, float]:
    """The desired score `best ± alpha·range` and the alpha actually used.

    When the target leaves the metric's range (accuracy ≥ 0.9999, error ≤ 0) alpha moves
    down the paper's ladder. Unlike the official loop, which spins forever when no rung
    helps (best accuracy ≈ 1), this stops at the last rung and clamps the target.
    """
    spread = float(np.max(scores) - np.min(scores))
    if spread == 0:
        spread = 0.1 * abs(float(np.max(scores)))
    if alpha == 0:
        alpha = -1e-3
    sign = -1.0 if lower_is_better else 1.0
    best = float(np.min(scores) if lower_is_better else np.max(scores))

    def out_of_range(value: float) -> bool:
        return bounded and (value <= ERROR_FLOOR if lower_is_better else value >= ACCURACY_CEILING)

    desired = best + sign * alpha * spread
    for rung in ALPHA_LADDER:
        if not out_of_range(desired):
            break
        if rung < alpha:
            alpha = rung
            desired = best + sign * alpha * spread
    if out_of_range(desired):
        desired = ERROR_FLOOR * 2 if lower_is_better else min(best, ACCURACY_CEILING - 1e-4)
    return desired, alpha


@dataclass(frozen=True)
class SamplerSettings:
    n_candidates: int = 10
    n_templates: int = 2
    alpha: float = 0.1
    min_candidates: int = 5
    policy: str = "official"  # a key of SAMPLER_POLICIES
    bounded_target: bool = True  # metric bounds (accuracy ≤ 1, error ≥ 0) apply to the target
    sampling: Sampling = field(default_factory=lambda: Sampling(temperature=0.8, top_p=0.95, max_tokens=500))

    def __post_init__(self) -> None:
        check_bounds(self)
        if self.policy not in SAMPLER_POLICIES:
            raise UsageError(f"unknown sampler policy {self.policy!r}; choose one of: {', '.join(SAMPLER_POLICIES)}")

    @property
    def rules(self) -> SamplerPolicy:
        return SAMPLER_POLICIES[self.policy]


@dataclass
class Proposal:
    candidates: pd.DataFrame
    target: float
    alpha: float
    rounds: int
    answers: int
    parsed: int
    fallback_points: int  # random points added because the LLM gave too few valid ones


@dataclass
class CandidateSampler:
    engine: Engine
    space: SearchSpace
    context: TaskContext
    protocol: PaperFormat
    prompt_settings: PromptSettings = field(default_factory=PromptSettings)
    settings: SamplerSettings = field(default_factory=SamplerSettings)

    def propose(self, observed: pd.DataFrame, scores: np.ndarray, rng: np.random.Generator) -> Proposal:
        s = self.settings
        target, alpha = target_score(scores, s.alpha, self.context.lower_is_better, s.bounded_target)
        warped = self.prompt_settings.warping
        shown = self.space.warp(observed) if warped else observed
        prompts = [
            sampler_prompt(self.context, self.space, shown, scores, target, i, self.prompt_settings, self.protocol)
            for i in range(s.n_templates)
        ]
        anonymised = not self.prompt_settings.feature_semantics
        response_format = self.protocol.config_format(self.space, anonymised)
        per_template = max(s.n_candidates // s.n_templates, 1)
        rules = s.rules
        observed_prints = {self._fingerprint(c) for c in shown[self.space.names].to_dict("records")}
        seen: set[tuple[float, ...]] = set()
        accepted: list[dict[str, float]] = []
        answers = parsed = rounds = 0
        while len(accepted) < s.min_candidates and rounds < rules.max_rounds:
            rounds += 1  # a retry repeats the same requests: each is a new recorded occurrence
            if not rules.dedupe_across_rounds:
                seen = set()
            this_round: list[dict[str, float]] = []
            for texts in self.engine.chat(prompts, per_template, s.sampling, response_format):
                for text in texts:
                    answers += 1
                    config = self.protocol.parse_config(text, self.space, anonymised, rules.lenient_parsing)
                    if config is None:
                        continue
                    parsed += 1
                    this_round.append(config)
                    if not self.space.contains(config, warped) or self._fingerprint(config) in observed_prints:
                        continue
                    duplicate = self._fingerprint(config, rules.duplicate_decimals)
                    if duplicate not in seen:
                        seen.add(duplicate)
                        accepted.append(config)
            if rules.when_spent == "official" and rounds == rules.max_rounds:
                if len(this_round) <= s.min_candidates:
                    raise ModelFailed(
                        f"the LLM failed to propose candidate points: after {rounds} rounds "
                        f"{len(accepted)} new valid configuration(s), and the last round parsed "
                        f"{len(this_round)}, not more than {s.min_candidates} (the official sampler "
                        "fails here; --sampler-policy robust tops up with random points instead)"
                    )
                accepted = this_round
        columns = list(accepted[0]) if rules.columns_from_answer and accepted else self.space.names
        frame = pd.DataFrame(accepted, columns=columns)
        if warped and len(frame):
            frame = self.space.unwarp(frame)
        fallback = max(s.min_candidates - len(frame), 0) if rules.when_spent == "top-up" else 0
        if fallback:
            # Deterministic fallback: points drawn from the run's generator, never an exception.
            extra = pd.DataFrame(self.space.sample(rng, fallback), columns=self.space.names)
            frame = pd.concat([frame, extra], ignore_index=True) if len(frame) else extra
        return Proposal(frame.reset_index(drop=True), target, alpha, rounds, answers, parsed, fallback)

    def _fingerprint(self, config: dict[str, float], decimals: int | None = DUPLICATE_DECIMALS) -> tuple[float, ...]:
        return tuple(
            float(config[name]) if decimals is None else round(float(config[name]), decimals)
            for name in self.space.names
        )
