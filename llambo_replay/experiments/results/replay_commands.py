"""Run specs from flags, and back: the command line that replays a result, as its manifest names it.

`run` and `grid` build their specs from their flags through `spec_from_options`. `replay_command`
goes the other way: from a manifest to the fewest flags that, over a preset, give the same manifest
again — checked by building the spec from those flags and comparing what a manifest would say of
it. A result made through the Python API with settings no flag expresses names no command (null);
every result also replays with `llambo-replay check --results <its manifest>`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from llambo_replay.bayesmark.objective_protocols import PROTOCOL_VERSION
from llambo_replay.errors import UsageError
from llambo_replay.experiments.results.kinds import kind_of
from llambo_replay.experiments.results.presets import (
    COMPONENT_DEFAULTS,
    COMPONENT_PRESETS,
    PACKAGED,
    PAPER_GENERATIVE_MODEL,
    PAPER_PRESETS,
    PRESETS,
    RUN_DEFAULTS,
    SAMPLER_EVAL_DEFAULTS,
    SAMPLER_EVAL_PRESETS,
    SURROGATE_EVAL_DEFAULTS,
    SURROGATE_EVAL_PRESETS,
    WARMSTART_PRESETS,
)

PROGRAM = "llambo-replay"
DEFAULT_TASK = ("iris", "SVM")  # `run`'s task when none is given

# Each `run`/`grid` option (argparse `dest`) as a manifest states it, for a LLAMBO run's manifest.
RUN_OPTIONS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "llm_model": lambda m: m["engine"]["llm_model"],
    "init": lambda m: m["settings"]["n_initial"],
    "trials": lambda m: m["settings"]["n_trials"],
    "sm": lambda m: m["settings"]["surrogate"],
    "protocol": lambda m: m["settings"]["protocol"],
    "warmstart": lambda m: m["settings"]["warmstart_context"],
    "warmstart_answers": lambda m: _warmstart(m).get("answers", RUN_DEFAULTS["warmstart_answers"]),
    "warmstart_max_tokens": lambda m: _warmstart(m).get("max_tokens"),
    "warmstart_policy": lambda m: _warmstart(m).get("policy"),
    "warmstart_statistics": lambda m: _warmstart(m).get("statistics", False),
    "context": lambda m: m["settings"]["prompts"]["context"],
    "anonymise": lambda m: not m["settings"]["prompts"]["feature_semantics"],
    "shuffle_features": lambda m: m["settings"]["prompts"].get("shuffle_features", False),
    "warping": lambda m: m["settings"]["prompts"]["warping"],
    "n_candidates": lambda m: m["settings"]["sampler"]["n_candidates"],
    "n_templates": lambda m: m["settings"]["sampler"]["n_templates"],
    "alpha": lambda m: m["settings"]["sampler"]["alpha"],
    "sampler_policy": lambda m: m["settings"]["sampler"].get("policy", "robust"),
    "n_gens": lambda m: m["settings"]["surrogate_settings"]["n_gens"],
    "top_pct": lambda m: m["settings"]["surrogate_settings"]["top_pct"],
    "generative_model": lambda m: m["engine"].get("generative_model"),
}
# What a run of any method (LLAMBO or a baseline) states about where it starts and what it evaluates.
START_OPTIONS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "reference": lambda m: PACKAGED if m.get("initial_points") == "reference" else None,
    "reference_reader": lambda m: (
        m.get("initial_points_reader", "json")
        if m.get("initial_points") == "reference"
        else RUN_DEFAULTS["reference_reader"]
    ),
    "initial_points": lambda m: (
        json.dumps(m["given_initial_points"], separators=(",", ":"), sort_keys=True)
        if m.get("initial_points") == "given"
        else None
    ),
    "objective_protocol": lambda m: m["task"].get("objective_protocol", PROTOCOL_VERSION),
}
BUDGET_OPTIONS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "init": lambda m: m["budget"]["n_initial"],
    "trials": lambda m: m["budget"]["n_trials"],
}
# The options of the warm-starting evaluation's LLM initialisers, as their recorded source states them.
WARMSTART_SOURCE_OPTIONS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "llm_model": lambda s: s["llm_model"],
    "protocol": lambda s: s["protocol"],
    "warmstart_answers": lambda s: s["warmstart_settings"]["answers"],
    "warmstart_max_tokens": lambda s: s["warmstart_settings"]["max_tokens"],
    "warmstart_policy": lambda s: s["warmstart_settings"]["policy"],
    "warmstart_statistics": lambda s: s["warmstart_settings"]["statistics"],
}


def _warmstart(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    return manifest["settings"].get("warmstart_settings", {})


SURROGATE_EVAL_OPTIONS = ("sm", "prompts", "n_observed", "seeds", "n_gens", "llm_model", "protocol")
SAMPLER_EVAL_OPTIONS = ("n_observed", "seeds", "llm_model", "protocol", "sampler_policy")
COMPONENT_OPTIONS = (
    "datasets",
    "model",
    "seeds",
    "n_observed",
    "n_test",
    "n_templates",
    "n_gens",
    "n_candidates",
    "alpha",
    "sampler_policy",
    "llm_model",
    "protocol",
)


def warmstart_settings(options: Mapping[str, Any]) -> Any:
    """The warm-start's settings of `run`, `grid` or `warmstart` options (the preset already filled in)."""
    from llambo_replay.llambo.warmstart import WarmstartSettings

    o = options
    return WarmstartSettings(
        answers=o["warmstart_answers"],
        max_tokens=o["warmstart_max_tokens"],
        policy=o["warmstart_policy"],
        statistics=o["warmstart_statistics"],
    )


