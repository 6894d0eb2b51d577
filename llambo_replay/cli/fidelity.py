"""`llambo-replay fidelity`: re-evaluate the paper's published histories."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from llambo_replay.cli.common import REFERENCE_HELP, add_memo_flags, csv_list, int_list, open_memo


def cmd_fidelity(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from llambo_replay.bayesmark import fidelity, reference
    from llambo_replay.bayesmark.objective import task_objective
    from llambo_replay.bayesmark.tasks import DATASETS, MODELS, load_task
    from llambo_replay.experiments.runner import check_writable

    root = reference.check_reference(args.reference)
    datasets, models = args.datasets or list(DATASETS), args.models or list(MODELS)
    memo = open_memo(args)
    check_writable(args.out)  # found unwritable before the compute, not after it

    def objective_for(dataset: str, model: str) -> Callable[[dict], dict]:
        return task_objective(load_task(dataset, model), memo)

    found = list(tqdm(fidelity.rows(root, datasets, models, args.seeds, objective_for), desc="fidelity",
                      unit="row", disable=None, file=sys.stderr))
    table = fidelity.mismatch_table(found)
    for (dataset, model), t in fidelity.tally(found, lambda r: (r.dataset, r.model)).items():
        note = f"  ({t.fragile} of {t.total - t.exact} mismatches fragile)" if t.exact < t.total else ""
        print(f"{dataset:9} {model:13} {t.exact:4d}/{t.total:<4d} exact{note}")
    for seed, t in sorted(fidelity.tally(found, lambda r: r.seed).items()):
        print(f"seed {seed}: {t.exact}/{t.total} exact, {t.exact + t.fragile}/{t.total} exact or fragile")
    overall = fidelity.Tally.of(found)
    if overall.exact < overall.total:
        print(f"{overall.fragile}/{overall.total - overall.exact} mismatches are numerically fragile: "
              "our own scores move when the training data move by one ulp")
    table.to_csv(args.out / "fidelity_mismatches.csv", index=False, lineterminator="\n")
    fidelity.rows_table(found).to_csv(args.out / "fidelity_rows.csv", index=False, lineterminator="\n")
    (args.out / "fidelity_summary.md").write_text(fidelity.summary_markdown(fidelity.rows_table(found)))
    print(f"mismatches: {args.out / 'fidelity_mismatches.csv'}; every row: fidelity_rows.csv; "
          "the docs' table: fidelity_summary.md")
    print(f"{overall.exact}/{overall.total} rows reproduce exactly")
    return 0


LISTING = {
    "fidelity": "re-evaluate the paper's published histories with our objective",
}


def register(sub: argparse._SubParsersAction) -> None:
    fid = sub.add_parser("fidelity", help=LISTING["fidelity"],
                         description="Re-evaluate every row of the paper's published LLAMBO histories and count the "
                                     "rows whose score and generalization_score reproduce to 1e-9. Each row that "
                                     "does not is evaluated again on training data moved by one ulp up and down: "
                                     "if our own score moves, the row is 'fragile' (its result depends on "
                                     "floating-point rounding, so no other machine can be expected to match it).")
    fid.add_argument("--reference", type=Path, default=None, help=REFERENCE_HELP)
    fid.add_argument("--datasets", type=csv_list, default=None, help="comma-separated (default: all eight, public and synthetic)")
    fid.add_argument("--models", type=csv_list, default=None, help="comma-separated (default: all five)")
    fid.add_argument("--seeds", type=int_list, default=None, help="comma-separated (default: every published seed)")
    fid.add_argument("--out", type=Path, default=Path("results/fidelity"), help="folder for the mismatch CSV")
    add_memo_flags(fid)
    fid.set_defaults(func=cmd_fidelity)

