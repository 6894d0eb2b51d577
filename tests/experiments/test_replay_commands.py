"""Every committed manifest names the command line that replays it (issue 29), and that command does."""

from __future__ import annotations

import functools
import json
import shlex
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli as cli

from llambo_replay.cli import build_parser
from llambo_replay.experiments.results.replay_commands import replay_command
from llambo_replay.experiments.runs.run_spec import spec_from_manifest

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = sorted(
    p
    for folder in ("results/recorded", "results/components", "results/surrogate-eval", "results/sampler-eval")
    for p in (REPO / folder).rglob("*.manifest.json")
)


@functools.cache
def parser():
    return build_parser()  # one for every manifest: building it is most of the time a parse takes


def parsed(command: str):
    argv = shlex.split(command)
    assert argv[0] == "llambo-replay"
    return parser().parse_args(argv[1:])


def run_view(spec):
    """A RunSpec as its manifest states it: no reader when nothing is read, no warm-start settings without
    a warm-start."""
    return {
        **spec.__dict__,
        "settings": spec.settings.as_dict(),
        "reference_reader": spec.reference_reader if spec.reference else None,
    }


def baseline_view(spec):
    """What a baseline reads of its spec: the task, seed, budget and start."""
    return {
        "task": (spec.dataset, spec.model, spec.seed),
        "budget": (spec.settings.n_initial, spec.settings.n_trials),
        "start": (spec.reference, spec.given_points, spec.reference_reader if spec.reference else None),
        "protocol": spec.objective_protocol,
    }


@pytest.mark.slow
def test_every_committed_manifest_names_the_command_its_settings_give():
    from llambo_replay.cli.common import run_spec
    from llambo_replay.cli.components import component_spec
    from llambo_replay.cli.warmstart import warmstart_spec
    from llambo_replay.experiments.evaluations.component_run import spec_from_manifest as component_spec_of
    from llambo_replay.llambo.warmstart import WarmstartSettings

    assert len(MANIFESTS) > 1000
    kinds = set()
    for path in MANIFESTS:
        manifest = json.loads(path.read_text())
        command = manifest["replay_command"]
        assert command == replay_command(manifest), path
        args = parsed(command)
        kinds.add(args.command)
        if args.command == "components":
            assert component_spec(args) == component_spec_of(manifest), path
        elif args.command == "surrogate-eval":
            from llambo_replay.cli.evaluations import surrogate_eval_spec
            from llambo_replay.experiments.evaluations.surrogate_eval_run import (
                spec_from_manifest as surrogate_eval_spec_of,
            )

            assert surrogate_eval_spec(args) == surrogate_eval_spec_of(manifest), path
        elif args.command == "sampler-eval":
            from llambo_replay.cli.evaluations import sampler_eval_spec
            from llambo_replay.experiments.evaluations.sampler_eval_run import (
                spec_from_manifest as sampler_eval_spec_of,
            )

            assert sampler_eval_spec(args) == sampler_eval_spec_of(manifest), path
        elif args.command == "warmstart":
            spec, source = warmstart_spec(args), manifest["initial_points_source"]
            assert (spec.dataset, spec.model, spec.seeds, spec.initialisers, spec.optimisers) == (
                manifest["task"]["dataset"],
                manifest["task"]["model"],
                (manifest["seed"],),
                (source["initialiser"],),
                (manifest["method"],),
            ), path
            assert (spec.n_initial, spec.n_trials) == (manifest["budget"]["n_initial"], manifest["budget"]["n_trials"])
            if "llm_model" in source:
                assert (spec.llm_model, spec.protocol, spec.warmstart) == (
                    source["llm_model"],
                    source["protocol"],
                    WarmstartSettings(**source["warmstart_settings"]),
                ), path
        else:
            ours, theirs = run_spec(args), spec_from_manifest(path)
            if args.command == "grid":
                from llambo_replay.experiments.runs.grid import cells

                (cell,) = cells(args.methods, args.tasks, args.seeds, ours)
                assert cell.method == manifest["method"], path
                assert baseline_view(cell.spec) == baseline_view(theirs), path
            else:
                assert run_view(ours) == run_view(theirs), path
    assert kinds == {"run", "grid", "warmstart", "components", "surrogate-eval", "sampler-eval"}


def test_the_demo_names_the_readme_command():
    manifest = json.loads((REPO / "results/recorded/demo/iris/SVM/0.manifest.json").read_text())
    assert manifest["replay_command"] == "llambo-replay run"


@pytest.mark.parametrize(
    "manifest",
    [
        "results/recorded/blas-sensitive/digits/MLP_SGD/0.manifest.json",  # initial points given on the command line
        "results/recorded/ablations/anonymised/wine/SVM/0.manifest.json",
        "results/recorded/paper-grid/smac/wine/SVM/3.manifest.json",
        "results/recorded/grid/random/iris/SVM/1.manifest.json",
        "results/recorded/synthetic/rosenbrock/SVM/0.manifest.json",  # a synthetic task
        "results/recorded/warmstart/gp_ei-partial_context/wine/SVM/2.manifest.json",
    ],
)
def test_a_manifests_command_replays_its_history_byte_for_byte(tmp_path, manifest):
    committed = REPO / manifest
    command = json.loads(committed.read_text())["replay_command"]
    argv = shlex.split(command)[1:] + ["--out", str(tmp_path), "--no-memo"]
    result = cli(*argv, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    where = committed.relative_to(REPO).parts
    made = tmp_path.joinpath(*where[-4 if argv[0] != "run" else -3 :]).with_suffix("").with_suffix(".csv")
    assert made.read_bytes() == committed.with_suffix("").with_suffix(".csv").read_bytes(), command
    assert json.loads(made.with_suffix(".manifest.json").read_text())["replay_command"] == command


def test_the_replay_commands_page_and_the_readme_table_are_made_from_the_manifests():
    sys.path.insert(0, str(REPO / "scripts"))
    from replay_commands import FOLDERS, PAGE, page, readme_cell

    assert PAGE.read_text() == page(), "run: python scripts/replay_commands.py --write"
    readme = (REPO / "README.md").read_text()
    for folder in FOLDERS:
        assert f"| `{folder}/` | " in readme and readme.split(f"| `{folder}/` | ")[1].split("\n")[0].endswith(
            f" | {readme_cell(folder)} |"
        ), folder


@pytest.mark.slow
def test_a_merged_line_of_the_page_replays_every_cell_it_names(tmp_path):
    """The page merges the cells of a folder into grid lines; one of them, run as written, gives the
    committed histories of its LLAMBO and baseline cells."""
    sys.path.insert(0, str(REPO / "scripts"))
    from replay_commands import folder_commands

    line = next(c for c in folder_commands(REPO / "results/recorded/grid") if "--seeds 3" in c)
    argv = shlex.split(line)[1:] + ["--out", str(tmp_path), "--no-memo"]
    result = cli(*argv, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    made = sorted(tmp_path.glob("*/*/*/3.csv"))
    assert len(made) == 4
    for path in made:
        assert path.read_bytes() == (REPO / "results/recorded/grid" / path.relative_to(tmp_path)).read_bytes(), path
