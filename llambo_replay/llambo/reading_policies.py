"""How LLAMBO reads the LLM's answers, as the policies the command line offers by name (`official`,
`robust`): the candidate sampler's, and the warm-start's names. Data with no heavy imports, so `--help`
stays fast."""

from __future__ import annotations

from dataclasses import dataclass

DUPLICATE_DECIMALS = 8
# The warm-start policies (`llambo.warmstart.POLICIES` holds their readers, under these names).
WARMSTART_POLICY_NAMES = ("official", "robust")


@dataclass(frozen=True)
class SamplerPolicy:
    """What the sampler does with the LLM's answers: how many rounds it asks, how it reads an answer,
    and what it does when the rounds are spent without `min_candidates` new valid configurations."""

    max_rounds: int
    lenient_parsing: bool  # also read bare `name: value` text and skip junk around pairs (paper protocol)
    dedupe_across_rounds: bool
    when_spent: str  # "official": the last round's raw answers if more than 5, else fail; "top-up": random points
    # Duplicates within a round: equal values (None), or equal at this many decimals. Every policy drops an
    # answer equal to an observed point at 8 decimals, as the official filter does.
    duplicate_decimals: int | None
    columns_from_answer: bool  # the candidate table's columns in the first accepted answer's order
    # The discriminative surrogate asks at least this many samples of each prompt, and keeps them all: the
    # official surrogate sends `n=max(n_gens, 3)` (`llambo/discriminative_sm.py:77`).
    surrogate_min_samples: int = 1


SAMPLER_POLICIES: dict[str, SamplerPolicy] = {
    # The official code: up to four rounds; each round's answers are read with `split('##')[1]`, filtered
    # against the observed points and the ranges and deduplicated within the round. The fourth round,
    # reached only when three gave fewer than five, replaces everything with its own parsed answers
    # (unfiltered) if there are more than five, and otherwise fails. Its table (`pd.DataFrame` of the answers,
    # `drop_duplicates`) keeps the first answer's column order, which the surrogate's prompts then print.
    "official": SamplerPolicy(
        max_rounds=4,
        lenient_parsing=False,
        dedupe_across_rounds=False,
        when_spent="official",
        duplicate_decimals=None,
        columns_from_answer=True,
        surrogate_min_samples=3,
    ),
    # Never fails, for models that often miss the format (SmolLM2): six rounds, lenient reading, and
    # random points from the run's generator top up to five (counted as fallback points); near-duplicates
    # (equal at 8 decimals) dropped across rounds; columns in the search space's order.
    "robust": SamplerPolicy(
        max_rounds=6,
        lenient_parsing=True,
        dedupe_across_rounds=True,
        when_spent="top-up",
        duplicate_decimals=DUPLICATE_DECIMALS,
        columns_from_answer=False,
    ),
}
