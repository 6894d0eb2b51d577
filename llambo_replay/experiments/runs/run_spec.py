"""What one run is: its task, seed, model, settings and initial points (`RunSpec`), where its cassette
entries live, and the spec read back from a manifest. No I/O but reading a manifest; the runner and
the baselines run it, the replay commands and `check` rebuild it."""

from __future__ import annotations

import hashlib
import json
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llambo_replay import namespaces
from llambo_replay.bayesmark import reference
from llambo_replay.bayesmark.evaluations import check_protocol
from llambo_replay.bayesmark.objective_protocols import PROTOCOL_VERSION, manifest_protocol
from llambo_replay.errors import UsageError
from llambo_replay.llambo import LlamboSettings, SearchSpace
from llambo_replay.replay.canonical import canonical_json, normalise_numbers
from llambo_replay.replay.secrets import refuse_credential


@dataclass(frozen=True)
class RunSpec:
    dataset: str = "iris"
    model: str = "SVM"
    seed: int = 0
    llm_model: str = "smollm2-135m-instruct"
    settings: LlamboSettings = field(default_factory=LlamboSettings)
    reference: str | None = None  # use the paper's shared initial points
    given_points: str | None = None  # or these (canonical JSON of a list of configurations)
    generative_model: str | None = None  # the generative surrogate's completions model (default: llm_model)
    reference_reader: str = "pandas"  # how the paper's initial points are read (reference.INITIAL_POINT_READERS)
    objective_protocol: str = PROTOCOL_VERSION  # whose recorded evaluations it replays (objective.PROTOCOL_VERSION)

    def __post_init__(self) -> None:
        if self.generative_model and self.settings.surrogate != "generative":
            raise UsageError("--generative-model names the generative surrogate's model; add --sm generative")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise UsageError(f"seed must be a whole number, 0 or more (got {self.seed!r})")
        if self.reference and self.given_points:
            raise UsageError("give either --reference or --initial-points, not both")
        for name in (self.llm_model, self.generative_model or self.llm_model):
            model_slug(name)

    def initial(self, space: SearchSpace) -> list[dict[str, float]] | None:
        """The initial configurations the run starts from; None when the seeded generator draws them."""
        n = self.settings.n_initial
        if self.reference:
            return reference.initial_points(self.reference, self.model, self.seed, n, self.reference_reader)
        if self.given_points:
            given = json.loads(self.given_points)
            for point in given:
                if set(point) != set(space.names):
                    raise UsageError(f"an initial point has {sorted(point)}; {self.model} needs {sorted(space.names)}")
            points = [space.typed(p) for p in given]
            if len(points) < n:
                raise UsageError(f"--initial-points holds {len(points)} configurations; --init asks for {n}")
            return points[:n]
        return None

    @property
    def start(self) -> str:
        """How the manifest names the initial points: 'reference', 'given' or 'seeded-generator'."""
        return "reference" if self.reference else "given" if self.given_points else "seeded-generator"

    @property
    def namespace(self) -> str:
        """Where this run's cassette entries live. The number of trials is not part of it,
        so a longer run extends a shorter one; runs from the paper's initial points get their own."""
        slug = model_slug(self.llm_model)
        s = self.settings
        start = {
            "reference": "-paper-init",
            "seeded-generator": "",
            "given": f"-init-{sha256_text(self.given_points or '')[:8]}",
        }[self.start]
        return namespaces.llambo_run(slug, s.surrogate, s.protocol, self.dataset, self.model, self.seed, start)

    def outputs(self, out: Path) -> dict[str, Path]:
        folder = out / self.dataset / self.model
        return {
            "history": folder / f"{self.seed}.csv",
            "manifest": folder / f"{self.seed}.manifest.json",
            "trials": folder / f"{self.seed}.trials.csv",
        }


def warmstart_namespace(llm_model: str, protocol: str, dataset: str, model: str, context: str) -> str:
    """Where one task's warm-starting answers at one context level live (one entry, every seed)."""
    return namespaces.warmstart(model_slug(llm_model), protocol, dataset, model, context)


MAX_MODEL_NAME = 100  # a folder-name component; file systems refuse more than 255 bytes


def model_slug(llm_model: str) -> str:
    """An LLM's name as the first part of its cassette namespaces; the one check of a model name
    (it is sent in every request, names folders, and is written into manifests)."""
    refuse_credential("the model name", llm_model)
    if not llm_model.strip() or len(llm_model) > MAX_MODEL_NAME:
        raise UsageError(f"a model name must be 1-{MAX_MODEL_NAME} characters (got {len(llm_model)})")
    return re.sub(r"[^A-Za-z0-9._=+-]+", "-", llm_model).strip("-") or "model"


def given_points(points: Any) -> str:
    """Initial configurations given by the user, as the canonical JSON a RunSpec holds."""
    if not isinstance(points, list) or not points or not all(isinstance(p, dict) for p in points):
        raise UsageError("initial points must be a non-empty JSON list of configurations ({name: value} objects)")
    return canonical_json([normalise_numbers(p) for p in points])


def spec_from_manifest(path: Path, reference_root: str | None = None) -> RunSpec:
    """The RunSpec that produced a manifest, so a committed run can be replayed and checked."""
    try:
        m = json.loads(Path(path).read_text())
        start = str(reference.check_reference(reference_root)) if m.get("initial_points") == "reference" else None
        given = given_points(m["given_initial_points"]) if m.get("initial_points") == "given" else None
        reader = m.get("initial_points_reader", "json")  # runs recorded before the reader was an option
        protocol = check_protocol(manifest_protocol(m))
        if m.get("method", "llambo") != "llambo":
            budget = LlamboSettings(n_initial=m["budget"]["n_initial"], n_trials=m["budget"]["n_trials"])
            return RunSpec(
                m["task"]["dataset"],
                m["task"]["model"],
                m["seed"],
                settings=budget,
                reference=start,
                given_points=given,
                reference_reader=reader,
                objective_protocol=protocol,
            )
        return RunSpec(
            m["task"]["dataset"],
            m["task"]["model"],
            m["seed"],
            m["engine"]["llm_model"],
            LlamboSettings.from_dict(m["settings"]),
            start,
            given,
            m["engine"].get("generative_model"),
            reader,
            protocol,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path} is not a run manifest ({exc.__class__.__name__}: {exc})") from None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
