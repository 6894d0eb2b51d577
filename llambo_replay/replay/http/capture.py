"""Route the HTTP clients that libraries build for themselves through the replay layer.

LiteLLM (without `client=`), DSPy's default engine, or an openai client made without `http_client`
build their own `httpx2`/`httpx` clients, which a transport handed to the program never reaches.
Inside `with capture(transport):` every `httpx2.Client`, `httpx2.AsyncClient`, `httpx.Client` and
`httpx.AsyncClient` created (by anyone, in any thread, while the block runs) is given the replay
transport instead of its own; leaving the block restores the classes. Nothing is patched outside it.
Precedence: a client given a transport explicitly keeps it, unless `override=True`."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from llambo_replay.replay.http.httpx_adapter import for_httpx
from llambo_replay.replay.http.transport import ReplayTransport

CLIENT_CLASSES = (("httpx2", "Client"), ("httpx2", "AsyncClient"), ("httpx", "Client"), ("httpx", "AsyncClient"))


@contextmanager
def capture(transport: ReplayTransport, override: bool = False) -> Iterator[ReplayTransport]:
    """Every `httpx`/`httpx2` client made inside the block sends through `transport`."""
    with ExitStack() as patches:
        for module_name, class_name in CLIENT_CLASSES:
            try:
                module = importlib.import_module(module_name)
            except ImportError:  # httpx is optional
                continue
            cls = getattr(module, class_name)
            adapted = transport if module_name == "httpx2" else for_httpx(transport)
            patches.enter_context(mock.patch.object(cls, "__init__", _routed(cls.__init__, adapted, override)))
        yield transport


def _routed(original: Any, transport: Any, override: bool) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807  (it replaces one)
        if override or kwargs.get("transport") is None:
            kwargs["transport"] = transport
            kwargs.pop("mounts", None)  # per-host transports (proxies) would bypass it
        original(self, *args, **kwargs)

    return __init__
