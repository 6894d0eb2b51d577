"""Zero-shot warm-starting: ask the LLM for the initial configurations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llambo_replay.llambo.engine import Engine, Sampling
from llambo_replay.llambo.prompts import PromptSettings, TaskContext, warmstart_prompt
from llambo_replay.llambo.protocol import PaperProtocol
from llambo_replay.llambo.space import SearchSpace

WARMSTART_SAMPLING = Sampling(temperature=0.8, top_p=0.95, max_tokens=500)


@dataclass
class Warmstart:
    configs: list[dict[str, float]]
    fallback_points: int


def warmstart(engine: Engine, space: SearchSpace, context: TaskContext, protocol: PaperProtocol, n: int,
              settings: PromptSettings, rng: np.random.Generator) -> Warmstart:
    """`n` in-range configurations from one LLM answer; random ones fill any gap."""
    prompt = warmstart_prompt(context, space, n, settings, protocol)
    anonymised = not settings.feature_semantics
    (text,), = engine.chat([prompt], 1, WARMSTART_SAMPLING, protocol.configs_format(space, anonymised, n))
    configs = [c for c in protocol.parse_configs(text, space, anonymised) if space.contains(c, settings.warping)]
    if settings.warping and configs:
        configs = [{p.name: (10 ** c[p.name] if p.warps else c[p.name]) for p in space.params} for c in configs]
    configs = configs[:n]
    missing = n - len(configs)
    return Warmstart(configs + space.sample(rng, missing), missing)
