"""The examples each command's `--help` ends with: lines shown in README.md or docs/ (a test holds them to
that), so `tests/integration/test_readme.py`, which runs the documented lines, runs these too."""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "run": (
        "llambo-replay run",
        "llambo-replay run --mode record --cassettes my-cassettes --out results/runs/mine",
    ),
    "grid": (
        "llambo-replay grid --tasks iris/SVM,wine/RandomForest --seeds 0,1 --reference --trials 5 --n-candidates 6 "
        "--n-gens 3 --out results/grid --jobs 2",
        "llambo-replay grid --methods random,skopt,optuna,smac,tpe --tasks rosenbrock/SVM,wine/AdaBoost --seeds 0 "
        "--preset paper --reference --out results/paper-grid-replay",
    ),
    "check": ("llambo-replay check", "llambo-replay check --results results/recorded/demo/iris/SVM/0.csv"),
    "migrate": ("llambo-replay migrate --results results/recorded/demo",),
    "tables": (
        "llambo-replay tables",
        "llambo-replay tables --benchmark hpobench",
        "llambo-replay tables --results results/recorded/ablations --no-paper --out tables/ablations",
    ),
    "baselines": ("llambo-replay baselines list", "llambo-replay baselines install paper_tpe"),
    "cassettes": (
        "llambo-replay cassettes verify",
        "llambo-replay cassettes stats",
        "llambo-replay cassettes prune --manifests results",
    ),
    "components": ("llambo-replay components",),
    "surrogate-eval": ("llambo-replay surrogate-eval",),
    "sampler-eval": ("llambo-replay sampler-eval", "llambo-replay tables --evaluations"),
    "warmstart": ("llambo-replay warmstart", "llambo-replay warmstart --task breast/RandomForest"),
    "fidelity": (
        "llambo-replay fidelity --datasets iris,wine --seeds 0 --models RandomForest,SVM,DecisionTree,MLP_SGD",
    ),
    "serve-local": ("llambo-replay serve-local &",),
}


def epilog(command: str) -> str | None:
    lines = EXAMPLES.get(command)
    return None if not lines else "examples:\n" + "".join(f"  {line}\n" for line in lines)
