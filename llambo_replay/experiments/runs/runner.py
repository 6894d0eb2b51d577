"""One LLAMBO run on one Bayesmark task: build the engine on the replay layer, run, write outputs.

Outputs under ``<out>/<dataset>/<model>/``: ``<seed>.csv`` (the history: hyperparameters,
score, generalization_score), ``<seed>.manifest.json`` (settings, versions, cassette keys of the
LLM calls and evaluations used, LLM usage, the history's sha256; byte-identical across replays) and
``<seed>.trials.csv`` (per-trial requests, tokens, cost and wall time; wall time varies).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llambo_replay import __version__
from llambo_replay.bayesmark.evaluations import RecordedObjective
from llambo_replay.bayesmark.memo import ObjectiveMemo
from llambo_replay.bayesmark.numerics import environment
from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.errors import BudgetReached, UsageError
from llambo_replay.experiments.results.kinds import run_kind
from llambo_replay.experiments.results.manifests import store_field, write_manifest
from llambo_replay.experiments.runs.reproduction import REPRODUCTION
from llambo_replay.experiments.runs.run_spec import RunSpec, sha256_text, warmstart_namespace
from llambo_replay.llambo import Engine, RunResult, TrialRecord, optimise
from llambo_replay.llambo.estimate import Estimate, estimate_run
from llambo_replay.replay import CassetteStore, RateLimit, RecordMode, make_transport, open_async_client
from llambo_replay.replay.http.session import resolve_base_url
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S
from llambo_replay.replay.modes import policy
from llambo_replay.replay.pricing import is_priced
from llambo_replay.replay.storage import journal as recordings
from llambo_replay.replay.storage.store import atomic_write_text
from llambo_replay.replay.storage.verify import used_answers_sha256

MANIFEST_FORMAT = 2  # 2: evaluations recorded in the cassettes, reproduction class, numerical environment


def history_csv(history: pd.DataFrame) -> str:
    return history.to_csv(index=False, lineterminator="\n")


@dataclass(frozen=True)
class Budget:
    """What one recording may spend; checked after every trial, so it stops at a trial boundary (the
    trial that crosses the line finishes). A rerun replays what was recorded for free and goes on."""

    max_requests: int | None = None
    max_cost_usd: float | None = None

    def check(self, requests: int, cost_usd: float, trial: int) -> None:
        over = (self.max_requests is not None and requests >= self.max_requests) or (
            self.max_cost_usd is not None and cost_usd >= self.max_cost_usd
        )
        if over:
            raise BudgetReached(
                f"budget reached after trial {trial} ({requests} request(s) sent, ${cost_usd:.4f}); "
                "everything so far is recorded: run the same command again (with a larger budget) "
                f"to continue from trial {trial + 1}"
            )


@dataclass
class RunOutcome:
    result: RunResult
    manifest: dict[str, Any]
    paths: dict[str, Path]
    objective: RecordedObjective
    memo_hits: int
    live_calls: int
    rate_limited_s: float = 0.0  # of the wall time, spent waiting for --requests/--tokens-per-minute


def run(
    spec: RunSpec,
    mode: RecordMode,
    out: Path,
    cassettes: Path,
    base_url: str | None = None,
    memo: ObjectiveMemo | None = None,
    concurrency: int = 4,
    progress: bool = True,
    objective_mode: str = "recorded",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    request_order: str = "prefix",
    budget: Budget | None = None,
    rate_limit: RateLimit | None = None,
) -> RunOutcome:
    task = load_task(spec.dataset, spec.model)
    rng = np.random.default_rng(spec.seed)  # the run's only source of randomness
    initial = spec.initial(task.space)
    base_url = resolve_base_url(base_url)  # refused before any folder is made
    paths = spec.outputs(out)
    store = CassetteStore(cassettes)
    objective = RecordedObjective(task, store, mode, objective_mode, memo, protocol=spec.objective_protocol)
    transport = make_transport(store, spec.namespace, mode, base_url, timeout_s=timeout_s, rate_limit=rate_limit)
    check_writable(paths["history"].parent)  # after the store and the endpoint: a failure leaves no empty folder
    engine = Engine(
        open_async_client(transport),
        spec.llm_model,
        max_concurrency=concurrency,
        order=request_order,
        completions_model=spec.generative_model,
    )
    transports, warmstart_engine = [transport], None
    if spec.settings.warmstart_context and initial is None:
        # One warm-starting request per task, shared by every seed (seed k takes its k-th kept answer),
        # as the official code asks it and as the `warmstart` command records it: the same namespace.
        s = spec.settings
        transports.append(
            make_transport(
                store,
                warmstart_namespace(spec.llm_model, s.protocol, spec.dataset, spec.model, s.warmstart_context),
                mode,
                base_url,
                timeout_s=timeout_s,
                rate_limit=rate_limit,
            )
        )
        warmstart_engine = Engine(
            open_async_client(transports[-1]), spec.llm_model, max_concurrency=1, usage=engine.usage
        )
    journal = open_journal(store, mode, paths["manifest"], [t.namespace for t in transports] + [objective.namespace])
    bar = TrialProgress(spec, progress)
    for counted in (engine, warmstart_engine):  # they share one usage count
        if counted is not None:
            counted.on_response = bar.answered
    waited_before = rate_limit.waited_s if rate_limit else 0.0  # shared by the process's runs and cells
    if rate_limit is not None:
        rate_limit.on_wait = bar.waiting
    try:

        def on_trial(record: TrialRecord, history: pd.DataFrame) -> None:
            bar.trial_done(history, task.lower_is_better)
            if budget and record.trial + 1 < spec.settings.n_trials:
                budget.check(
                    sum(t.live_calls for t in transports), sum(t.live_cost_usd for t in transports), record.trial
                )

        result = optimise(
            task.context,
            task.space,
            objective,
            engine,
            rng,
            spec.settings,
            initial,
            on_trial=on_trial,
            warmstart_index=spec.seed,
            warmstart_engine=warmstart_engine,
        )
    finally:
        bar.close()
        engine.close()
        if warmstart_engine:
            warmstart_engine.close()

    text = history_csv(result.history)
    manifest = {
        **manifest_head("llambo", spec, task, text, objective),
        "mode": mode.value,
        "settings": spec.settings.as_dict(),
        "engine": {
            "llm_model": spec.llm_model,
            "protocol": spec.settings.protocol,
            **({"generative_model": spec.generative_model} if spec.generative_model else {}),
            "endpoint_host": transport.endpoint_host if policy(mode).calls_endpoint else None,
        },
        "cassettes": {**{t.namespace: t.used_keys() for t in transports}, **evaluation_keys(objective)},
        **store_field(cassettes),
        # summed in completion order, so rounded: the manifest must not depend on that order
        "llm": {**asdict(engine.usage), "cost_usd": round(engine.usage.cost_usd, 9)},
        "fallback_points": result.fallback_points,
        "versions": {**versions(), "python": ".".join(map(str, sys.version_info[:3]))},
    }
    write_run(paths, text, manifest, store, journal)
    atomic_write_text(
        paths["trials"], pd.DataFrame([asdict(t) for t in result.trials]).to_csv(index=False, lineterminator="\n")
    )
    live_calls = sum(t.live_calls for t in transports)
    waited = (rate_limit.waited_s if rate_limit else 0.0) - waited_before
    return RunOutcome(result, manifest, paths, objective, memo.hits if memo else 0, live_calls, waited)


def estimate(spec: RunSpec) -> Estimate:
    """What recording `spec` would ask (see `llambo.estimate`); nothing is called, no model trained.
    Endpoints of priced (cloud) models honour `n`; others (local servers) are assumed to ignore it."""
    task = load_task(spec.dataset, spec.model)
    return estimate_run(
        task.context, task.space, spec.settings, honours_n(spec.llm_model), np.random.default_rng(spec.seed)
    )


def honours_n(llm_model: str) -> bool:
    return is_priced(llm_model)


def manifest_head(
    method: str,
    spec: RunSpec,
    task: Any,
    history_text: str,
    objective: RecordedObjective,
    initial_points_source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What every run manifest (LLAMBO or baseline) says about its kind, the task, seed, start, evaluations
    and history."""
    return {
        "format": MANIFEST_FORMAT,
        "kind": run_kind(method, initial_points_source),
        "method": method,
        "reproduction": REPRODUCTION[method],
        "seed": spec.seed,
        "task": {
            "dataset": spec.dataset,
            "model": spec.model,
            "metric": task.metric,
            "lower_is_better": task.lower_is_better,
            "objective_protocol": spec.objective_protocol,
        },
        "initial_points": spec.start,
        **({"initial_points_reader": spec.reference_reader} if spec.reference else {}),
        **({"given_initial_points": json.loads(spec.given_points)} if spec.given_points else {}),
        "evaluations": objective.manifest(),
        "history_sha256": sha256_text(history_text),
        **({"initial_points_source": initial_points_source} if initial_points_source else {}),
    }


