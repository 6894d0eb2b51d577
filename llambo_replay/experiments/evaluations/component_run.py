"""Drive the component evaluations over datasets and seeds through the replay layer; write CSV,
Markdown and a manifest (cassette keys used, scale, environment, sha256 of every output).

The LLM answers, the evaluations and TPE's proposals are replayed; the metrics themselves (GP and
random-forest fits, KDE, determinants) are recomputed from them, so the outputs are byte-identical
in the numerical environment they were made in and within `exactness.METRIC_RTOL` elsewhere.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from llambo_replay import namespaces
from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.evaluations import RecordedObjective
from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.bayesmark.numerics import environment, pinned_threads
from llambo_replay.bayesmark.objective_protocols import OBJECTIVE_PROTOCOLS, PROTOCOL_VERSION
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.errors import UsageError
from llambo_replay.experiments.evaluations import components
from llambo_replay.experiments.results.kinds import KINDS
from llambo_replay.experiments.results.manifests import write_manifest
from llambo_replay.experiments.runs.run_spec import model_slug, sha256_text
from llambo_replay.llambo import Engine
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.estimate import Estimate, ask_discriminative, ask_sampler, synthetic_history
from llambo_replay.llambo.prompts import PromptSettings
from llambo_replay.llambo.sampler import SamplerSettings
from llambo_replay.llambo.space import SearchSpace
from llambo_replay.llambo.surrogate import SurrogateSettings
from llambo_replay.progress import progress_bar
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client
from llambo_replay.replay.calls import RecordedCalls
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S
from llambo_replay.replay.storage.store import atomic_write_text

FLOAT = "%.4g"  # recomputed metrics: four significant digits is what another BLAS kernel leaves alone


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
    n_templates: int = 2
    alpha: float = 0.1
    sampler_policy: str = "robust"
    objective_protocol: str = PROTOCOL_VERSION  # whose recorded evaluations it uses

    @property
    def surrogate(self) -> SurrogateSettings:
        return SurrogateSettings(n_templates=self.n_templates, n_gens=self.n_gens)

    @property
    def sampler(self) -> SamplerSettings:
        return SamplerSettings(
            n_candidates=self.n_candidates, n_templates=self.n_templates, alpha=self.alpha, policy=self.sampler_policy
        )

    def namespace(self, dataset: str, seed: int) -> str:
        return namespaces.components(model_slug(self.llm_model), self.protocol, dataset, self.model, seed)

    def tpe_namespace(self, dataset: str, seed: int) -> str:
        return namespaces.proposals("components-tpe", dataset, self.model, seed)


TPE_FUNCTION = "components/tpe-proposals/1"


def recorded_tpe(space: SearchSpace, calls: RecordedCalls) -> components.ProposeTPE:
    """Optuna's TPE proposals through the store: computed once, then read on every replay."""
    import optuna

    def propose(observed: pd.DataFrame, scores: np.ndarray, n: int, lower_is_better: bool, seed: int) -> pd.DataFrame:
        arguments = {
            "space": space.names,
            "observed": observed.to_dict("records"),
            "scores": [float(s) for s in scores],
            "n": n,
            "lower_is_better": lower_is_better,
            "seed": seed,
            "optuna": optuna.__version__,
        }

        def compute() -> tuple[list[dict], dict]:
            proposals = components.tpe_proposals(space, observed, scores, n, lower_is_better, seed)
            return proposals.to_dict("records"), {"computed_on": environment()}

        return pd.DataFrame(calls.call(TPE_FUNCTION, arguments, compute).result, columns=space.names)

    return propose


