"""docs/replay-commands.md: every committed result's replay command, folder by folder, merged into the
fewest command lines (a `grid` over methods x tasks x seeds where the cells share every other flag).

Each manifest names its own command (`replay_command`); this only gathers them. README.md's table of
committed results shows a folder's command when it is one line, and links this page otherwise.

    python scripts/replay_commands.py           # print the page
    python scripts/replay_commands.py --write   # write docs/replay-commands.md
tests/experiments/test_replay_commands.py checks that the committed page is what this makes.
"""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

from llambo_replay.experiments.results.replay_commands import RUN_OPTIONS

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "replay-commands.md"
FOLDERS = [
    "results/recorded/demo",
    "results/recorded/paper-grid",
    "results/recorded/grid",
    "results/recorded/ablations",
    "results/recorded/warmstart",
    "results/recorded/blas-sensitive",
    "results/recorded/synthetic",
    "results/components",
    "results/surrogate-eval",
    "results/sampler-eval",
]
# The flags that name one cell of a command, by subcommand: (flag, the dimension it names).
CELL_FLAGS = {
    "run": {"--task": "tasks", "--seed": "seeds"},
    "grid": {"--methods": "methods", "--tasks": "tasks", "--seeds": "seeds"},
    "warmstart": {"--seeds": "seeds", "--initialisers": "initialisers", "--optimisers": "optimisers"},
}
# Flags only LLAMBO reads (a baseline reads the budget, the start and the objective protocol).
LLAMBO_ONLY_FLAGS = {"--" + dest.replace("_", "-") for dest in RUN_OPTIONS} - {"--init", "--trials"}
GRID_FLAG = {
    "methods": "--methods",
    "tasks": "--tasks",
    "seeds": "--seeds",
    "initialisers": "--initialisers",
    "optimisers": "--optimisers",
}


def split(command: str) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """(subcommand, the flags every cell of a merged command shares, this cell's coordinates)."""
    argv = shlex.split(command)[1:]
    sub, rest, cell = argv[0], argv[1:], {}
    names = CELL_FLAGS.get(sub, {})
    shared: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] in names:
            cell[names[rest[i]]] = rest[i + 1]
            i += 2
        else:
            shared.append(rest[i])
            i += 1
    if sub == "run":  # a LLAMBO run is the grid's `llambo` cell with the same flags
        sub, cell = (
            "grid",
            {"methods": "llambo", "tasks": cell.get("tasks", "iris/SVM"), "seeds": cell.get("seeds", "0")},
        )
    return sub, tuple(shared), cell


def merged(commands: list[str]) -> list[str]:
    """The fewest command lines that replay exactly `commands`' cells (each line a full cross product)."""
    if len(commands) == 1:
        return commands
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, str]]] = defaultdict(list)
    own: dict[tuple, str] = {}  # a cell's own command, for a group of one
    for command in commands:
        sub, shared, cell = split(command)
        groups[(sub, shared)].append(cell)
        own[(sub, shared)] = command
    _fold_baselines_into_llambo(groups)
    out = []
    for (sub, shared), cells in groups.items():
        dims = list(cells[0])
        for block in _products(cells, dims):
            if len(cells) == 1:
                out.append(own[(sub, shared)])
                continue
            flags = []
            for dim in dims:
                flags += _render(dim, block[dim])
            out.append(shlex.join(["llambo-replay", sub, *flags, *shared]))
    return out


def _fold_baselines_into_llambo(groups: dict[tuple[str, tuple[str, ...]], list[dict[str, str]]]) -> None:
    """A grid's baseline cells read none of LLAMBO's own flags, so they join the LLAMBO cells whose
    command differs from theirs only by such flags (one `grid` line then runs both)."""
    for key in [k for k, cells in groups.items() if k[0] == "grid" and all(c["methods"] != "llambo" for c in cells)]:
        for other in groups:
            if other == key or other[0] != "grid" or not any(c["methods"] == "llambo" for c in groups[other]):
                continue
            extra = [flag for flag in other[1] if flag not in key[1]]
            if [flag for flag in key[1] if flag not in other[1]] == [] and all(
                not flag.startswith("--") or flag in LLAMBO_ONLY_FLAGS for flag in extra
            ):
                groups[other] += groups.pop(key)
                break


