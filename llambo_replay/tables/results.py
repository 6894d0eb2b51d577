"""Load run histories laid out as ``<results>/<method>/<dataset>/<model>/<seed>.csv``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.objective_protocols import manifest_protocol
from llambo_replay.bayesmark.tasks import DATASETS, FAMILIES
from llambo_replay.errors import UsageError, missing_folder
from llambo_replay.experiments.runs.baselines import REGISTRY
from llambo_replay.replay.storage.walk import files_under, refuse_whole_file_system

PAPER_METHOD = "LLAMBO (paper, GPT-3.5)"
BASELINE_LABELS = {name: b.label for name, b in REGISTRY.items()}


@dataclass(frozen=True)
class History:
    method: str
    dataset: str
    model: str
    seed: int
    frame: pd.DataFrame
    source: str  # where it came from, relative to its root, so manifests are the same on any machine
    sha256: str
    lower_is_better: bool = False
    protocol: str | None = None  # the objective protocol its manifest names; None for the paper's own histories

    @property
    def task(self) -> str:
        return f"{self.dataset}/{self.model}"

    @property
    def family(self) -> str:
        """'public' or 'synthetic' (the paper's two Bayesmark families); HPOBench data sets are their own."""
        return FAMILIES.get(self.dataset, "hpobench")


def method_order(label: str) -> tuple[int, str]:
    """The paper's order: LLAMBO first, then the baselines as the registry lists them, then anything else."""
    if label.startswith("LLAMBO"):
        return (0 if label == PAPER_METHOD else 1, label)
    positions = {b.label: i for i, b in enumerate(REGISTRY.values())}
    base = next((b for b in positions if label == b or label.startswith(b + " from ")), None)
    return (2 + positions[base], label) if base is not None else (2 + len(positions), label)


def protocol_of(csv: Path) -> str | None:
    """The objective protocol named by the manifest beside a run's history; None where there is none."""
    manifest = csv.with_name(f"{csv.stem}.manifest.json")
    if not manifest.is_file():
        return None
    return manifest_protocol(_manifest(manifest))


def _lower_is_better(dataset: str) -> bool:
    """Bayesmark's regression set is scored by MSE; every other data set (HPOBench's too) by accuracy."""
    return DATASETS.get(dataset) == "neg_mean_squared_error"


# How a prompt ablation names itself in a label: (settings key, the value that is *not* the default, words).
ABLATION_WORDS = (
    ("context", "no_context", "no context"),
    ("context", "partial_context", "partial context"),
    ("feature_semantics", False, "anonymised"),
    ("shuffle_features", True, "shuffled features"),
    ("warping", True, "warped"),
)


def _manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        raise UsageError(f"{path} is not readable JSON; restore it from git") from None
    if not isinstance(manifest, dict):
        raise UsageError(f"{path} is not a run manifest; restore it from git")
    return manifest


def method_label(method_dir: Path) -> str:
    """'LLAMBO (<llm model>[; <prompt ablation>])' for LLAMBO runs, read from their manifests; a
    baseline's own name, with where its initial points came from in a warm-starting evaluation."""
    if method_dir.name in BASELINE_LABELS:
        return BASELINE_LABELS[method_dir.name]
    manifests = [_manifest(p) for p in files_under(method_dir, "*.manifest.json")]
    starts = sorted({m["initial_points_source"]["initialiser"] for m in manifests if "initial_points_source" in m})
    methods = {m.get("method") for m in manifests}
    if starts and len(methods) == 1 and methods <= BASELINE_LABELS.keys():
        from llambo_replay.experiments.evaluations.warmstart_eval import INITIALISERS

        return f"{BASELINE_LABELS[methods.pop()]} from {', '.join(INITIALISERS[s] for s in starts)}"
    models = sorted({m.get("engine", {}).get("llm_model", "?") for m in manifests})
    if not models:
        return method_dir.name
    prompts = [m.get("settings", {}).get("prompts", {}) for m in manifests]
    variants = [words for key, value, words in ABLATION_WORDS if any(p.get(key) == value for p in prompts)]
    return f"LLAMBO ({', '.join(models)}{'; ' + ', '.join(variants) if variants else ''})"


def _read(path: Path) -> tuple[pd.DataFrame, str]:
    return reference.read_history(path), hashlib.sha256(path.read_bytes()).hexdigest()


def load_results(results: Path) -> list[History]:
    if not results.is_dir():
        raise missing_folder("results folder", results, "--results DIR")
    refuse_whole_file_system(results)
    histories = []
    for method_dir in sorted(p for p in results.iterdir() if p.is_dir()):
        label = method_label(method_dir)
        for path in sorted(method_dir.glob("*/*/*.csv")):
            if not path.stem.isdigit():
                continue
            dataset, model = path.parent.parent.name, path.parent.name
            if dataset not in DATASETS:
                continue
            frame, digest = _read(path)
            histories.append(
                History(
                    label,
                    dataset,
                    model,
                    int(path.stem),
                    frame,
                    f"results/{path.relative_to(results).as_posix()}",
                    digest,
                    _lower_is_better(dataset),
                    protocol_of(path),
                )
            )
    if not histories:
        raise UsageError(f"no histories under {results} (expected <method>/<dataset>/<model>/<seed>.csv)")
    by_task: dict[str, set[str]] = {}
    for h in histories:
        if h.protocol:
            by_task.setdefault(h.task, set()).add(h.protocol)
    mixed = sorted(task for task, protocols in by_task.items() if len(protocols) > 1)
    if mixed:  # a task's regret compares its runs' scores, which must mean the same thing
        raise UsageError(
            f"{results} holds runs of {mixed[0]} recorded under objective protocols "
            f"{' and '.join(sorted(by_task[mixed[0]]))}; their scores are not comparable: "
            "render each protocol's runs from their own folder"
        )
    return histories


def load_paper(
    root: Path | None, tasks: set[tuple[str, str]] | None = None, benchmark: Path = reference.HISTORIES
) -> list[History]:
    """The paper's published LLAMBO histories (of `tasks`, or of every published task), every seed."""
    root = reference.check_reference(root)
    out = []
    for dataset, model in sorted(reference.published_tasks(root, benchmark) if tasks is None else tasks):
        for seed in reference.published_seeds(root, dataset, model, benchmark):
            path = reference.published_history_path(root, dataset, model, seed, benchmark)
            frame, digest = _read(path)
            out.append(
                History(
                    PAPER_METHOD,
                    dataset,
                    model,
                    seed,
                    frame,
                    f"reference/{path.relative_to(root).as_posix()}",
                    digest,
                    _lower_is_better(dataset),
                )
            )
    return out
