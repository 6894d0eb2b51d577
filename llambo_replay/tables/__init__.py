"""Analysis of run histories: regret, ranks, the paper's tables and figures."""
