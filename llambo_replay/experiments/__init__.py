"""The experiments built on the Bayesmark side, by role: `runs/` (what a run is, LLAMBO's and the
baselines' drivers, the grid), `evaluations/` (component, official surrogate and sampler, warm-starting)
and `results/` (presets, replay commands, `check`, `migrate`, what is exact where).

May import `replay`, `llambo` and `bayesmark`; must not import `tables` or `cli`.
"""
