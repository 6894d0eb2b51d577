"""The baseline optimisers, one module each, behind one signature and one registry.

A baseline runs one of two ways. In process: a function `optimise(space, objective, initial, n_trials,
rng, lower_is_better)` that evaluates the shared initial points first, then proposes `n_trials`
configurations, and returns the history in a LLAMBO run's shape (hyperparameters, score,
generalization_score), drawing all its randomness from `rng`. In a worker (`environment` set): an optimiser
class in `workers/` that runs under the Python of its own environment, pinned to the versions the paper's
code used (`environments`), and is asked and told over a pipe (`worker_client`). Either knows nothing of
cassettes: the caller (`experiments.runs.baseline_run.run_baseline`) records its proposals and
evaluations. Adding a baseline is one module plus one `Baseline(...)` line below (and, for a worker, a
lock in `envs/`). This package must not import an optimiser library at import time (the command line
reads the registry to build its help).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.experiments.runs.baselines.losses import FAILED_LOSS, Objective, finite_losses


@dataclass(frozen=True)
class Baseline:
    name: str  # the method's name in `grid --methods`, result folders and manifests
    label: str  # how tables and figures name it
    target: str  # "module:function" under this package; for a worker, its module under workers/
    library: str  # the distribution whose version is part of a recorded proposal's key
    recorded: bool = True  # proposals come from floating-point numerics, so they are recorded (see reproduction)
    extra: str | None = None  # the pip extra that installs `library`, when the default install lacks it
    paper: str | None = None  # its name in the official exp_baselines/run_all_baselines.py, if it is one
    environment: str | None = None  # the worker environment (envs/<name>.txt) it runs in, if not in process

    def optimise(self) -> Callable[..., pd.DataFrame]:
        """The in-process optimiser function; a missing optional library is a one-line error naming the extra."""
        module, function = self.target.split(":")
        try:
            return getattr(import_module(f"{__name__}.{module}"), function)
        except ImportError as exc:
            hint = f"pip install -e '.[{self.extra}]'" if self.extra else "reinstall the package"
            raise UsageError(
                f"method {self.name!r} needs {self.library}, which is not installed (no module {exc.name!r}); {hint}"
            ) from None


REGISTRY: dict[str, Baseline] = {
    b.name: b
    for b in (
        Baseline("random", "Random search", "random_search:optimise", "numpy", recorded=False, paper="bo_random"),
        Baseline("gp_ei", "GP-EI (scikit-optimize)", "skopt_gp:gp_ei", "scikit-optimize"),
        Baseline("skopt", "SKOPT (gp_minimize)", "skopt_gp:gp_minimize_ei", "scikit-optimize", paper="bo_skopt"),
        Baseline("tpe", "TPE (Optuna, univariate)", "optuna_tpe:univariate", "optuna"),
        Baseline("optuna", "Optuna (multivariate TPE)", "optuna_tpe:multivariate", "optuna", paper="bo_optuna"),
        Baseline("smac", "SMAC (1.4, random forest)", "smac_rf:optimise", "smac", extra="baselines", paper="bo_smac"),
        Baseline(
            "paper_tpe", "TPE (paper's tpe_single)", "tpe_paper", "parzen_estimator", paper="bo_tpe", environment="tpe"
        ),
        Baseline("gp_botorch", "GP (BoTorch, qEI)", "botorch_gp", "botorch", paper="bo_gp", environment="botorch"),
        Baseline("hebo", "HEBO (0.3.5)", "hebo", "HEBO", paper="bo_hebo", environment="hebo"),
        Baseline("turbo", "TuRBO-1", "turbo", "gpytorch", paper="bo_turbo", environment="botorch"),
        Baseline(
            "gp_dkl", "GP-DKL (deep kernel, qEI)", "botorch_dkl", "gpytorch", paper="bo_dkl", environment="botorch"
        ),
        Baseline("dngo", "DNGO", "dngo", "torch", paper="bo_dngo", environment="botorch"),
        Baseline(
            "paper_skopt",
            "SKOPT (0.9.0, paper's)",
            "skopt_paper",
            "scikit-optimize",
            paper="bo_skopt",
            environment="skopt",
        ),
        Baseline(
            "paper_optuna", "Optuna (3.3.0, paper's)", "optuna_paper", "optuna", paper="bo_optuna", environment="optuna"
        ),
    )
}


def baseline(name: str) -> Baseline:
    if name not in REGISTRY:
        raise UsageError(f"unknown method {name!r}; choose one of: llambo, {', '.join(REGISTRY)}")
    return REGISTRY[name]


def library_version(method: str) -> str:
    """'<library> <version>' of the baseline's optimiser: part of a recorded proposal's key. Where an optional
    library is not installed, the version its extra pins: a replay reads recorded proposals and needs no
    optimiser, so the committed SMAC and BoTorch runs replay on the default install. A worker baseline's
    is its environment's name and lock hash, which pin every version in it, and the hash of the worker's
    source, so that editing either makes its recordings a miss instead of passing for the new code's."""
    from importlib.metadata import PackageNotFoundError, requires, version

    if baseline(method).environment:
        from llambo_replay.experiments.runs.baselines.environments import environment
        from llambo_replay.experiments.runs.baselines.worker_client import worker_source_hash

        env = environment(baseline(method).environment)
        return f"environment {env.name} {env.lock_hash} worker {worker_source_hash(baseline(method).target)}"
    library = baseline(method).library
    try:
        return f"{library} {version(library)}"
    except PackageNotFoundError:
        pins = [r.split(";")[0].strip() for r in requires("llambo-replay") or []]
        pinned = next((p.split("==")[1] for p in pins if p.lower().startswith(f"{library.lower()}==")), None)
        if pinned is None:
            raise UsageError(f"method {method!r} needs {library}, which is not installed") from None
        return f"{library} {pinned}"


__all__ = ["FAILED_LOSS", "REGISTRY", "Baseline", "Objective", "baseline", "finite_losses", "library_version"]