def _products(cells: list[dict[str, str]], dims: list[str]) -> list[dict[str, list[str]]]:
    """Cells as blocks that are cross products: by the last dimension's value set, then by the next one's."""
    if not dims:
        return [{}]
    *outer, last = dims
    values_of: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for cell in cells:
        values_of[tuple(cell[d] for d in outer)].append(cell[last])
    by_values: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for key, values in values_of.items():
        by_values[tuple(_ordered(values))].append(dict(zip(outer, key)))
    blocks = []
    for values, rest in by_values.items():
        for block in _products(rest, outer):
            blocks.append({**block, last: list(values)})
    return blocks


def _ordered(values: list[str]) -> list[str]:
    unique = list(dict.fromkeys(values))
    return sorted(unique, key=lambda v: (0, int(v), "") if v.isdigit() else (1, 0, "" if v == "llambo" else v))


def _render(dim: str, values: list[str]) -> list[str]:
    if dim == "tasks":
        datasets = list(dict.fromkeys(t.split("/")[0] for t in values))
        models = list(dict.fromkeys(t.split("/")[1] for t in values))
        if len(values) > 2 and len(datasets) * len(models) == len(values):
            return ["--datasets", ",".join(datasets), "--models", ",".join(models)]
    return [GRID_FLAG[dim], ",".join(values)]


def folder_commands(folder: Path) -> list[str]:
    commands = [json.loads(p.read_text())["replay_command"] for p in sorted(folder.rglob("*.manifest.json"))]
    return merged([c for c in dict.fromkeys(commands) if c])


def anchor(name: str) -> str:
    """GitHub's anchor of a heading `## `name/``."""
    return "".join(c for c in f"{name}/".lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


README_WIDTH = 300  # a longer command line is linked, not shown in the table
NUMBERS = [
    "no command line",
    "one command line",
    "two command lines",
    "three command lines",
    "four command lines",
    "five command lines",
    "six command lines",
]


def _count(n: int) -> str:
    return NUMBERS[n] if n < len(NUMBERS) else f"{n} command lines"


def readme_cell(name: str) -> str:
    """What README.md's table shows in a folder's "replays with" column."""
    commands = folder_commands(REPO / name)
    if len(commands) == 1 and len(commands[0]) <= README_WIDTH:
        return f"`{commands[0]}`"
    return f"{_count(len(commands))}: [docs/replay-commands.md](docs/replay-commands.md#{anchor(name)})"


def page() -> str:
    total = sum(1 for name in FOLDERS for _ in (REPO / name).rglob("*.manifest.json"))
    lines = [
        "# The command that replays each committed result",
        "",
        *textwrap.wrap(
            "Made by `python scripts/replay_commands.py --write` from the `replay_command` every manifest names "
            "(a test checks it). Each command replays into its own default output folder under `results/`, "
            "never into the committed one; `llambo-replay check --results <folder or manifest>` replays the "
            "same results and compares them with the committed files. (The blocks are `text`, not `bash`: the "
            f"README test runs every `bash` line, and these replay {total:,} results; "
            "tests/experiments/test_replay_commands.py runs a sample of them instead.)",
            width=105,
        ),
        "",
    ]
    for name in FOLDERS:
        commands = folder_commands(REPO / name)
        count = sum(1 for _ in (REPO / name).rglob("*.manifest.json"))
        lines += [
            f"## `{name}/`",
            "",
            f"{count} result(s), {len(commands)} command line(s):",
            "",
            "```text",
            *commands,
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = page()
    if "--write" in argv:
        PAGE.write_text(text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
