"""A deterministic stand-in for an LLM behind the loopback server: answers LLAMBO's prompts
in the requested format with values drawn from a hash of the request and the sample index.
It is the server side of real HTTP exchanges; it is used only where a real model would make
tests slow (the real model records the committed cassettes)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import numpy as np

RANGE_RE = re.compile(r"^- (\w+): \[([-\d.e]+), ([-\d.e]+)\] \((\w+)", re.MULTILINE)
# The official warm-starting templates' way: "C (float between [1.0, 1000.0]), max_depth (integer between [1, 15])"
WARMSTART_RANGE_RE = re.compile(r"(\w+) \((integer|float) between \[([-\d.e+]+), ([-\d.e+]+)\]\)")


def _rng(body: dict[str, Any], sample: int) -> np.random.Generator:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
    return np.random.default_rng([int.from_bytes(digest[:8], "little"), sample])


def llambo_responder(body: dict[str, Any], sample: int, junk_every: int = 7) -> str:
    """Every `junk_every`-th sampler answer is unparseable on purpose (0: none)."""
    rng = _rng(body, sample)
    if "prompt" in body:  # legacy completions: the generative surrogate's 0/1 label
        return f"{int(rng.uniform() < 0.4)} ##"
    text = body["messages"][-1]["content"]
    as_json = "response_format" in body
    ranges = RANGE_RE.findall(text) or [
        (name, low, high, "int" if kind == "integer" else kind)
        for name, kind, low, high in WARMSTART_RANGE_RE.findall(text)
    ]
    if "Recommend a configuration" in text or "Bayesian Optimization" in text:

        def config() -> dict[str, float]:
            out = {}
            for name, low, high, kind in ranges:
                value = rng.uniform(float(low), float(high))
                out[name] = int(round(value)) if kind == "int" else round(value, 6)
            return out

        if "Bayesian Optimization" in text:  # warm-starting: a numbered list of dicts, as GPT-3.5 answers
            n = int(re.search(r"(?:suggest|Provide) (\d+)", text).group(1))
            configs = [config() for _ in range(n)]
            return (
                json.dumps({"configurations": configs})
                if as_json
                else "Here you are:\n" + "\n".join(f"{i + 1}. {c!r}" for i, c in enumerate(configs))
            )
        c = config()
        if junk_every and sample % junk_every == 3:
            return "I think a good configuration would be something sensible."  # unparseable on purpose
        return json.dumps(c) if as_json else "## " + ", ".join(f"{k}: {v}" for k, v in c.items()) + " ##"
    value = round(float(rng.uniform(0.5, 1.0)), 6)
    return json.dumps({"performance": value}) if as_json else f"## {value} ##"
