"""Runs: what a run is (`run_spec`), LLAMBO's run driver, the baselines' driver and registry, the grid."""