def spec_from_options(
    options: Mapping[str, Any],
    dataset: str,
    model: str,
    seed: int,
    reference_root: str | None,
    given_points: str | None,
) -> Any:
    """The RunSpec of `run`/`grid` options (argparse names, the preset already filled in); the one place
    that turns flags into settings. `reference_root` and `given_points` are `--reference` and
    `--initial-points` resolved (a folder checked, a file read)."""
    from llambo_replay.experiments.runs.run_spec import RunSpec
    from llambo_replay.llambo import LlamboSettings, PromptSettings
    from llambo_replay.llambo.sampler import SamplerSettings
    from llambo_replay.llambo.surrogate import SurrogateSettings

    o = options
    settings = LlamboSettings(
        n_initial=o["init"],
        n_trials=o["trials"],
        surrogate=o["sm"],
        protocol=o["protocol"],
        warmstart_context=o["warmstart"],
        warmstart_settings=warmstart_settings(o),
        prompts=PromptSettings(
            context=o["context"],
            feature_semantics=not o["anonymise"],
            warping=o["warping"],
            shuffle_features=o["shuffle_features"],
        ),
        sampler=SamplerSettings(
            n_candidates=o["n_candidates"], n_templates=o["n_templates"], alpha=o["alpha"], policy=o["sampler_policy"]
        ),
        surrogate_settings=SurrogateSettings(n_templates=o["n_templates"], n_gens=o["n_gens"], top_pct=o["top_pct"]),
    )
    generative_model = o["generative_model"]
    if generative_model is None and o["sm"] == "generative" and o.get("preset") in PAPER_PRESETS:
        generative_model = PAPER_GENERATIVE_MODEL  # as the official code asks
    return RunSpec(
        dataset,
        model,
        seed,
        o["llm_model"],
        settings,
        reference_root,
        given_points,
        generative_model,
        o["reference_reader"],
        o["objective_protocol"],
    )


def replay_command(manifest: Mapping[str, Any]) -> str | None:
    """The command line that replays `manifest`'s result into the command's default output folder, or
    None when no command line gives its settings."""
    try:
        argv = kind_of(manifest).function("command")(manifest)
    except (KeyError, TypeError, AttributeError, ValueError, UsageError):  # naming it must never stop a write
        return None
    if argv is None:
        return None
    store = manifest.get("cassette_store")
    return shlex.join([*argv, "--cassettes", store] if isinstance(store, str) else argv)


