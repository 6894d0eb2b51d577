"""Baseline optimisers that run in a worker process inside their own pinned environment.

Nothing here imports `llambo_replay`: a worker runs under the Python of a virtual environment made for
the paper's versions of one library (`baselines.environments`), which has only that library and what it
needs. `serve.py` is the entry point; `protocol.py` the ask/tell loop over JSON lines; each other module
is one optimiser, as a class with `tell(config, loss)` and `ask() -> config`.
"""
