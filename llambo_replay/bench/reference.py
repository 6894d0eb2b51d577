"""Read a folder laid out like the paper's official repository (`--reference DIR`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from llambo_replay.errors import UsageError

HISTORIES = Path("exp_bayesmark/results_discriminative")
INITIAL_POINTS = Path("bayesmark/configs")
GLOBAL_PERF = Path("bayesmark/data/global_perf.json")


def check_reference(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"reference folder {root} does not exist")
    if not (root / HISTORIES).is_dir() and not (root / INITIAL_POINTS).is_dir():
        raise UsageError(f"{root} is not a LLAMBO reference folder: expected {HISTORIES}/ or {INITIAL_POINTS}/ inside")
    return root


def initial_points(root: str | Path, model: str, seed: int, n: int) -> list[dict[str, float]]:
    """The first `n` of the paper's shared initial points for `model` and `seed`."""
    path = check_reference(root) / INITIAL_POINTS / model / f"{seed}.json"
    if not path.is_file():
        raise UsageError(f"no initial points for model {model!r}, seed {seed} in the reference folder ({path} is missing)")
    try:
        points = json.loads(path.read_text())
        configs = [{str(k): float(v) for k, v in p.items()} for p in points]
    except (ValueError, TypeError, AttributeError):
        raise UsageError(f"{path} is not a JSON list of configurations") from None
    if len(configs) < n:
        raise UsageError(f"{path} holds {len(configs)} initial points; {n} requested")
    return configs[:n]


def read_history(path: Path) -> pd.DataFrame:
    """A search history CSV (ours or the paper's): hyperparameters, score, generalization_score."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UsageError(f"{path} is not a readable history CSV ({exc.__class__.__name__})") from None
    if not {"score", "generalization_score"} <= set(frame.columns):
        raise UsageError(f"{path} lacks the score and generalization_score columns")
    return frame


def published_history_path(root: str | Path, dataset: str, model: str, seed: int) -> Path:
    path = check_reference(root) / HISTORIES / dataset / model / f"{seed}.csv"
    if not path.is_file():
        raise UsageError(f"no published history for {dataset}/{model} seed {seed} ({path} is missing)")
    return path


def published_history(root: str | Path, dataset: str, model: str, seed: int) -> pd.DataFrame:
    return read_history(published_history_path(root, dataset, model, seed))


def published_seeds(root: str | Path, dataset: str, model: str) -> list[int]:
    folder = check_reference(root) / HISTORIES / dataset / model
    return sorted(int(p.stem) for p in folder.glob("*.csv") if p.stem.isdigit()) if folder.is_dir() else []


def global_perf(root: str | Path) -> dict[str, Any]:
    path = check_reference(root) / GLOBAL_PERF
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise UsageError(f"{path} is missing or not JSON") from None
