"""LLAMBO (Liu et al., ICLR 2024): warm-starting, candidate sampling and LLM surrogates.

This package does no file or network I/O of its own: every LLM call goes through an
`Engine`, which the caller builds on the record/replay layer. Its names are imported when first used,
so that a light module of it (`policies`, `protocol`) does not load the openai client.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "Engine": "engine",
    "Sampling": "engine",
    "Usage": "engine",
    "LlamboSettings": "loop",
    "RunResult": "loop",
    "TrialRecord": "loop",
    "optimise": "loop",
    "PromptSettings": "prompts",
    "TaskContext": "prompts",
    "Hyperparameter": "space",
    "SearchSpace": "space",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