def _summary(frame: pd.DataFrame, method: str, caption: str) -> str:
    numeric = [c for c in frame.columns if c not in ("dataset", "seed", "n_observed", method)]
    # A mean over datasets is shown only where the metric is defined for every one of them.
    table = frame.groupby(["n_observed", method])[numeric].agg(lambda column: column.mean(skipna=False)).reset_index()
    header = ["n_observed", method, *numeric]
    lines = [
        caption + " –: undefined for at least one dataset (a rank-deficient covariance, or a KDE over fewer "
        "observed points than dimensions + 1).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for _, row in table.iterrows():
        cells = [
            str(int(row["n_observed"])),
            row[method],
            *("–" if pd.isna(row[c]) else f"{row[c]:.4g}" for c in numeric),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# What component manifests written before these settings existed were made with.
SPEC_BEFORE_SETTINGS = {
    "n_templates": 2,
    "alpha": 0.1,
    "sampler_policy": "robust",
    "objective_protocol": OBJECTIVE_PROTOCOLS[0],
}


def spec_from_manifest(manifest: dict) -> ComponentSpec:
    try:
        fields = {**SPEC_BEFORE_SETTINGS, **manifest["spec"]}
        return ComponentSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    except (KeyError, TypeError) as exc:
        raise UsageError(f"not a components manifest ({exc.__class__.__name__}: {exc})") from None


def estimate_components(spec: ComponentSpec, honours_n: bool) -> Estimate:
    """What recording `spec` would ask: per dataset, seed and observed-set size, the sampler's rounds and the
    discriminative surrogate on the held-out points (nothing is evaluated: scores are synthetic)."""
    protocol, prompts = get_answer_format(spec.protocol), PromptSettings()
    sampler, surrogate = spec.sampler, spec.surrogate
    total = Estimate()
    for dataset in spec.datasets:
        task = load_task(dataset, spec.model)
        for seed in spec.seeds:
            configs, scores = synthetic_history(
                task.context, task.space, max(spec.n_observed) + spec.n_test, np.random.default_rng(seed)
            )
            held_out = configs.iloc[-spec.n_test :].reset_index(drop=True)
            for n in spec.n_observed:
                observed, seen = configs.iloc[:n].reset_index(drop=True), scores[:n]
                total = (
                    total
                    + ask_discriminative(
                        task.context, task.space, observed, seen, held_out, surrogate, prompts, protocol, honours_n
                    )
                    + ask_sampler(task.context, task.space, observed, seen, sampler, prompts, protocol, honours_n)
                )
    return total


def run_components(
    spec: ComponentSpec,
    mode: RecordMode,
    out: Path,
    cassettes: Path,
    base_url: str | None,
    reference_root: Path,
    memo: ObjectiveMemo | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict:
    perf = reference.global_perf(reference_root)
    missing = [d for d in spec.datasets if d not in perf]
    if missing:
        raise UsageError(
            f"global_perf.json has no entry for {', '.join(missing)}; the paper's sets are "
            "breast, wine, digits, diabetes"
        )
    protocol = get_answer_format(spec.protocol)
    store = CassetteStore(cassettes)
    surrogate_rows, sampler_rows, keys = [], [], {}
    computed_on: dict[str, object] = {}
    llm_requests = 0
    cells = [(dataset, seed) for dataset in spec.datasets for seed in spec.seeds]
    for dataset, seed in progress_bar(cells, desc="components", unit="set"):
        task = load_task(dataset, spec.model)
        objective = RecordedObjective(task, store, mode, memo=memo, protocol=spec.objective_protocol)
        tpe_calls = RecordedCalls(store, spec.tpe_namespace(dataset, seed), mode)
        rng = np.random.default_rng(seed)
        sets = components.ObservedSets.draw(task.space, objective, max(spec.n_observed), spec.n_test, rng)
        transport = make_transport(store, spec.namespace(dataset, seed), mode, base_url, timeout_s=timeout_s)
        engine = Engine(open_async_client(transport), spec.llm_model, max_concurrency=1)
        try:
            with pinned_threads():
                for row in components.evaluate_surrogates(
                    task.space,
                    task.context,
                    sets,
                    list(spec.n_observed),
                    spec.n_test,
                    engine,
                    protocol,
                    spec.surrogate,
                    seed,
                ):
                    surrogate_rows.append({"dataset": dataset, "seed": seed, **row})
                for row in components.evaluate_samplers(
                    task.space,
                    task.context,
                    sets,
                    list(spec.n_observed),
                    objective,
                    engine,
                    protocol,
                    spec.sampler,
                    perf[dataset],
                    rng,
                    seed,
                    recorded_tpe(task.space, tpe_calls),
                ):
                    sampler_rows.append({"dataset": dataset, "seed": seed, **row})
        finally:
            engine.close()
        keys[transport.namespace] = transport.used_keys()
        llm_requests += sum(keys[transport.namespace].values())
        used = Counter(keys.get(objective.namespace, {})) + Counter(objective.used_keys())
        keys[objective.namespace] = dict(sorted(used.items()))
        keys[tpe_calls.namespace] = tpe_calls.used_keys()
        for env in objective.manifest()["computed_on"]:
            computed_on[json.dumps(env, sort_keys=True)] = env
    scale = (
        f"{spec.model} on {', '.join(spec.datasets)}; seeds {', '.join(map(str, spec.seeds))}; "
        f"{spec.n_test} held-out points, {spec.n_templates} templates, {spec.n_gens} LLM samples per "
        f"template, {spec.n_candidates} candidates per sampler (alpha {spec.alpha:g}, {spec.sampler_policy} "
        f"sampler policy), {spec.llm_model} ({spec.protocol} protocol)"
    )
    surrogate, sampler = pd.DataFrame(surrogate_rows), pd.DataFrame(sampler_rows)
    files = {
        "surrogate.csv": surrogate.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
        "sampler.csv": sampler.to_csv(index=False, float_format=FLOAT, lineterminator="\n"),
        "surrogate.md": _summary(surrogate, "surrogate", f"Surrogate models, mean over datasets and seeds; {scale}."),
        "sampler.md": _summary(sampler, "sampler", f"Candidate samplers, mean over datasets and seeds; {scale}."),
    }
    for name, text in files.items():
        atomic_write_text(out / name, text)
    manifest = {
        "format": 2,
        "kind": "components",
        "spec": {k: list(v) if isinstance(v, tuple) else v for k, v in spec.__dict__.items()},
        "mode": mode.value,
        "cassettes": keys,
        "llm_requests": llm_requests,
        "reproduction": "recomputed",
        "recomputed_on": environment(),
        "evaluations_computed_on": [env for _, env in sorted(computed_on.items())],
        "outputs": {name: sha256_text(text) for name, text in sorted(files.items())},
    }
    return write_manifest(out / KINDS["components"].manifest_file, manifest)
