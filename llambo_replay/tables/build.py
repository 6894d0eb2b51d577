"""Write the end-to-end tables and figure: Markdown, CSV, LaTeX, PNG, and a manifest of sha256s.

Every output is a pure function of the input histories: fixed float formats, sorted rows,
matplotlib's Agg backend with its bundled DejaVu font and no timestamp in the PNG, so two
runs (two processes, two machines with the pinned stack) write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.replay.storage.store import atomic_write_text
from llambo_replay.tables import clock_time, metrics, paper_views
from llambo_replay.tables.plotting import STYLES, plotting
from llambo_replay.tables.results import BASELINE_LABELS, PAPER_METHOD, History, method_order

FLOAT = "%.6f"


def _cell(hit: pd.DataFrame, pm: str) -> str:
    """'mean ± s.e. (n=k)'; one seed has no standard error to show."""
    if hit.empty:
        return "–"
    mean, se, n = hit["mean"].iloc[0], hit["se"].iloc[0], int(hit["count"].iloc[0])
    return f"{mean:.4f} (n=1)" if n == 1 else f"{mean:.4f} {pm} {se:.4f} (n={n})"


def _table_cells(final: pd.DataFrame, pm: str) -> tuple[list[str], list[list[str]]]:
    methods = sorted(final["method"].unique(), key=method_order)
    rows = []
    for task in sorted(final["task"].unique()):
        rows.append([task, *(_cell(final[(final["task"] == task) & (final["method"] == m)], pm) for m in methods)])
    return ["task"] + methods, rows


def markdown_table(final: pd.DataFrame, caption: str) -> str:
    header, rows = _table_cells(final, "±")
    lines = [f"{caption}\n", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def latex_table(final: pd.DataFrame, caption: str) -> str:
    header, rows = _table_cells(final, r"$\pm$")
    escape = lambda s: s.replace("_", r"\_").replace("%", r"\%").replace("–", "--")  # noqa: E731
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{escape(caption)}}}",
        r"\begin{tabular}{l" + "c" * (len(header) - 1) + "}",
        r"\toprule",
        " & ".join(escape(h) for h in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(escape(c) for c in r) + r" \\" for r in rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def summary_table(regret: pd.DataFrame, ranks: pd.DataFrame, caption: str) -> str:
    """Per method, at the last evaluation: average rank, mean regret and, against the first method in the
    paper's order (LLAMBO), the (task, seed) cells it wins, ties and loses."""
    last = metrics.at_budget(regret)
    final_rank = ranks[ranks["trial"] == ranks["trial"].max()].set_index("method")["rank"]
    methods = sorted(last["method"].unique(), key=method_order)
    cells = last.assign(regret=last["regret"].round(12)).pivot_table(
        index=["task", "seed"], columns="method", values="regret"
    )
    first = methods[0]
    lines = [
        f"{caption}; wins, ties and losses are {first}'s against each method, over (task, seed) cells.\n",
        f"| method | average rank | mean regret | {first}: wins / ties / losses |",
        "|---|---|---|---|",
    ]
    for method in methods:
        mean = last[last["method"] == method]["regret"].mean()
        rank = f"{final_rank[method]:.2f}" if method in final_rank else "–"
        if method == first:
            versus = "–"
        else:
            diff = cells[first] - cells[method]
            versus = f"{int((diff < 0).sum())} / {int((diff == 0).sum())} / {int((diff > 0).sum())}"
        lines.append(f"| {method} | {rank} | {mean:.4f} | {versus} |")
    return "\n".join(lines) + "\n"


def _seeds_note(kept: list) -> str:
    """`0–4`, or, where tasks have different seeds, also how many tasks have how many: a title must not
    suggest five seeds where most tasks have one."""
    by_task: dict[str, set[int]] = {}
    for h in kept:
        by_task.setdefault(h.task, set()).add(h.seed)
    note = _ranges([h.seed for h in kept])
    counts = sorted(Counter(len(seeds) for seeds in by_task.values()).items())
    if len(counts) > 1:
        note += "; " + ", ".join(f"{tasks} task(s) with {n}" for n, tasks in counts)
    return note


