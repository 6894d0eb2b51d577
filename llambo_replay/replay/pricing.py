"""Recorded cost: USD per 1,000 prompt and completion tokens, by model-name prefix.

Prices are list prices at the time of writing; a model not listed (a local model, a
self-hosted vLLM) costs nothing here and is reported as 0.
"""

from __future__ import annotations

from typing import Any

PRICE_PER_1K_TOKENS: dict[str, tuple[float, float]] = {
    # longest prefix wins
    "gpt-3.5-turbo-instruct": (0.0015, 0.002),
    "gpt-3.5-turbo": (0.0015, 0.002),  # the rate the LLAMBO paper's code uses
    "gpt-4o-mini": (0.00015, 0.0006),
    "gpt-4o": (0.0025, 0.01),
    "gpt-4": (0.03, 0.06),
}


def cost_usd(model: str | None, usage: dict[str, Any] | None) -> float:
    if not model or not usage:
        return 0.0
    matches = [prefix for prefix in PRICE_PER_1K_TOKENS if model.startswith(prefix)]
    if not matches:
        return 0.0
    prompt_rate, completion_rate = PRICE_PER_1K_TOKENS[max(matches, key=len)]
    return (usage.get("prompt_tokens", 0) * prompt_rate + usage.get("completion_tokens", 0) * completion_rate) / 1000
