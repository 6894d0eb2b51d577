"""Write the end-to-end tables and figure: Markdown, CSV, LaTeX, PNG, and a manifest of sha256s.

Every output is a pure function of the input histories: fixed float formats, sorted rows,
matplotlib's Agg backend with its bundled DejaVu font and no timestamp in the PNG, so two
runs (two processes, two machines with the pinned stack) write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.replay.store import atomic_write_text
from llambo_replay.tables import metrics
from llambo_replay.tables.results import BASELINE_LABELS, History, load_paper, load_results

FLOAT = "%.6f"


def _table_cells(final: pd.DataFrame, pm: str) -> tuple[list[str], list[list[str]]]:
    methods = sorted(final["method"].unique())
    rows = []
    for task in sorted(final["task"].unique()):
        cells = [task]
        for method in methods:
            hit = final[(final["task"] == task) & (final["method"] == method)]
            cells.append("–" if hit.empty else f"{hit['mean'].iloc[0]:.3f} {pm} {hit['se'].iloc[0]:.3f} "
                                               f"(n={int(hit['count'].iloc[0])})")
        rows.append(cells)
    return ["task"] + methods, rows


def markdown_table(final: pd.DataFrame, caption: str) -> str:
    header, rows = _table_cells(final, "±")
    lines = [f"{caption}\n", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def latex_table(final: pd.DataFrame, caption: str) -> str:
    header, rows = _table_cells(final, r"$\pm$")
    escape = lambda s: s.replace("_", r"\_").replace("%", r"\%").replace("–", "--")  # noqa: E731
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{escape(caption)}}}",
             r"\begin{tabular}{l" + "c" * (len(header) - 1) + "}", r"\toprule",
             " & ".join(escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(escape(c) for c in r) + r" \\" for r in rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def figure(curves: pd.DataFrame, ranks: pd.DataFrame, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "llambo-replay",
                         "path.simplify": False}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=110)
        for i, method in enumerate(sorted(curves["method"].unique())):
            colour = plt.get_cmap("tab10")(i)
            c = curves[curves["method"] == method]
            left.plot(c["trial"], c["mean"], color=colour, label=method, lw=1.6)
            left.fill_between(c["trial"], c["mean"] - c["se"], c["mean"] + c["se"], color=colour, alpha=0.18, lw=0)
            r = ranks[ranks["method"] == method]
            right.plot(r["trial"], r["rank"], color=colour, label=method, lw=1.6)
        left.set(xlabel="evaluations", ylabel="normalised regret (mean ± s.e.)", title="Regret")
        right.set(xlabel="evaluations", ylabel="average rank (1 = best)", title="Rank")
        left.grid(alpha=0.3)
        right.grid(alpha=0.3)
        right.legend(loc="upper right", fontsize=7, frameon=False)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tables(results: Path, reference_root: Path | None, out: Path) -> int:
    histories: list[History] = load_results(results)
    if reference_root is not None:
        histories += load_paper(reference_root, {(h.dataset, h.model) for h in histories})
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {out} ({exc.strerror})") from None
    tasks = sorted({h.task for h in histories})
    seeds = sorted({h.seed for h in histories})
    scope = f"{len(tasks)} task(s) ({', '.join(tasks)}), seeds {', '.join(map(str, seeds))}"
    written = []
    for column, stem in (("score", "regret"), ("generalization_score", "generalization_regret")):
        regret = metrics.regret_table(histories, column)
        curves, ranks, final = metrics.curves(regret), metrics.ranks(regret), metrics.final_regret(regret)
        caption = (f"Normalised {'CV' if column == 'score' else 'test-split'} regret at each task's common budget, "
                   f"mean ± s.e. over seeds; {scope}.")
        files = {f"{stem}_curves.csv": curves.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
                 f"{stem}_ranks.csv": ranks.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
                 f"{stem}_final.csv": final.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
                 f"{stem}_final.md": markdown_table(final, caption),
                 f"{stem}_final.tex": latex_table(final, caption)}
        if BASELINE_LABELS["random"] in set(regret["method"]):
            view = metrics.bayesmark_score(regret, BASELINE_LABELS["random"])
            files[f"{stem}_bayesmark_score.csv"] = view.to_csv(index=False, float_format=FLOAT, lineterminator="\n")
        for name, text in files.items():
            atomic_write_text(out / name, text)
            written.append(out / name)
        figure(curves, ranks, out / f"{stem}.png", f"{'CV' if column == 'score' else 'Test-split'} regret — {scope}")
        written.append(out / f"{stem}.png")
    manifest = {"inputs": {h.source: h.sha256 for h in sorted(histories, key=lambda h: h.source)},
                "outputs": {p.name: _sha(p) for p in sorted(written)}}
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(written)} files and manifest.json to {out} from {len(histories)} histories ({scope})")
    return 0
