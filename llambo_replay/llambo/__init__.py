"""LLAMBO (Liu et al., ICLR 2024): warm-starting, candidate sampling and LLM surrogates.

This package does no file or network I/O of its own: every LLM call goes through an
`Engine`, which the caller builds on the record/replay layer.
"""

from llambo_replay.llambo.engine import Engine, Sampling, Usage
from llambo_replay.llambo.loop import LlamboSettings, RunResult, TrialRecord, optimise
from llambo_replay.llambo.prompts import PromptSettings, TaskContext
from llambo_replay.llambo.space import Hyperparameter, SearchSpace

__all__ = ["Engine", "Hyperparameter", "LlamboSettings", "PromptSettings", "RunResult", "Sampling",
           "SearchSpace", "TaskContext", "TrialRecord", "Usage", "optimise"]
