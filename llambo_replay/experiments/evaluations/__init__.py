"""Evaluations: the component evaluations, the official surrogate and sampler evaluations, the
warm-starting evaluation, and their tables."""