def evaluation_keys(objective: RecordedObjective) -> dict[str, dict[str, int]]:
    keys = objective.used_keys()
    return {objective.namespace: keys} if keys else {}


def versions() -> dict[str, str]:
    return {"llambo-replay": __version__, **environment()["versions"], "pandas": pd.__version__}


def write_run(
    paths: dict[str, Path], history_text: str, manifest: dict[str, Any], store: CassetteStore, journal: Path | None
) -> None:
    """The history, then the manifest, naming the command line that replays it (`commands.replay_command`) and
    binding the stored answers it used; then the recording is complete, and its journal goes."""
    manifest["answers_sha256"] = used_answers_sha256(store, manifest["cassettes"])
    atomic_write_text(paths["history"], history_text)
    write_manifest(paths["manifest"], manifest)
    recordings.end(journal)


def open_journal(store: CassetteStore, mode: RecordMode, manifest: Path, namespaces: list[str]) -> Path | None:
    """When `mode` stores answers: the run's journal, so that `cassettes prune` keeps what it records until
    `write_run` has written the manifest that references it (a run stopped before keeps it)."""
    if not policy(mode).writes_store:
        return None
    return recordings.begin(store.root, str(manifest.resolve()), namespaces)


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)  # unique: parallel cells share folders
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {folder} ({exc.strerror})") from None


