"""What a replay and `check` reproduce, and how: every value that could decide something, as data.

A value a CPU can round differently (numpy's SIMD exp/log/pow differ between AVX-512 and AVX2, glibc
picks FMA variants, BLAS kernels sum in other orders) must not decide a proposal, a chosen point, a
request key or a rank at replay. Each such value is read from a recording, computed so that every CPU
gets the same double, or is a final metric compared within a stated tolerance. docs/exact.md's table
is rendered from `VALUES` (a test holds the two together), and `check` takes its tolerance from here.
"""

from __future__ import annotations

from dataclasses import dataclass

HOW = {
    "recorded": "read from the cassettes",
    "exact": "computed so that every CPU gets the same double",
    "tolerance": "recomputed from recorded inputs, compared within a relative tolerance",
}


@dataclass(frozen=True)
class Value:
    what: str
    how: str  # a key of HOW
    where: str
    why: str
    rtol: float | None = None  # for "tolerance" values


VALUES = (
    Value(
        "LLM answers (warm-start, surrogate, sampler)",
        "recorded",
        "`cassettes/<model>/…`",
        "sampled text: the source of every LLAMBO decision",
    ),
    Value(
        "objective evaluations (score, generalization_score)",
        "recorded",
        "`cassettes/evaluations/<protocol>/<dataset>/<model>/`",
        "a model trained with BLAS: the 6th digit of a score moves under another kernel (on chaotic "
        "configurations the 2nd), and scores are written into the next prompt",
    ),
    Value(
        "baseline proposals (GP-EI, SKOPT, TPE, Optuna, SMAC, BoTorch GP)",
        "recorded",
        "`cassettes/proposals/<method>/…`",
        "a GP or Parzen fit forks the trajectory under another kernel (hyperparameters up to 100 % apart)",
    ),
    Value(
        "the component evaluation's TPE proposals",
        "recorded",
        "`cassettes/proposals/components-tpe/…`",
        "Optuna's Parzen estimators: recomputed without AVX-512, average regret moved by 0.35 relative",
    ),
    Value(
        "warm-starting initial designs (random, Sobol, LHS)",
        "recorded",
        "`cassettes/designs/<generator>/…`",
        "scikit-optimize's designs, computed once",
    ),
    Value(
        "the official evaluations' pool, comparators' predictions and proposals, test-split scores",
        "recorded",
        "`cassettes/surrogate-eval/…`",
        "fits of SMAC's GP and forest, Optuna's TPE, scikit-learn",
    ),
    Value(
        "random configurations (random search, the seeded initial design, LLAMBO's fallback points)",
        "exact",
        "`llambo/space.py`",
        "the generator's uniform doubles (integer arithmetic) mapped through +, −, ×, ÷ "
        "and decimal log10/10**x/exp (`llambo/exact.py`)",
    ),
    Value(
        "the warp to log10 and back: values in prompts, the sampler's candidates, the generative "
        "surrogate's chosen point; log10 bounds in prompts",
        "exact",
        "`llambo/space.py`, `llambo/prompts.py`",
        "decimal arithmetic (`llambo/exact.py`): numpy's log10 and power differ in the last bit between CPUs",
    ),
    Value(
        "expected improvement, whose argmax picks the discriminative surrogate's point",
        "exact",
        "`llambo/surrogate.py`",
        "mpmath at 80 bits, rounded once (`llambo/exact.py`)",
    ),
    Value(
        "the generative surrogate's class probability (softmax of two logprobs)",
        "exact",
        "`llambo/surrogate.py`",
        "decimal exp (`llambo/exact.py`)",
    ),
    Value(
        "means, standard deviations, percentiles, targets, regrets, ranks",
        "exact",
        "`llambo/`, `tables/`",
        "IEEE +, −, ×, ÷ and √ in a fixed order (numpy's pairwise sums included) round alike on every CPU",
    ),
    Value(
        "occurrence slots of identical requests",
        "exact",
        "`replay/occurrences.py`",
        "fixed by the program (the engine's batches, the user's scopes), never by arrival order",
    ),
    Value(
        "component metrics (GP and random-forest fits, KDE log-likelihoods, covariance determinants, the "
        "EI pick's regret)",
        "tolerance",
        "`results/components/`",
        "a fit's optimum and a near-singular determinant round differently under another BLAS kernel; written "
        "with 4 significant digits, nothing is decided from them",
        rtol=2e-3,
    ),
    Value(
        "official surrogate and sampler evaluation metrics (correlation, regret, NLL, spread, generalised "
        "variance, KDE log-likelihood)",
        "tolerance",
        "`results/surrogate-eval/`, `results/sampler-eval/`",
        "as the component metrics",
        rtol=2e-3,
    ),
)

# check's tolerance for every recomputed metric (two values written with four significant digits may
# differ by one in the last one)
METRIC_RTOL = max(v.rtol for v in VALUES if v.rtol is not None)


def markdown_table() -> str:
    """docs/exact.md's table."""
    lines = ["| value | how | where | why |", "|---|---|---|---|"]
    for value in VALUES:
        how = f"{value.how}, within {value.rtol:g} relative" if value.rtol is not None else value.how
        lines.append(f"| {value.what} | {how} | {value.where} | {value.why} |")
    return "\n".join(lines) + "\n"
