"""The Bayesmark side: the paper's tasks and data, the objective with its recorded evaluations, memo and
numerical environment, and the fidelity check against the published histories.

Owns everything about what a score means (`objective.PROTOCOL_VERSION`). May import `replay` and
`llambo`; must not import `experiments`, `tables` or `cli`.
"""
