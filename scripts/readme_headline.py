"""The README's and docs/results.md's headline: the per-method summary tables of tables/paper-grid/ and
the "In numbers" lines made from them.

Usage: python scripts/readme_headline.py [--write]   (prints the lines; --write puts tables and lines in place)
tests/integration/test_readme.py checks that README.md and docs/results.md show exactly these.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

LLAMBO = "LLAMBO (paper, GPT-3.5)"
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
VIEWS = [
    ("all {n} tasks, CV regret", "", "regret"),
    ("the {n} public tasks", "public", "regret"),
    ("the {n} synthetic tasks", "synthetic", "regret"),
    ("all {n} tasks, test-split regret", "", "generalization_regret"),
    ("public tasks, test-split regret", "public", "generalization_regret"),
    ("synthetic tasks, test-split regret", "synthetic", "generalization_regret"),
]
TASKS = {"": 40, "public": 25, "synthetic": 15}


def summary_rows(path: Path) -> dict[str, tuple[float, float, str]]:
    """method -> (average rank, mean regret, LLAMBO's wins / ties / losses against it)."""
    rows = {}
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[1].replace(".", "", 1).isdigit():
            rows[cells[0]] = (float(cells[1]), float(cells[2]), cells[3])
    return rows


def headline(tables: Path) -> list[str]:
    lines = []
    for label, family, metric in VIEWS:
        rows = summary_rows(tables / family / f"{metric}_summary.md")
        order = sorted(rows, key=lambda method: rows[method][0])
        rank, regret, _ = rows[LLAMBO]
        place = order.index(LLAMBO)
        text = (
            f"- {label.format(n=TASKS[family])}: LLAMBO ranks {ORDINALS[place]} of {len(rows)} "
            f"(average rank {rank:.2f}, mean regret {regret:.4f})"
        )
        if place == 0:
            best = order[1]
            wins, ties, losses = (part.strip() for part in rows[best][2].split("/"))
            text += (
                f"; the best baseline is {best} ({rows[best][0]:.2f}, {rows[best][1]:.4f}; LLAMBO wins / ties / "
                f"loses {wins} / {ties} / {losses} of its cells against it)."
            )
        else:
            ahead = ", ".join(f"{m} ({rows[m][0]:.2f}, {rows[m][1]:.4f})" for m in order[:place])
            text += f"; ahead of it: {ahead}."
        lines.append(text)
    return lines


FAMILIES = [  # the paper's Table 1 is the public tasks; its Table 2 the private (absent here) and synthetic ones
    ("", "all 40 tasks"),
    ("public", "the public tasks (the paper's Table 1)"),
    ("synthetic", "the synthetic tasks (the paper's Table 2 without its private tasks)"),
]


def rank_by_model(path: Path) -> tuple[list[str], dict[str, list[float]]]:
    """The columns (ML models, then 'all') and each method's average ranks, from a `*_rank_by_model.md`."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in path.read_text().splitlines()]
    rows = [row for row in rows if len(row) > 2 and not set(row[1]) <= {"-"}]
    return rows[0][1:], {row[0]: [float(v) if v != "–" else float("nan") for v in row[1:]] for row in rows[1:]}


def per_model(tables: Path) -> list[str]:
    """LLAMBO's average rank per ML model and its place among every method of the comparison."""
    lines = []
    for family, label in FAMILIES:
        columns, rows = rank_by_model(tables / family / "regret_rank_by_model.md")
        places = []
        for i, column in enumerate(columns):
            ours = rows[LLAMBO][i]
            place = sum(values[i] < ours for values in rows.values())
            places.append(f"{column} {ours:.2f} ({ORDINALS[place]} of {len(rows)})")
        lines.append(f"- {label}: " + ", ".join(places) + ".")
    return lines


# Where each summary table is shown: README.md shows the first, docs/results.md all four, in this order.
SHOWN = [("", "regret"), ("public", "regret"), ("synthetic", "regret"), ("", "generalization_regret")]


def summary_tables(tables: Path) -> list[list[str]]:
    return [
        [line for line in (tables / family / f"{metric}_summary.md").read_text().splitlines() if line.startswith("|")]
        for family, metric in SHOWN
    ]


def blocks(lines: list[str], starts: Callable[[str], bool], continues: Callable[[str], bool]) -> list[range]:
    found, i = [], 0
    while i < len(lines):
        if starts(lines[i]):
            j = i
            while j < len(lines) and continues(lines[j]):
                j += 1
            found.append(range(i, j))
            i = j
        else:
            i += 1
    return found


def rewrite(path: Path, tables: Path) -> None:
    """Replace the summary tables and the "In numbers" lines of `path` with the current ones."""
    lines = path.read_text().splitlines()
    new = {"table": summary_tables(tables), "numbers": [headline(tables)], "per model": [per_model(EVERY_BASELINE)]}
    found = {
        "table": blocks(
            lines, lambda line: line.startswith("| method | average rank"), lambda line: line.startswith("|")
        ),
        "numbers": blocks(
            lines,
            lambda line: line.startswith("- ") and "LLAMBO ranks" in line,
            lambda line: line.startswith("- ") and "LLAMBO ranks" in line,
        ),
        "per model": blocks(
            lines,
            lambda line: line.startswith("- all 40 tasks: RandomForest"),
            lambda line: line.startswith("- ") and ": RandomForest " in line,
        ),
    }
    edits = sorted(
        ((span, new[kind][n]) for kind in found for n, span in enumerate(found[kind])),
        key=lambda edit: edit[0].start,
        reverse=True,
    )
    for span, replacement in edits:
        lines[span.start : span.stop] = replacement
    path.write_text("\n".join(lines) + "\n")


ROOT = Path(__file__).resolve().parent.parent
EVERY_BASELINE = ROOT / "tables/paper-fig22"  # the paper's Fig. 22 view: every baseline recorded

if __name__ == "__main__":
    root = ROOT
    if "--write" in sys.argv:
        for shown in ("README.md", "docs/results.md"):
            rewrite(root / shown, root / "tables/paper-grid")
    print("\n".join(headline(root / "tables/paper-grid") + per_model(EVERY_BASELINE)))
