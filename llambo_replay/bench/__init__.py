"""Bayesmark tasks with the paper's protocol, the objective, its memo, and the run driver."""
