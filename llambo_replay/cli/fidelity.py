"""`llambo-replay fidelity`: re-evaluate the paper's published histories."""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from llambo_replay.cli.common import open_memo
from llambo_replay.cli.flags import REFERENCE_HELP, add_memo_flags, csv_list, int_list

# numpy's runtime dispatch: these names turned off make it take its AVX2 code paths (exp, log, power, ...),
# as on a CPU without AVX-512, where the paper's scores were evidently computed (docs/evaluations.md, fidelity).
NUMPY_SWITCH = "NPY_DISABLE_CPU_FEATURES"


def avx512_features() -> list[str]:
    """The AVX-512 features numpy dispatches to on this CPU (numpy refuses to turn off one it does not use)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features  # numpy 2
    except ImportError:
        from numpy.core._multiarray_umath import __cpu_features__ as features
    return [name for name, present in features.items() if present and name.startswith("AVX512")]


def cmd_fidelity(args: argparse.Namespace) -> int:
    if args.without_avx512 and NUMPY_SWITCH not in os.environ:
        features = avx512_features()
        if features:  # numpy reads the switch once, when it is imported: run again in a process that has it
            print(
                f"fidelity with numpy's AVX-512 code paths turned off ({NUMPY_SWITCH}={' '.join(features)})", flush=True
            )
            return subprocess.call(
                [sys.executable, "-m", "llambo_replay.cli", *sys.argv[1:]],
                env={**os.environ, NUMPY_SWITCH: " ".join(features)},
            )
        print("this CPU has no AVX-512: numpy takes its AVX2 (or older) code paths already")
    return _fidelity(args)


def _fidelity(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from llambo_replay.bayesmark import fidelity, reference
    from llambo_replay.bayesmark.objective import task_objective
    from llambo_replay.bayesmark.tasks import DATASETS, MODELS, Task, load_task
    from llambo_replay.experiments.runs.runner import check_writable
    from llambo_replay.progress import progress_bar

    root = reference.check_reference(args.reference)
    datasets, models = args.datasets or list(DATASETS), args.models or list(MODELS)
    memo = None if args.without_avx512 else open_memo(args)  # the memo's values were computed with AVX-512
    check_writable(args.out)  # found unwritable before the compute, not after it

    for dataset, model in ((d, m) for d in datasets for m in models):
        load_task(dataset, model)  # an unknown name is refused before any work

    def objective_for(task: Task) -> Callable[[dict], dict]:
        return task_objective(task, memo)

    found: list[fidelity.Row] = []
    bar = progress_bar(fidelity.rows(root, datasets, models, args.seeds, objective_for), desc="fidelity", unit="row")
    # a line per task as soon as it is done, so that a long run in the background says how far it is
    for (dataset, model), task_rows in itertools.groupby(bar, key=lambda r: (r.dataset, r.model)):
        part = list(task_rows)
        found += part
        t = fidelity.Tally.of(part)
        note = f"  ({t.fragile} of {t.total - t.exact} mismatches fragile)" if t.exact < t.total else ""
        tqdm.write(f"{dataset:9} {model:13} {t.exact:4d}/{t.total:<4d} exact{note}", file=sys.stdout)
        sys.stdout.flush()
    for seed, t in sorted(fidelity.tally(found, lambda r: r.seed).items()):
        print(f"seed {seed}: {t.exact}/{t.total} exact, {t.exact + t.fragile}/{t.total} exact or fragile")
    overall = fidelity.Tally.of(found)
    if overall.exact < overall.total:
        print(
            f"{overall.fragile}/{overall.total - overall.exact} mismatches are numerically fragile: "
            "our own scores move when the training data move by one ulp"
        )
    fidelity.write_outputs(found, args.out)
    print(
        f"mismatches: {args.out / 'fidelity_mismatches.csv'}; every row: fidelity_rows.csv; "
        "the docs' table: fidelity_summary.md"
    )
    print(f"{overall.exact}/{overall.total} rows reproduce exactly")
    return 0


LISTING = {
    "fidelity": "re-evaluate the paper's published histories with our objective",
}

EXAMPLES = {
    "fidelity": (
        "llambo-replay fidelity --datasets iris,wine --seeds 0 --models RandomForest,SVM,DecisionTree,MLP_SGD",
    ),
}


def register(sub: argparse._SubParsersAction) -> None:
    fid = sub.add_parser(
        "fidelity",
        help=LISTING["fidelity"],
        description="Re-evaluate every row of the paper's published LLAMBO histories and count the "
        "rows whose score and generalization_score reproduce to 1e-9. Each row that "
        "does not is evaluated again on training data moved by one ulp up and down: "
        "if our own score moves, the row is 'fragile' (its result depends on "
        "floating-point rounding, so no other machine can be expected to match it). "
        "Each row is scored as the paper's run scored it: the synthetic histories' "
        "initial rows on targets standardised once more per row (docs/data.md).",
    )
    fid.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    fid.add_argument(
        "--datasets", type=csv_list, default=None, help="comma-separated (default: all eight, public and synthetic)"
    )
    fid.add_argument("--models", type=csv_list, default=None, help="comma-separated (default: all five)")
    fid.add_argument("--seeds", type=int_list, default=None, help="comma-separated (default: every published seed)")
    fid.add_argument("--out", type=Path, default=Path("results/fidelity"), help="folder for the mismatch CSV")
    fid.add_argument(
        "--without-avx512",
        action="store_true",
        help="evaluate with numpy's AVX-512 code paths turned off (numpy's NPY_DISABLE_CPU_FEATURES, in a "
        "process of its own; never the memo), as the machine that computed the paper's scores "
        "evidently had none: most public AdaBoost rows then reproduce (docs/evaluations.md)",
    )
    add_memo_flags(fid)
    fid.set_defaults(func=cmd_fidelity)
