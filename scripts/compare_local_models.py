"""Which small local model suits recording: does it follow the paper's `## ... ##` answer format, does it
propose configurations of its own rather than copies of the in-context examples, and how fast is it?

Asks each endpoint the demo task's first sampler prompts (iris/SVM, the chosen answer protocol, the demo's
recorded initial points and scores) --samples times each, live (nothing is stored), one request at a time.

Usage: python scripts/compare_local_models.py NAME=URL [NAME=URL ...] [--samples 20]
  e.g. smollm2-135m-instruct=http://127.0.0.1:8080/v1 gemma-3-270m-q4_k_m=http://127.0.0.1:8081/v1
Each endpoint must serve the model under NAME (`llambo-replay serve-local --model-path FILE.gguf` serves a
GGUF under its file name).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from llambo_replay.bayesmark.tasks import load_task
from llambo_replay.llambo import Engine, PromptSettings
from llambo_replay.llambo.answer_format import get_answer_format
from llambo_replay.llambo.prompts import sampler_prompt
from llambo_replay.llambo.sampler import SamplerSettings, target_score
from llambo_replay.replay import CassetteStore, RecordMode, make_transport, open_async_client

DEMO = Path("results/recorded/demo/iris/SVM/0.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoints", nargs="+", metavar="NAME=URL")
    parser.add_argument("--samples", type=int, default=20, help="answers per prompt and model")
    parser.add_argument(
        "--protocol",
        default="paper",
        choices=["paper", "json"],
        help="paper: does the model follow `## ... ##`; json: grammar-constrained, so novelty and speed",
    )
    args = parser.parse_args()
    task = load_task("iris", "SVM")
    history = pd.read_csv(DEMO, float_precision="round_trip").iloc[:5]
    observed, scores = history[task.space.names], history["score"].to_numpy(float)
    protocol, settings = get_answer_format(args.protocol), SamplerSettings()
    target, _ = target_score(scores, settings.alpha, task.lower_is_better)
    prompts = [
        sampler_prompt(task.context, task.space, observed, scores, target, t, PromptSettings(), protocol)
        for t in range(settings.n_templates)
    ]
    shown = {tuple(np.round(row, 6)) for row in observed.to_numpy(float)}
    for spec in args.endpoints:
        name, _, url = spec.partition("=")
        with tempfile.TemporaryDirectory() as tmp:
            engine = Engine(
                open_async_client(make_transport(CassetteStore(tmp), "compare", RecordMode.LIVE, url)),
                name,
                max_concurrency=1,
            )
            start = time.perf_counter()
            answer_format = protocol.config_format(task.space, anonymised=False)
            answers = [
                text for texts in engine.chat(prompts, args.samples, settings.sampling, answer_format) for text in texts
            ]
            seconds = time.perf_counter() - start
            requests = engine.usage.requests
            engine.close()
        parsed = [protocol.parse_config(text, task.space) for text in answers]
        valid = [c for c in parsed if c is not None and task.space.contains(c)]
        new = {tuple(np.round([c[n] for n in task.space.names], 6)) for c in valid} - shown
        print(
            f"{name}: {len(answers)} answers, {sum(c is not None for c in parsed)} in the {args.protocol} format, "
            f"{len(valid)} valid, {len(new)} distinct new configurations; {seconds / requests:.2f} s per request"
        )
        print(f"  first answer: {json.dumps(answers[0][:160])}")


if __name__ == "__main__":
    main()