def _by_fewest_flags(
    presets: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, Any], wanted: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Each preset with the options of `wanted` it does not already give, fewest first (demo on a tie)."""
    found = []
    for preset, values in presets.items():
        base = {**defaults, **values}
        found.append((preset, {k: v for k, v in wanted.items() if v != base.get(k)}))
    return sorted(found, key=lambda item: len(item[1]))  # stable: the table's order breaks ties


def _preset_flag(preset: str) -> list[str]:
    return [] if preset == "demo" else ["--preset", preset]


def run_command(manifest: Mapping[str, Any]) -> list[str] | None:
    task = manifest["task"]
    wanted = {
        **{k: get(manifest) for k, get in RUN_OPTIONS.items()},
        **{k: get(manifest) for k, get in START_OPTIONS.items()},
    }
    if wanted["warmstart"] is None:  # the warm-start's options say nothing then
        wanted = {k: v for k, v in wanted.items() if not k.startswith("warmstart_")}
    if wanted["sm"] != "generative" and wanted["generative_model"] is None:
        del wanted["generative_model"]
    defaults = {**RUN_DEFAULTS, "objective_protocol": PROTOCOL_VERSION}
    for preset, flags in _by_fewest_flags(PRESETS, defaults, wanted):
        if _states_the_same(manifest, {**defaults, **PRESETS[preset], "preset": preset, **flags}):
            head = [PROGRAM, "run"]
            if (task["dataset"], task["model"]) != DEFAULT_TASK:
                head += ["--task", f"{task['dataset']}/{task['model']}"]
            if manifest["seed"]:
                head += ["--seed", str(manifest["seed"])]
            return head + _preset_flag(preset) + _flags(flags)
    return None


def _states_the_same(manifest: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """Whether a run from `options` would state what `manifest` states of its settings and start."""
    task = manifest["task"]
    spec = spec_from_options(
        options,
        task["dataset"],
        task["model"],
        manifest["seed"],
        PACKAGED if options["reference"] else None,
        options["initial_points"],
    )
    made = {
        "settings": spec.settings.as_dict(),
        "llm_model": spec.llm_model,
        "generative_model": spec.generative_model,
        "start": spec.start,
        "reader": spec.reference_reader if spec.reference else None,
        "protocol": spec.objective_protocol,
    }
    stated = {
        "settings": _normalised_settings(manifest["settings"]),
        "llm_model": manifest["engine"]["llm_model"],
        "generative_model": manifest["engine"].get("generative_model"),
        "start": manifest["initial_points"],
        "reader": manifest.get("initial_points_reader", "json") if manifest["initial_points"] == "reference" else None,
        "protocol": manifest["task"].get("objective_protocol", PROTOCOL_VERSION),
    }
    return made == stated


def _normalised_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A manifest's settings as `LlamboSettings.as_dict` writes them today (older runs lack later fields)."""
    from llambo_replay.llambo import LlamboSettings

    return LlamboSettings.from_dict(settings).as_dict()


def grid_command(manifest: Mapping[str, Any]) -> list[str]:
    """A baseline's cell: every option it reads is a flag, so this always exists."""
    task = manifest["task"]
    wanted = {
        **{k: get(manifest) for k, get in BUDGET_OPTIONS.items()},
        **{k: get(manifest) for k, get in START_OPTIONS.items()},
    }
    preset, flags = _by_fewest_flags(PRESETS, {**RUN_DEFAULTS, "objective_protocol": PROTOCOL_VERSION}, wanted)[0]
    return (
        [
            PROGRAM,
            "grid",
            "--methods",
            manifest["method"],
            "--tasks",
            f"{task['dataset']}/{task['model']}",
            "--seeds",
            str(manifest["seed"]),
        ]
        + _preset_flag(preset)
        + _flags(flags)
    )


