"""Drive the component evaluations over datasets and seeds through the replay layer; write CSV,
Markdown and a manifest (cassette keys used, scale, sha256 of every output)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from llambo_replay.bench import components, reference
from llambo_replay.bench.memo import ObjectiveMemo
from llambo_replay.bench.objective import task_objective
from llambo_replay.bench.runner import sha256_text
from llambo_replay.bench.tasks import load_task
from llambo_replay.errors import UsageError
from llambo_replay.llambo import Engine
from llambo_replay.llambo.protocol import get_protocol
from llambo_replay.llambo.sampler import SamplerSettings
from llambo_replay.llambo.surrogate import SurrogateSettings
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.store import atomic_write_text

FLOAT = "%.8g"  # significant digits: generalised variances are ~1e-10


@dataclass(frozen=True)
class ComponentSpec:
    datasets: tuple[str, ...] = ("breast", "wine", "digits", "diabetes")
    model: str = "RandomForest"
    seeds: tuple[int, ...] = (0,)
    n_observed: tuple[int, ...] = (5, 10, 20, 30)
    n_test: int = 10
    llm_model: str = "smollm2-135m-instruct"
    protocol: str = "json"
    n_gens: int = 5
    n_candidates: int = 10

    def namespace(self, dataset: str, seed: int) -> str:
        slug = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in self.llm_model)
        return f"{slug}/components-{self.protocol}/{dataset}/{self.model}/seed{seed}"


def _summary(frame: pd.DataFrame, method: str, caption: str) -> str:
    numeric = [c for c in frame.columns if c not in ("dataset", "seed", "n_observed", method)]
    table = frame.groupby(["n_observed", method])[numeric].mean().reset_index()
    header = ["n_observed", method, *numeric]
    lines = [caption, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        cells = [str(int(row["n_observed"])), row[method], *(f"{row[c]:.4g}" for c in numeric)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_components(spec: ComponentSpec, mode: RecordMode, out: Path, cassettes: Path, base_url: str | None,
                   reference_root: Path, memo: ObjectiveMemo | None) -> dict:
    perf = reference.global_perf(reference_root)
    missing = [d for d in spec.datasets if d not in perf]
    if missing:
        raise UsageError(f"global_perf.json has no entry for {', '.join(missing)}; the paper's sets are "
                         "breast, wine, digits, diabetes")
    protocol = get_protocol(spec.protocol)
    store = CassetteStore(cassettes)
    surrogate_rows, sampler_rows, keys = [], [], {}
    cells = [(dataset, seed) for dataset in spec.datasets for seed in spec.seeds]
    for dataset, seed in tqdm(cells, desc="components", unit="set", disable=None):
        task = load_task(dataset, spec.model)
        objective = task_objective(task, memo)
        rng = np.random.default_rng(seed)
        sets = components.ObservedSets.draw(task.space, objective, max(spec.n_observed), spec.n_test, rng)
        transport = make_transport(store, spec.namespace(dataset, seed), mode, base_url)
        engine = Engine(open_async_client(transport), spec.llm_model, max_concurrency=1)
        try:
            for row in components.evaluate_surrogates(task.space, task.context, sets, list(spec.n_observed),
                                                      spec.n_test, engine, protocol,
                                                      SurrogateSettings(n_gens=spec.n_gens), seed):
                surrogate_rows.append({"dataset": dataset, "seed": seed, **row})
            for row in components.evaluate_samplers(task.space, task.context, sets, list(spec.n_observed),
                                                    objective, engine, protocol,
                                                    SamplerSettings(n_candidates=spec.n_candidates),
                                                    perf[dataset], rng, seed):
                sampler_rows.append({"dataset": dataset, "seed": seed, **row})
        finally:
            engine.close()
        keys[transport.namespace] = transport.used_keys()
    scale = (f"{spec.model} on {', '.join(spec.datasets)}; seeds {', '.join(map(str, spec.seeds))}; "
             f"{spec.n_test} held-out points, {spec.n_gens} LLM samples per template, "
             f"{spec.n_candidates} candidates per sampler, {spec.llm_model} "
             f"({spec.protocol} protocol)")
    surrogate, sampler = pd.DataFrame(surrogate_rows), pd.DataFrame(sampler_rows)
    files = {
        "surrogate.csv": surrogate.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
        "sampler.csv": sampler.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
        "surrogate.md": _summary(surrogate, "surrogate", f"Surrogate models, mean over datasets and seeds; {scale}."),
        "sampler.md": _summary(sampler, "sampler", f"Candidate samplers, mean over datasets and seeds; {scale}."),
    }
    for name, text in files.items():
        atomic_write_text(out / name, text)
    manifest = {"spec": {k: list(v) if isinstance(v, tuple) else v for k, v in spec.__dict__.items()},
                "mode": mode.value, "cassettes": keys,
                "outputs": {name: sha256_text(text) for name, text in sorted(files.items())}}
    atomic_write_text(out / "components.manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest
