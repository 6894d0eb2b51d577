"""The one prompt serialiser, shared by the warm-starter, the sampler and both surrogates.

Texts follow the LLAMBO paper's templates (Liu et al., ICLR 2024, appendix; official code
`tennisonliu/LLAMBO`): values printed with the decimals of the lower bound, names or
anonymised `X1..Xn`, in-context examples shuffled per template, and three context levels.
The answer format sentence comes from the `AnswerFormat`, so the paper's `## ... ##` and the
JSON protocol share everything else. It is one module on purpose, though longer than the others: one
serialiser for every prompt is what keeps the warm-starting, sampler and surrogate prompts consistent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from llambo_replay.llambo.space import Hyperparameter, SearchSpace

if TYPE_CHECKING:
    from llambo_replay.llambo.answer_format import AnswerFormat

CONTEXT_LEVELS = ("no_context", "partial_context", "full_context")
SYSTEM_MESSAGE = "You are an AI assistant that helps people find information."


@dataclass(frozen=True)
class DatasetStatistics:
    """The Full_Context warm-starting statistics of the training split (the official `get_task_dict`)."""

    skew: tuple[float, ...]
    kurtosis: tuple[float, ...]
    target_correlated: int  # features with |corr(feature, target)| > 0.5
    feature_pairs: int
    pairs_correlated: int  # feature pairs with |corr| > 0.5


@dataclass(frozen=True)
class TaskContext:
    """What the prompts may say about the task (the paper's `task_context`)."""

    model: str
    task: str  # "classification" or "regression"
    metric: str  # scikit-learn scorer name or plain words
    lower_is_better: bool
    num_samples: int
    tot_feats: int
    num_feats: int
    cat_feats: int = 0
    n_classes: int | None = None
    # What the official warm-starting prompts say besides: the estimator's import path, the whole data
    # set's size (the other prompts give the training split's), class sizes largest first, statistics.
    estimator: str | None = None
    dataset_size: int | None = None
    class_counts: tuple[int, ...] = ()
    statistics: DatasetStatistics | None = None

    @property
    def metric_words(self) -> str:
        return "mean squared error" if self.metric == "neg_mean_squared_error" else self.metric


@dataclass(frozen=True)
class PromptSettings:
    context: str = "full_context"
    feature_semantics: bool = True  # False: hyperparameters are named X1..Xn
    warping: bool = False  # log-scaled hyperparameters shown as log10 values
    # The paper's feature-shuffling ablation, as the official code does it (discriminative surrogate only):
    # each slot keeps its name and number format but shows the value of another hyperparameter, by one
    # fixed permutation, so names no longer describe their values.
    shuffle_features: bool = False


def count_decimals(x: float) -> int:
    text = format(x, ".10f")
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def format_value(p: Hyperparameter, value: float, warped: bool) -> str:
    if p.type == "int" and not (warped and p.warps):
        return str(int(value))
    return f"{value:.{count_decimals(p.low)}f}"


def generative_value(p: Hyperparameter, value: float) -> str:
    """How the official generative surrogate prints a value: two more decimals than the (unwarped) lower
    bound has, at least four; a whole number as Python prints a float ("3.0": its rows are float rows)."""
    value = float(value)
    if value.is_integer():
        return str(value)
    return f"{value:.{(count_decimals(p.low) or 2) + 2}f}"


def display_name(space: SearchSpace, index: int, settings: PromptSettings) -> str:
    return space.params[index].name if settings.feature_semantics else f"X{index + 1}"


def serialise_config(
    config: pd.Series | dict,
    space: SearchSpace,
    settings: PromptSettings,
    sep: str = ": ",
    value: Callable[[Hyperparameter, float], str] | None = None,
    shuffled: bool = False,
) -> str:
    """`name: value, ...`; values as the sampler and the discriminative surrogate print them, unless
    `value` says otherwise (the generative surrogate's `generative_value`).

    Slots follow the configuration's own order, as the official serialiser walks a table's columns (a
    candidate table takes its order from the LLM's answer; anonymised names number the slots). With
    `shuffled`, slot i keeps its name and number format but shows the value of another slot, by the
    official code's one permutation (numpy's legacy generator seeded with 0)."""
    shown = value or (lambda p, v: format_value(p, v, settings.warping))
    params = {p.name: p for p in space.params}
    order = [name for name in config.keys() if name in params]
    if len(order) != len(params):
        order = list(space.names)
    sources = [order[int(i)] for i in np.random.RandomState(0).permutation(len(order))] if shuffled else order
    return ", ".join(
        f"{name if settings.feature_semantics else f'X{i + 1}'}{sep}{shown(params[name], float(config[source]))}"
        for i, (name, source) in enumerate(zip(order, sources))
    )


@lru_cache(maxsize=1024)
def example_order(n: int, template_index: int) -> tuple[int, ...]:
    """The permutation of in-context examples for template `i`, as in the official code.

    It is a fixed function of the template index (not of the run seed), drawn from a
    local legacy generator so the prompts match the official implementation's.
    """
    return tuple(int(i) for i in np.random.RandomState(template_index).permutation(n))


def _dataset_sentence(ctx: TaskContext) -> str:
    return (
        f" The tabular dataset contains {ctx.num_samples} samples and {ctx.tot_feats} features "
        f"({ctx.cat_feats} categorical, {ctx.num_feats} numerical)."
    )


def _task_sentence(ctx: TaskContext, wording: str) -> str:
    if ctx.task == "classification":
        return f" The model is evaluated on a tabular {ctx.task} task {wording} {ctx.n_classes} classes."
    return f" The model is evaluated on a tabular {ctx.task} task."


def ranges_block(space: SearchSpace, settings: PromptSettings) -> str:
    lines = []
    for i, p in enumerate(space.params):
        name = display_name(space, i, settings)
        if p.type == "ordinal":
            lines.append(f"- {name}:  (ordinal, must take value in {list(p.values)})")
            continue
        warped = settings.warping and p.warps
        low, high = p.log10_bounds if warped else (p.low, p.high)
        n_dp = (
            count_decimals(low) if (warped and p.type == "int") else (0 if p.type == "int" else count_decimals(p.low))
        )
        kind = (
            f"log scale, precise to {n_dp} decimals"
            if warped
            else ("int" if p.type == "int" else f"float, precise to {n_dp} decimals")
        )
        lines.append(f"- {name}: [{low:.{n_dp}f}, {high:.{n_dp}f}] ({kind})")
    return "\n".join(lines) + "\n"


def sampler_prompt(
    ctx: TaskContext,
    space: SearchSpace,
    configs: pd.DataFrame,
    scores: Sequence[float],
    target: float,
    template_index: int,
    settings: PromptSettings,
    protocol: AnswerFormat,
) -> str:
    """Ask for a configuration expected to reach `target` (the paper's candidate sampler)."""
    text = (
        f"The following are examples of performance of a {ctx.model} measured in {ctx.metric_words} "
        "and the corresponding model hyperparameter configurations."
    )
    if settings.context == "full_context":
        text += _task_sentence(ctx, "containing") + _dataset_sentence(ctx)
    text += " The allowable ranges for the hyperparameters are:\n" + ranges_block(space, settings)
    text += f"Recommend a configuration that can achieve the target performance of {target:.6f}. "
    if settings.context != "no_context":
        text += (
            "Do not recommend values at the minimum or maximum of allowable range, do not recommend rounded "
            "values. Recommend values with highest possible precision, as requested by the allowed ranges. "
        )
    text += protocol.config_instruction() + "\n"
    rows = configs.to_dict("records")
    for row in example_order(len(rows), template_index):
        text += (
            f"\nPerformance: {float(scores[row]):.6f}\nHyperparameter configuration: "
            f"{protocol.show_config(serialise_config(rows[row], space, settings))}"
        )
    return text + f"\nPerformance: {target:.6f}\nHyperparameter configuration:"


def discriminative_prompts(
    ctx: TaskContext,
    space: SearchSpace,
    configs: pd.DataFrame,
    scores: Sequence[float],
    candidates: pd.DataFrame,
    n_templates: int,
    settings: PromptSettings,
    protocol: AnswerFormat,
) -> list[str]:
    """Ask for the score of each candidate given scored examples (in-context regression).

    One prompt per candidate and template, candidate-major; the examples part is built once
    per template and shared by every candidate.
    """
    metric = "a metric" if settings.context == "no_context" or not settings.feature_semantics else ctx.metric_words
    head = f"The following are hyperparameter configurations for a {ctx.model} and the corresponding performance measured in {metric}."
    if settings.context == "full_context":
        head += _task_sentence(ctx, "and the label contains") + _dataset_sentence(ctx) + " "
    head += " " + protocol.score_instruction(metric)
    rows, shuffled = configs.to_dict("records"), settings.shuffle_features
    bodies = [
        head
        + "".join(
            f"\nHyperparameter configuration: "
            f"{serialise_config(rows[row], space, settings, ' is ', shuffled=shuffled)}"
            f"\nPerformance: {protocol.show_score(f'{float(scores[row]):.6f}')}"
            for row in example_order(len(rows), t)
        )
        for t in range(n_templates)
    ]
    return [
        body
        + f"\nHyperparameter configuration: {serialise_config(candidate, space, settings, ' is ', shuffled=shuffled)}"
        "\nPerformance: "
        for candidate in candidates.to_dict("records")
        for body in bodies
    ]


def discriminative_prompt(
    ctx: TaskContext,
    space: SearchSpace,
    configs: pd.DataFrame,
    scores: Sequence[float],
    candidate: pd.Series,
    template_index: int,
    settings: PromptSettings,
    protocol: AnswerFormat,
) -> str:
    """The discriminative prompt for one candidate and one template."""
    return discriminative_prompts(
        ctx, space, configs, scores, pd.DataFrame([candidate]), template_index + 1, settings, protocol
    )[template_index]


def generative_prompt(
    ctx: TaskContext,
    space: SearchSpace,
    configs: pd.DataFrame,
    labels: Sequence[int],
    candidate: pd.Series,
    template_index: int,
    top_pct: float,
    settings: PromptSettings,
) -> str:
    """Ask whether `candidate` is in the top `top_pct` (the generative surrogate's classifier)."""
    text = (
        f"The following are examples of hyperparameter configurations for a {ctx.model} and the "
        "corresponding performance classification."
    )
    text += _task_sentence(ctx, "and the label contains") + _dataset_sentence(ctx) + " "
    text += (
        f" The performance classification is 1 if the configuarion is in the best-performing {top_pct * 100}% "
        "of all configurations and 0 otherwise. "
    )
    text += " Your response should only contain the predicted performance classification in the format ## performance classification ##."
    rows = configs.to_dict("records")
    for row in example_order(len(rows), template_index):
        text += (
            f"\nHyperparameter configuration: {serialise_config(rows[row], space, settings, value=generative_value)}"
            f"\nClassification: ## {int(labels[row])} ##"
        )
    return (
        text + f"\nHyperparameter configuration: {serialise_config(candidate, space, settings, value=generative_value)}"
        "\nClassification: "
    )