def warmstart_command(manifest: Mapping[str, Any]) -> list[str] | None:
    from llambo_replay.experiments.results.presets import DESIGNS
    from llambo_replay.llambo.warmstart import WarmstartSettings

    source, task = manifest["initial_points_source"], manifest["task"]
    wanted = {k: get(manifest) for k, get in BUDGET_OPTIONS.items()}
    if source["initialiser"] not in DESIGNS:
        recorded, defaults = source["warmstart_settings"], WarmstartSettings()
        if (recorded["temperature"], recorded["top_p"]) != (defaults.temperature, defaults.top_p):
            return None  # sampling settings no flag sets
        wanted.update({k: get(source) for k, get in WARMSTART_SOURCE_OPTIONS.items()})
    preset, flags = _by_fewest_flags(WARMSTART_PRESETS, RUN_DEFAULTS, wanted)[0]
    return (
        [
            PROGRAM,
            "warmstart",
            "--task",
            f"{task['dataset']}/{task['model']}",
            "--seeds",
            str(manifest["seed"]),
            "--initialisers",
            source["initialiser"],
            "--optimisers",
            manifest["method"],
        ]
        + _preset_flag(preset)
        + _flags(flags)
    )


def components_command(manifest: Mapping[str, Any]) -> list[str] | None:
    spec = manifest["spec"]
    if spec.get("objective_protocol", PROTOCOL_VERSION) != PROTOCOL_VERSION:
        return None  # `components` evaluates under the current protocol only
    wanted = {k: spec[k] for k in COMPONENT_OPTIONS}
    preset, flags = _by_fewest_flags(COMPONENT_PRESETS, COMPONENT_DEFAULTS, wanted)[0]
    return [PROGRAM, "components"] + _preset_flag(preset) + _flags(flags)


def surrogate_eval_command(manifest: Mapping[str, Any]) -> list[str]:
    spec = manifest["spec"]
    task = _task_flag(spec, SURROGATE_EVAL_DEFAULTS)
    wanted = {k: spec.get(k, SURROGATE_EVAL_DEFAULTS.get(k)) for k in SURROGATE_EVAL_OPTIONS}
    if wanted["sm"] != "discriminative":
        del wanted["n_gens"]  # the generative evaluation's samples are the official script's
    preset, flags = _by_fewest_flags(SURROGATE_EVAL_PRESETS, SURROGATE_EVAL_DEFAULTS, wanted)[0]
    return [PROGRAM, "surrogate-eval", *task] + _preset_flag(preset) + _flags(flags)


def _task_flag(spec: Mapping[str, Any], defaults: Mapping[str, Any]) -> list[str]:
    same = (spec["dataset"], spec["model"]) == tuple(defaults["task"])  # type: ignore[arg-type]
    return [] if same else ["--task", f"{spec['dataset']}/{spec['model']}"]


def sampler_eval_command(manifest: Mapping[str, Any]) -> list[str]:
    spec = manifest["spec"]
    wanted = {k: spec[k] for k in SAMPLER_EVAL_OPTIONS}
    preset, flags = _by_fewest_flags(SAMPLER_EVAL_PRESETS, SAMPLER_EVAL_DEFAULTS, wanted)[0]
    return [PROGRAM, "sampler-eval", *_task_flag(spec, SAMPLER_EVAL_DEFAULTS)] + _preset_flag(preset) + _flags(flags)


def _flags(options: Mapping[str, Any]) -> list[str]:
    """`--name value` for each option, in the table's order; lists comma-joined, switches alone."""
    out: list[str] = []
    for dest, value in options.items():
        flag = "--" + dest.replace("_", "-")
        if value is True or value == PACKAGED:
            out.append(flag)
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(map(str, value))]
        else:
            out += [flag, repr(value) if isinstance(value, float) else str(value)]
    return out
