"""The official component evaluations' tables and figures (surrogate and sampler), from their outputs.

Each evaluation command writes its own per-seed metrics (`*_eval.csv`) and, through `markdown`, its
table; `tables --evaluations` renders every evaluation found under the folders it is given as
Markdown, LaTeX, CSV (mean and standard error over seeds) and one PNG of each metric against the
observed-set size, byte-stable as the end-to-end tables are, with a manifest of sha256s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from llambo_replay.errors import UsageError
from llambo_replay.experiments.evaluations.evaluation_table import GROUP, aggregate, cells, markdown, metric_columns
from llambo_replay.replay.storage.store import atomic_write_text

FLOAT = "%.6g"


def latex(frame: pd.DataFrame, rows: str, metrics: list[str], caption: str) -> str:
    escape = lambda s: s.replace("_", r"\_").replace("%", r"\%").replace("±", r"$\pm$")  # noqa: E731
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{escape(caption)}}}",
        r"\begin{tabular}{cl" + "c" * len(metrics) + "}",
        r"\toprule",
        " & ".join(escape(h) for h in (GROUP, rows, *metrics)) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(escape(c) for c in row) + r" \\" for row in cells(frame, rows, metrics, r"$\pm$")]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def figure(frame: pd.DataFrame, rows: str, metrics: list[str], title: str, path: Path) -> None:
    """One panel per metric against the observed-set size, a line (± s.e.) per row."""
    from llambo_replay.tables.plotting import STYLES, plotting

    table = aggregate(frame, rows, metrics)
    names = list(dict.fromkeys(table[rows]))
    columns = min(len(metrics), 4)
    with plotting() as plt:
        grid = (len(metrics) + columns - 1) // columns
        fig, axes = plt.subplots(grid, columns, figsize=(3.2 * columns, 2.8 * grid + 0.6), dpi=110, squeeze=False)
        for axis, metric in zip(axes.flat, metrics):
            for i, name in enumerate(names):
                part = table[table[rows] == name]
                line, marker = STYLES[i % len(STYLES)]
                axis.errorbar(
                    part[GROUP],
                    part[metric],
                    yerr=part[f"{metric}_se"].fillna(0),
                    label=name,
                    color=plt.get_cmap("tab10")(i),
                    ls=line,
                    marker=marker,
                    ms=4,
                    lw=1.4,
                    capsize=2,
                )
            axis.set(title=metric, xlabel="observed configurations", xticks=sorted(table[GROUP].unique()))
            axis.grid(alpha=0.3)
        for axis in list(axes.flat)[len(metrics) :]:
            axis.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(names), 4), fontsize=7, frameon=False)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)


@dataclass(frozen=True)
class EvaluationKind:
    """Where an evaluation's outputs are and how to read them: its per-seed CSV, the column naming its
    rows, and its caption and name from its manifest (by the command that made it)."""

    manifest: str
    table: str
    rows: str
    caption: Callable[[dict[str, Any]], str]
    name: Callable[[dict[str, Any]], str]


def _kinds() -> dict[str, EvaluationKind]:
    from llambo_replay.experiments.evaluations import sampler_eval_run, surrogate_eval_run

    return {
        "surrogate-eval": EvaluationKind(
            surrogate_eval_run.MANIFEST,
            "surrogate_eval.csv",
            "surrogate",
            surrogate_eval_run.caption_of,
            surrogate_eval_run.name_of,
        ),
        "sampler-eval": EvaluationKind(
            sampler_eval_run.MANIFEST,
            "sampler_eval.csv",
            "sampler",
            sampler_eval_run.caption_of,
            sampler_eval_run.name_of,
        ),
    }


@dataclass(frozen=True)
class Evaluation:
    name: str
    kind: EvaluationKind
    frame: pd.DataFrame
    caption: str
    source: str
    sha256: str

    @property
    def metrics(self) -> list[str]:
        return metric_columns(self.frame, self.kind.rows)


def find_evaluations(folders: list[Path]) -> list[Evaluation]:
    """Every surrogate or sampler evaluation under `folders`, by its manifest."""
    from llambo_replay.experiments.results.manifests import read_manifest

    kinds = _kinds()
    found: dict[str, Evaluation] = {}
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder of evaluations")
        for kind in kinds.values():
            for path in sorted(folder.rglob(kind.manifest)):
                manifest = read_manifest(path)
                table = path.with_name(kind.table)
                text = table.read_text() if table.is_file() else ""
                if hashlib.sha256(text.encode()).hexdigest() != manifest["outputs"].get(kind.table):
                    raise UsageError(
                        f"{table} is missing or not what {path.name} states; restore it from git or "
                        "run the evaluation again"
                    )
                evaluation = Evaluation(
                    kind.name(manifest),
                    kind,
                    pd.read_csv(table),
                    kind.caption(manifest),
                    str(table),
                    manifest["outputs"][kind.table],
                )
                if evaluation.name in found:
                    raise UsageError(
                        f"two evaluations of the same setting ({evaluation.name}): "
                        f"{found[evaluation.name].source} and {evaluation.source}"
                    )
                found[evaluation.name] = evaluation
    if not found:
        raise UsageError(f"no surrogate or sampler evaluation under {', '.join(map(str, folders))}")
    return [found[name] for name in sorted(found)]


def build_evaluation_tables(evaluations: list[Evaluation], out: Path) -> int:
    from llambo_replay.tables.build import make_output_folder, write_manifest

    make_output_folder(out)
    written: list[Path] = []
    for e in evaluations:
        rows, metrics = e.kind.rows, e.metrics
        files = {
            f"{e.name}.md": markdown(e.frame, rows, metrics, e.caption),
            f"{e.name}.tex": latex(e.frame, rows, metrics, e.caption),
            f"{e.name}.csv": aggregate(e.frame, rows, metrics).to_csv(
                index=False, float_format=FLOAT, lineterminator="\n"
            ),
        }
        for name, text in files.items():
            atomic_write_text(out / name, text)
            written.append(out / name)
        seeds = e.frame["seed"].nunique()
        title = f"{e.caption.split(' (')[0]}: mean over {seeds} seed(s)" + (" ± s.e." if seeds > 1 else "")
        figure(e.frame, rows, metrics, title, out / f"{e.name}.png")
        written.append(out / f"{e.name}.png")
    write_manifest(out, {e.source: e.sha256 for e in evaluations}, written)
    print(f"wrote {len(written)} files and manifest.json to {out} from {len(evaluations)} evaluation(s)")
    return 0