def figure(curves: pd.DataFrame, ranks: pd.DataFrame, path: Path, title: str) -> None:
    with plotting() as plt:
        methods = sorted(curves["method"].unique(), key=method_order)
        ranked = len(methods) > 1  # with one method a rank panel says nothing
        fig, axes = plt.subplots(1, 2 if ranked else 1, figsize=(10 if ranked else 5.5, 4.2), dpi=110, squeeze=False)
        left, right = axes[0][0], axes[0][-1]
        for i, method in enumerate(methods):
            colour = plt.get_cmap("tab10")(i)
            line, marker = STYLES[i % len(STYLES)]
            style = {"color": colour, "label": method, "lw": 1.6, "ls": line, "marker": marker, "ms": 4}
            c = curves[curves["method"] == method]
            left.plot(c["trial"] + 1, c["mean"], **style)
            left.fill_between(c["trial"] + 1, c["mean"] - c["se"], c["mean"] + c["se"], color=colour, alpha=0.12, lw=0)
            if ranked:
                r = ranks[ranks["method"] == method]
                right.plot(r["trial"] + 1, r["rank"], **style)
        left.set(xlabel="evaluations", ylabel="normalised regret (mean ± s.e. over tasks)", title="Regret")
        if ranked:
            right.set(xlabel="evaluations", ylabel="average rank (1 = best)", title="Rank")
        for axis in dict.fromkeys((left, right)):  # one axis when there is no rank panel
            axis.grid(alpha=0.3)
            axis.legend(loc="best", fontsize=7, frameon=True, framealpha=0.85)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_output_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {out} ({exc.strerror})") from None


def write_manifest(out: Path, inputs: dict[str, str], written: list[Path], results_root: Path | None = None) -> None:
    """`manifest.json`: the inputs' and every written file's sha256, which bind the tables to what made them
    (`check` compares both); `results_root` is the folder a run history's `results/...` name is under."""
    manifest: dict[str, object] = {"inputs": inputs, "outputs": {p.name: _sha(p) for p in sorted(written)}}
    if results_root is not None:
        manifest["results_root"] = results_root.as_posix()
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _ranges(numbers: list[int]) -> str:
    """[0, 1, 2, 4] -> '0–2, 4'."""
    parts: list[str] = []
    for n in sorted(set(numbers)):
        if parts and n == int(parts[-1].split("–")[-1]) + 1:
            parts[-1] = f"{parts[-1].split('–')[0]}–{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)


def describe_scope(kept: list[History], left_out: list[History]) -> str:
    """Which tasks, seeds and budget the comparison uses, and what it had to leave out."""
    tasks = sorted({h.task for h in kept})
    budgets = sorted({len(h.frame) for h in kept})
    budget = f"{budgets[0]}" if len(budgets) == 1 else f"{budgets[0]}–{budgets[-1]} (per task)"
    text = (
        f"{len(tasks)} task(s) ({', '.join(tasks)}); every method on the same seeds ({_seeds_note(kept)}) and the "
        f"same budget of {budget} evaluations"
    )
    protocols: dict[str, set[str]] = {}
    for h in kept:
        if h.protocol:
            protocols.setdefault(h.protocol, set()).add(h.task)
    if len(protocols) > 1:  # each task is compared under one protocol (results.load_results); say which
        text += "; objective protocols " + "; ".join(
            f"{p} on {', '.join(sorted(t))}" for p, t in sorted(protocols.items())
        )
    dropped: dict[str, dict[str, list[int]]] = {}
    for h in left_out:
        dropped.setdefault(h.method, {}).setdefault(h.task, []).append(h.seed)
    if dropped:
        text += "; left out, as not every method ran them: " + "; ".join(
            f"{method} on " + ", ".join(f"{task} seed(s) {_ranges(seeds)}" for task, seeds in sorted(by_task.items()))
            for method, by_task in sorted(dropped.items())
        )
    return text


def build_tables(
    histories: list[History],
    out: Path,
    benchmark: str = "Bayesmark",
    results_root: Path | None = None,
    cassettes: Path | None = None,
) -> int:
    """The tables and figures of `histories` (runs under `results_root`) in `out`; where they span the paper's
    two families (public and synthetic data sets), each family's own as well, in `out/public/` and
    `out/synthetic/`. With `cassettes` (where the runs were recorded), also the clock time per proposal of
    the methods whose proposals carry one."""
    families = sorted({h.family for h in histories})
    scope = benchmark + (" (public and synthetic tasks)" if len(families) > 1 else "")
    _build(histories, out, scope, results_root, cassettes)
    if len(families) > 1:
        for family in families:
            family_histories = [h for h in histories if h.family == family]
            _build(family_histories, out / family, f"{benchmark} ({family} tasks)", results_root)
    return 0


