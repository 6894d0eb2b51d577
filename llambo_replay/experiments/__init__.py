"""The experiments built on the Bayesmark side: run specs and manifests, the run driver and the grid,
the baselines, the component and warm-starting evaluations, and `check`/`migrate`.

May import `replay`, `llambo` and `bayesmark`; must not import `tables` or `cli`.
"""
