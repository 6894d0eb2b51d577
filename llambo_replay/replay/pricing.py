"""Recorded cost: USD per 1,000 prompt, cached prompt and completion tokens, by model-name prefix.

Prices are list prices at the time of writing; a model not listed (a local model, a
self-hosted vLLM) costs nothing here and is reported as 0. Prompt tokens the provider says it
served from its prompt cache (`usage.prompt_tokens_details.cached_tokens`) are priced at the
cached rate.
"""

from __future__ import annotations

from typing import Any

# Characters per token of LLAMBO's digit-heavy prompts, measured on the committed SmolLM2 recordings
# (2.63 for prompts); tokenizers of cloud models split numbers into similar pieces. Used where tokens
# must be counted without a tokenizer: cost estimates, and the loopback test server's usage.
CHARS_PER_TOKEN = 2.6


def approx_tokens(text: str) -> int:
    return round(len(text) / CHARS_PER_TOKEN)


def approx_chat_tokens(messages: list[dict[str, Any]]) -> int:
    """Tokens of a chat prompt: its texts, plus a few per message for roles and separators."""
    return sum(approx_tokens(str(m.get("content", ""))) + 4 for m in messages)

# model-name prefix -> (prompt, cached prompt, completion) USD per 1,000 tokens; longest prefix wins
PRICE_PER_1K_TOKENS: dict[str, tuple[float, float, float]] = {
    "gpt-3.5-turbo-instruct": (0.0015, 0.0015, 0.002),
    "gpt-3.5-turbo": (0.0015, 0.0015, 0.002),  # the rate the LLAMBO paper's code uses; no prompt caching
    "gpt-4o-mini": (0.00015, 0.000075, 0.0006),
    "gpt-4o": (0.0025, 0.00125, 0.01),
    "gpt-4": (0.03, 0.03, 0.06),
}


def cached_tokens(usage: dict[str, Any] | None) -> int:
    details = (usage or {}).get("prompt_tokens_details") or {}
    return int(details.get("cached_tokens") or 0)


def cost_usd(model: str | None, usage: dict[str, Any] | None) -> float:
    if not model or not usage:
        return 0.0
    matches = [prefix for prefix in PRICE_PER_1K_TOKENS if model.startswith(prefix)]
    if not matches:
        return 0.0
    prompt_rate, cached_rate, completion_rate = PRICE_PER_1K_TOKENS[max(matches, key=len)]
    cached = cached_tokens(usage)
    prompt = (usage.get("prompt_tokens") or 0) - cached
    return (prompt * prompt_rate + cached * cached_rate + (usage.get("completion_tokens") or 0) * completion_rate) / 1000
