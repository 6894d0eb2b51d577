"""Every cassette namespace this package writes, with its arguments: what lives where under `cassettes/`.

A namespace is part of every key's address, so each is spelled here once. LLM namespaces start with the
model's slug (`runs.run_spec.model_slug`); the others with what they hold. Changing one moves committed
recordings: a replay would miss them.
"""

from __future__ import annotations


def llambo_run(slug: str, surrogate: str, answer_format: str, dataset: str, model: str, seed: int, start: str) -> str:
    """A LLAMBO run's LLM calls; `start` tells runs from other initial points apart ("" for seeded ones)."""
    return f"{slug}/{surrogate}-{answer_format}/{dataset}/{model}/seed{seed}{start}"


def warmstart(slug: str, answer_format: str, dataset: str, model: str, context: str) -> str:
    """One task's warm-starting answers at one context level (one entry, every seed)."""
    return f"{slug}/warmstart-{answer_format}/{dataset}/{model}/{context}"


EVALUATIONS_PREFIX = "evaluations/"


def evaluations(objective_protocol: str, dataset: str, model: str) -> str:
    """A task's objective evaluations under one protocol, shared by every run, method and seed."""
    return f"{EVALUATIONS_PREFIX}{objective_protocol}/{dataset}/{model}"


def proposals(method: str, dataset: str, model: str, seed: int) -> str:
    """A baseline optimiser's proposals (the component evaluation's TPE: method `components-tpe`)."""
    return f"proposals/{method}/{dataset}/{model}/seed{seed}"


def designs(initialiser: str, dataset: str, model: str, seed: int) -> str:
    """The warm-starting evaluation's initial designs (random, Sobol, LHS)."""
    return f"designs/{initialiser}/{dataset}/{model}/seed{seed}"


def components(slug: str, answer_format: str, dataset: str, model: str, seed: int) -> str:
    """The component evaluations' LLM calls."""
    return f"{slug}/components-{answer_format}/{dataset}/{model}/seed{seed}"


def official_evaluation(dataset: str, model: str) -> str:
    """The official surrogate and sampler evaluations' black boxes of one task (pool, comparators, scores),
    shared by both so that they share the pool."""
    return f"surrogate-eval/{dataset}/{model}"


def official_evaluation_llm(slug: str, evaluation: str, answer_format: str, dataset: str, model: str) -> str:
    """An official evaluation's LLM calls; `evaluation` names it (`surrogate-eval`, `sampler-eval`, ...)."""
    return f"{slug}/{evaluation}-{answer_format}/{dataset}/{model}"
