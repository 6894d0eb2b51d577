"""llambo-replay: LLAMBO behind a content-addressed record/replay layer for LLM calls."""

__version__ = "0.1.0"
