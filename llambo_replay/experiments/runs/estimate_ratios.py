"""How far `--dry-run`'s estimate is from what recordings really asked, measured per model.

The estimate assumes every answer is usable; a small model that fails the answer format makes the
sampler ask again (more requests) or leaves fewer candidates to score (fewer). So each committed
LLAMBO run is estimated again from its manifest, and the ratios of what it recorded to that estimate
(requests, prompt tokens), per model and answer protocol, ship with the package
(`estimate_ratios.json`, remade by `python scripts/measure_estimates.py --write` and held to the
committed runs by a test): `--dry-run` turns them into a range."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

RATIOS_FILE = Path(__file__).with_name("estimate_ratios.json")
MEASURES = ("requests", "prompt_tokens")


def label(model: str, protocol: str) -> str:
    return f"{model} ({protocol} protocol)"


def measured_ratios(results: Path) -> dict[str, dict[str, Any]]:
    """Per model and protocol: how many committed LLAMBO runs under `results`, and the least, median and
    greatest ratio of what each recorded to its estimate, for each of `MEASURES`."""
    from llambo_replay.experiments.results.manifests import read_manifest
    from llambo_replay.experiments.runs.run_spec import spec_from_manifest
    from llambo_replay.experiments.runs.runner import estimate

    ratios: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(Path(results).rglob("*.manifest.json")):
        manifest = read_manifest(path)
        if manifest.get("method") != "llambo":
            continue
        guess = estimate(spec_from_manifest(path, None))
        group = ratios[label(manifest["engine"]["llm_model"], manifest["settings"]["protocol"])]
        for measure in MEASURES:
            group[measure].append(manifest["llm"][measure] / getattr(guess, measure))
    return {
        name: {
            "runs": len(group[MEASURES[0]]),
            **{
                measure: [round(min(v), 3), round(statistics.median(v), 3), round(max(v), 3)]
                for measure, v in group.items()
            },
        }
        for name, group in sorted(ratios.items())
    }


def shipped_ratios() -> dict[str, dict[str, Any]]:
    return json.loads(RATIOS_FILE.read_text())


def ratios_text(ratios: dict[str, dict[str, Any]]) -> str:
    return json.dumps(ratios, indent=1, sort_keys=True) + "\n"
