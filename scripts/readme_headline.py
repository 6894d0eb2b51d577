"""The README's "In numbers" lines, from the committed per-method summaries of tables/paper-grid/.

Usage: python scripts/readme_headline.py [tables/paper-grid]
tests/test_readme.py checks that the README shows exactly these lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

LLAMBO = "LLAMBO (paper, GPT-3.5)"
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
VIEWS = [("all {n} tasks, CV regret", "", "regret"), ("the {n} public tasks", "public", "regret"),
         ("the {n} synthetic tasks", "synthetic", "regret"),
         ("all {n} tasks, test-split regret", "", "generalization_regret"),
         ("public tasks, test-split regret", "public", "generalization_regret"),
         ("synthetic tasks, test-split regret", "synthetic", "generalization_regret")]
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
        text = (f"- {label.format(n=TASKS[family])}: LLAMBO ranks {ORDINALS[place]} of {len(rows)} "
                f"(average rank {rank:.2f}, mean regret {regret:.4f})")
        if place == 0:
            best = order[1]
            wins, ties, losses = (part.strip() for part in rows[best][2].split("/"))
            text += (f"; the best baseline is {best} ({rows[best][0]:.2f}, {rows[best][1]:.4f}; LLAMBO wins / ties / "
                     f"loses {wins} / {ties} / {losses} of its cells against it).")
        else:
            ahead = ", ".join(f"{m} ({rows[m][0]:.2f}, {rows[m][1]:.4f})" for m in order[:place])
            text += f"; ahead of it: {ahead}."
        lines.append(text)
    return lines


if __name__ == "__main__":
    print("\n".join(headline(Path(sys.argv[1] if len(sys.argv) > 1 else "tables/paper-grid"))))
