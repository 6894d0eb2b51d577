"""The package as a wheel: built from a copy of the source (so the clone is not written to), it holds
every file of the package and nothing else, declares the console script and the pytest plugin, and,
installed on its own outside the clone, replays the committed demo to its committed bytes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO / "llambo_replay", source / "llambo_replay", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (found,) = (work / "dist").glob("llambo_replay-*-py3-none-any.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_package_and_nothing_else(wheel):
    tracked = subprocess.run(
        ["git", "ls-files", "llambo_replay"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    names = zipfile.ZipFile(wheel).namelist()
    packaged = {n for n in names if n.startswith("llambo_replay/")}
    assert set(tracked) - packaged == set()  # the paper's data, the environments' locks, py.typed included
    assert {n for n in names if not n.startswith(("llambo_replay/", "llambo_replay-"))} == set()
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "llambo-replay = llambo_replay.cli:main" in entry_points
    assert "llambo_replay = llambo_replay.replay.pytest_plugin" in entry_points


@pytest.mark.slow
def test_the_installed_wheel_replays_the_demo_outside_the_clone(wheel, tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    elsewhere.mkdir()
    command = [sys.executable, "-c", "import llambo_replay.cli as c, sys; print(c.__file__); sys.exit(c.main())"]
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}  # the wheel's code, the test environment's libraries
    replayed = subprocess.run(
        [*command, "run", "--cassettes", str(REPO / "cassettes"), "--out", "out"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.splitlines()[0].startswith(str(site))
    history = "iris/SVM/0.csv"
    assert (elsewhere / "out" / history).read_bytes() == (REPO / "results/recorded/demo" / history).read_bytes()
