"""The package's layers import only the layers above them (README "Layout"), including imports inside
functions, so that no circle and no upward arrow can creep in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "llambo_replay"
LAYERS = ["replay", "llambo", "bayesmark", "experiments", "tables", "cli"]  # top first
SHARED = {"errors", "__init__", "local_server", "namespaces", "progress"}  # modules every layer may use


def imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
        for name in names:
            parts = name.split(".")
            if parts[0] == "llambo_replay" and len(parts) > 1 and parts[1] not in SHARED:
                found.add(parts[1])
    return found


def test_every_layer_imports_only_the_layers_above_it():
    wrong = []
    for layer in LAYERS:
        allowed = set(LAYERS[: LAYERS.index(layer) + 1])
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for other in imported_layers(path) - allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports llambo_replay.{other}")
    assert not wrong, "\n".join(wrong)


def module_imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, at the top or inside functions."""
    modules = {
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p for p in PACKAGE.rglob("*.py")
    }

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(resolve(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                found.update(resolve(f"{base}.{a.name}") or resolve(base) for a in node.names)
        graph[module] = {m for m in found if m and m.startswith("llambo_replay") and m != module}
    return graph


def test_no_module_imports_itself_through_others():
    graph = module_imports()

    def reaches(start: str, goal: str) -> list[str] | None:
        seen, todo = {start}, [[start]]
        while todo:
            path = todo.pop()
            for nxt in sorted(graph[path[-1]]):
                if nxt == goal:
                    return path + [nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(path + [nxt])
        return None

    circles = [" -> ".join(found) for module in sorted(graph) if (found := reaches(module, module))]
    assert not circles, "\n".join(circles)


MAX_MODULE_LINES = 400
MAX_MODULES_PER_FOLDER = 12  # besides __init__.py and __main__.py


def test_modules_stay_small_and_folders_few():
    """A module that outgrows 400 lines, or a folder of more than 12 modules, is split by role."""
    sources = [p for p in PACKAGE.rglob("*.py") if "paper_data" not in p.parts]
    assert [str(p) for p in sources if len(p.read_text().splitlines()) > MAX_MODULE_LINES] == []
    crowded = {
        str(folder.relative_to(REPO)): count
        for folder in {p.parent for p in sources}
        if (count := sum(1 for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")))
        > MAX_MODULES_PER_FOLDER
    }
    assert crowded == {}


def test_the_replay_layer_imports_without_numpy_or_pandas():
    code = (
        "import sys, llambo_replay.replay, llambo_replay.replay.calls; "
        "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_the_replay_layer_imports_and_replays_where_there_is_no_fcntl():
    """The replay layer imports and replays where there is no `fcntl` (Windows)."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "from llambo_replay.replay import CassetteStore\n"
        "store = CassetteStore('cassettes')\n"
        "ref = next(store.iter_entries('smollm2-135m-instruct/discriminative-json/iris/SVM/seed0'))\n"
        "assert store.get_slot(ref.namespace, ref.key, 0) is not None\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_the_package_says_it_is_typed():
    assert (REPO / "llambo_replay/py.typed").is_file()
    assert '"llambo_replay" = ["py.typed"]' in (REPO / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    "command", ["", "run", "grid", "components", "warmstart", "cassettes", "check", "tables", "fidelity", "serve-local"]
)
def test_help_loads_neither_the_openai_client_nor_scikit_learn(command):
    """`--help` builds only the parser asked for. (How long it takes is measured by scripts, never asserted
    in tests; what it imports can be.)"""
    code = (
        "import sys\nfrom llambo_replay.cli import main\n"
        f"try:\n    main([*{command.split()!r}, '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('openai', 'sklearn', 'scipy', 'matplotlib', 'optuna', 'skopt') "
        "if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
    assert "usage: llambo-replay" in result.stdout