ANSWERS_PER_REFRESH = 50


class TrialProgress:
    """A run's progress bar (lines in a log): trials done, the best score so far, and the LLM answers of the
    whole run so far, counted as they arrive, so a trial of hundreds of requests is seen moving."""

    def __init__(self, spec: RunSpec, enabled: bool) -> None:
        from llambo_replay.progress import progress_bar

        self.bar = progress_bar(
            total=spec.settings.n_trials + 1,
            desc=f"{spec.dataset}/{spec.model} seed {spec.seed}",
            unit="trial",
            enabled=enabled,
        )
        self.best: str | None = None
        self.requests = 0
        self._shown = 0.0

    def answered(self, usage: Any) -> None:
        """After each LLM answer: the count, shown every `ANSWERS_PER_REFRESH` answers (so a fast replay moves
        too) and otherwise at most twice a second."""
        self.requests = usage.requests
        due = self.requests % ANSWERS_PER_REFRESH == 0 or time.monotonic() - self._shown >= 0.5
        if not self.bar.disable and due:
            self._shown = time.monotonic()
            self._show(refresh=True)

    def trial_done(self, history: pd.DataFrame, lower_is_better: bool) -> None:
        best = history["score"].min() if lower_is_better else history["score"].max()
        self.best = f"{best:.4f}"
        self._show(refresh=False)
        self.bar.update(1)

    def waiting(self, seconds: float) -> None:
        """The rate limit holds the next request this long: said at once, in place of the counts."""
        if not self.bar.disable:
            self.bar.set_postfix_str(f"waiting {seconds:.0f} s for the rate limit, requests={self.requests}")

    def _show(self, refresh: bool) -> None:
        self.bar.set_postfix({"best": self.best or "-", "requests": self.requests}, refresh=refresh)

    def close(self) -> None:
        self.bar.close()


def summary_lines(outcome: RunOutcome, spec: RunSpec, mode: RecordMode) -> list[str]:
    history, m = outcome.result.history, outcome.manifest
    task = m["task"]
    best = history["score"].min() if task["lower_is_better"] else history["score"].max()
    direction = "lower" if task["lower_is_better"] else "higher"
    row = history.loc[history["score"] == best].iloc[0]
    wall = sum(t.wall_s for t in outcome.result.trials)
    llm = m["llm"]
    return [
        f"run {spec.dataset}/{spec.model} seed {spec.seed} ({mode.value}, {spec.llm_model}, "
        f"{spec.settings.surrogate} surrogate, {spec.settings.protocol} protocol)",
        f"  evaluations    {len(history)} ({spec.settings.n_initial} initial + {spec.settings.n_trials} trials)",
        f"  best score     {best:.6f} ({task['metric']}, {direction} is better); "
        f"its generalization_score {row.get('generalization_score', float('nan')):.6f}",
        f"  LLM requests   {llm['requests']} ({outcome.live_calls} sent to the endpoint), "
        f"{llm['prompt_tokens']} prompt + {llm['completion_tokens']} completion tokens, ${llm['cost_usd']:.4f}",
        f"  fallbacks      {m['fallback_points']} random candidate point(s), {llm['short_answers']} missing sample(s)",
        f"  objective      {outcome.objective.replayed} evaluation(s) from the recording, "
        f"{outcome.objective.computed} computed here ({outcome.memo_hits} from the memo)",
        f"  wall time      {wall:.1f} s"
        + (f" ({outcome.rate_limited_s:.1f} s of it waiting for the rate limit)" if outcome.rate_limited_s else ""),
        f"  history        {outcome.paths['history']} (sha256 {m['history_sha256'][:16]}...)",
        f"  manifest       {outcome.paths['manifest']}",
    ]