PAPER_NOTE = f"{PAPER_METHOD} is the paper's published LLAMBO histories (GPT-3.5, discriminative surrogate)"


def _build(
    histories: list[History], out: Path, benchmark: str, results_root: Path | None, cassettes: Path | None = None
) -> None:
    make_output_folder(out)
    kept, left_out = metrics.common_ground(histories)
    if not kept:
        raise UsageError("no (task, seed) is shared by every method; nothing can be compared")
    scope = describe_scope(kept, left_out)
    written = []
    for column, stem in (("score", "regret"), ("generalization_score", "generalization_regret")):
        regret = metrics.regret_table(kept, column)
        curves, ranks, final = metrics.curves(regret), metrics.ranks(regret), metrics.final_regret(regret)
        caption = (
            f"{benchmark}: normalised {'CV' if column == 'score' else 'test-split'} regret after the last "
            f"evaluation, mean ± s.e. over seeds; {scope}."
            + (f" {PAPER_NOTE}." if any(h.method == PAPER_METHOD for h in kept) else "")
        )
        files = {
            f"{stem}_curves.csv": curves.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
            f"{stem}_ranks.csv": ranks.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
            f"{stem}_final.csv": final.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
            f"{stem}_final.md": markdown_table(final, caption),
            f"{stem}_final.tex": latex_table(final, caption),
        }
        kind = "CV" if column == "score" else "test-split"
        files[f"{stem}_summary.md"] = summary_table(
            regret,
            ranks,
            f"{benchmark}: normalised {kind} regret at the last evaluation per method (mean over task and seed cells)",
        )
        if len({h.method for h in kept}) > 1:  # the paper's Tables 1-2: the average rank per ML model
            by_model = paper_views.rank_by_model(metrics.final_ranks(regret))
            files[f"{stem}_rank_by_model.csv"] = by_model.to_csv(float_format=FLOAT, lineterminator="\n")
            files[f"{stem}_rank_by_model.md"] = paper_views.rank_by_model_markdown(
                by_model,
                f"{benchmark}: average rank per ML model of the seed-mean {kind} regret at the last evaluation "
                "(1 = best; over the model's tasks, and over every task in 'all')"
                + (f". {paper_views.TABLES_1_2_NOTE}." if benchmark == "Bayesmark" else ""),
            )
        if BASELINE_LABELS["random"] in set(regret["method"]):
            view = metrics.bayesmark_score(regret, BASELINE_LABELS["random"])
            files[f"{stem}_bayesmark_score.csv"] = view.to_csv(index=False, float_format=FLOAT, lineterminator="\n")
        for name, text in files.items():
            atomic_write_text(out / name, text)
            written.append(out / name)
        tasks = sorted({h.task for h in kept})
        alone = len({h.method for h in kept}) == 1  # its regret is normalised by its own best and worst
        figure(
            curves,
            ranks,
            out / f"{stem}.png",
            f"{benchmark}, {'CV' if column == 'score' else 'test-split'} "
            f"regret on {len(tasks)} task(s), seeds {_seeds_note(kept)}"
            + ("\none method: normalised by its own best and worst score per task" if alone else ""),
        )
        written.append(out / f"{stem}.png")
        if column == "score" and len(tasks) > 1:  # the paper's per-task curves (its Figures 26-28)
            paper_views.per_task_figure(regret, out / "regret_per_task.png", f"{benchmark}: CV regret per task")
            written.append(out / "regret_per_task.png")
    seconds = clock_time.proposal_seconds(kept, results_root, cassettes) if results_root and cassettes else None
    if seconds is not None and not seconds.empty:  # the paper's Figure 24, for the methods that recorded it
        atomic_write_text(
            out / "clock_time.md",
            clock_time.clock_time_markdown(
                seconds,
                f"{benchmark}: wall-clock seconds per proposal, measured in the worker that proposed it "
                "(model fit and acquisition; not the objective), on the machine that recorded it, which ran "
                "other recordings beside it; baselines run in process and the paper's published histories "
                "carry no times",
            ),
        )
        written.append(out / "clock_time.md")
    roots = results_root if any(h.source.startswith("results/") for h in histories) else None
    write_manifest(out, {h.source: h.sha256 for h in histories}, written, roots)
    print(f"wrote {len(written)} files and manifest.json to {out} from {len(histories)} histories: {scope}")
