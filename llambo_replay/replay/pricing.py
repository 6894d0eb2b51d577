"""Recorded cost in USD, from the `genai-prices` data (pydantic's maintained table of provider prices,
pinned: a price changes with a release of it, never silently).

A model the table does not know (a local model, a self-hosted vLLM) is *unpriced*: its cost counts as
0, `is_priced` says so, and `--max-cost` refuses to run against it unless told. Prompt tokens the
provider served from its prompt cache (`usage.prompt_tokens_details.cached_tokens`) are priced at the
cached rate. A `provider/model` name (`openai/gpt-4o`) names the provider.
"""

from __future__ import annotations

from functools import lru_cache
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


def token_count(value: Any) -> int:
    """A token count as an endpoint states it; anything but a non-negative whole number counts as unknown (0),
    so a malformed usage block can neither stop a recording nor make its cost negative."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _tokens(usage: dict[str, Any], *names: str) -> int:
    return next((token_count(usage[n]) for n in names if token_count(usage.get(n))), 0)


def cached_tokens(usage: dict[str, Any] | None) -> int:
    """Prompt tokens served from the provider's cache: at most the prompt tokens, never negative."""
    usage = usage if isinstance(usage, dict) else {}
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    cached = token_count(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return min(cached, _tokens(usage, "prompt_tokens", "input_tokens"))


@lru_cache(maxsize=256)
def _price_per_token(model: str) -> tuple[float, float, float] | None:
    """(prompt, cached prompt, completion) USD per token, or None when the table has no such model."""
    from genai_prices import Usage, calc_price  # imported when a price is needed: it loads the whole table

    provider, _, name = model.rpartition("/")

    def total(prompt: int, cached: int, completion: int) -> float:
        usage = Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=completion)
        return float(calc_price(usage, model_ref=name, provider_id=provider or None).total_price)

    try:
        prompt_rate = total(1000, 0, 0) / 1000  # 1,000 tokens: below any long-context price tier
        cached_rate = total(1000, 1000, 0) / 1000
        completion_rate = total(0, 0, 1000) / 1000
    except LookupError:
        return None
    return prompt_rate, cached_rate, completion_rate


def is_priced(model: str | None) -> bool:
    return bool(model) and _price_per_token(model) is not None


def cost_usd(model: str | None, usage: dict[str, Any] | None, answered_by: str | None = None) -> float:
    """What a response cost, from its usage block, at the price of the model asked for; an answer naming
    another model (an alias, a dated snapshot) may raise that price, never lower it. 0 when neither is priced."""
    if not isinstance(usage, dict):
        return 0.0
    cached = cached_tokens(usage)
    # chat and completions count prompt/completion tokens; the Responses API input/output tokens
    prompt = _tokens(usage, "prompt_tokens", "input_tokens") - cached
    completion = _tokens(usage, "completion_tokens", "output_tokens")
    costs = [0.0]
    for name in {model, answered_by} - {None, ""}:
        rates = _price_per_token(name) if isinstance(name, str) else None
        if rates is not None:
            costs.append(prompt * rates[0] + cached * rates[1] + completion * rates[2])
    return max(costs)
