"""The paper's component evaluations as its run scripts call them: for each data set, the official surrogate
evaluation (`run_evaluate_dis_sm.sh`) and the official sampler evaluation (`run_evaluate_sampling.sh`), each
a result of its own, named by its own replay command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.experiments.evaluations.sampler_eval_run import SamplerEvalSpec, global_scores, run_sampler_eval
from llambo_replay.experiments.evaluations.surrogate_eval import pool_estimator
from llambo_replay.experiments.evaluations.surrogate_eval_run import SurrogateEvalSpec, run_surrogate_eval
from llambo_replay.replay import RecordMode
from llambo_replay.replay.http.transport import DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class OfficialComponents:
    datasets: tuple[str, ...]
    model: str
    n_observed: tuple[int, ...]
    seeds: tuple[int, ...]
    llm_model: str
    protocol: str
    n_gens: int
    sampler_policy: str

    def evaluations(self) -> list[tuple[str, SurrogateEvalSpec | SamplerEvalSpec]]:
        """(output sub-folder, spec) per data set and evaluation, in the run scripts' order."""
        found: list[tuple[str, SurrogateEvalSpec | SamplerEvalSpec]] = []
        for dataset in self.datasets:
            common = (dataset, self.model, self.n_observed, self.seeds, self.llm_model, self.protocol)
            found.append((f"surrogate-eval/{dataset}-{self.model}", SurrogateEvalSpec(*common, n_gens=self.n_gens)))
            found.append(
                (f"sampler-eval/{dataset}-{self.model}", SamplerEvalSpec(*common, sampler_policy=self.sampler_policy))
            )
        return found


def run_official_components(
    spec: OfficialComponents,
    mode: RecordMode,
    out: Path,
    cassettes: Path,
    base_url: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[tuple[Path, dict[str, Any]]]:
    """Each evaluation into `out/<evaluation>/<dataset>-<model>/`; their folders and manifests. What the
    official code cannot evaluate is refused before any work."""
    for dataset in spec.datasets:
        task = load_task(dataset, spec.model)
        pool_estimator(task, {})
        global_scores(task)
    done = []
    for folder, evaluation in spec.evaluations():
        run = run_surrogate_eval if isinstance(evaluation, SurrogateEvalSpec) else run_sampler_eval
        done.append((out / folder, run(evaluation, mode, out / folder, cassettes, base_url, timeout_s)))  # type: ignore[arg-type]
    return done
